import Foundation
import NetDrillCapture
import NetDrillReplay
import NetDrillTestSupport
import NetDrillTrace
import Testing

/// The streaming trace engine: flow table, statistics, BPF filter, foreign
/// captures through `show`, and the streaming diff against the whole-trace one.
@Suite("Streaming trace engine")
struct TraceEngineTests {
  static let fixtures = TestPaths.packageRoot.appendingPathComponent("Tests/NetDrillTraceTests/Fixtures")
  static let tshark: String? = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }

  /// Every capture fixture: the derived link-type variants and the real-world captures (`captures/`).
  static func captureFixtures() -> [String] {
    [fixtures, fixtures.appendingPathComponent("captures")].flatMap { folder in
      ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
        .map { folder.appendingPathComponent($0).path }
    }
  }

  static func goldens() -> [String] {
    let root = TestPaths.packageRoot.appendingPathComponent("traces")
    guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
    return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "pcapng" }.map(\.path).sorted()
  }

  @Test("tshark is installed when CI=true", .enabled(if: ProcessInfo.processInfo.environment["CI"] == "true"))
  func tsharkPresentInCI() {
    #expect(Self.tshark != nil, "tshark is missing: apt-get install -y tshark")
  }

  @Test(
    "show accepts every foreign fixture, with tshark's packet count", .requires(Tools.tsharkMissing),
    arguments: captureFixtures())
  func foreignFixtureCounts(path: String) throws {
    let result = try Command.netdrill(["show", "--stats", "--json", path])
    #expect(result.status == 0, "\(result.standardError)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    let packets = try #require(object["packets"] as? Int)
    #expect(object["flows"] as? Int != nil && object["icmp_errors"] as? Int != nil)
    let timeline = try Command.netdrill(["show", path])
    #expect(timeline.status == 0, "\(timeline.standardError)")
    #expect(timeline.standardOutput.contains("\(packets) packets,"))
    let tshark = try #require(Self.tshark)
    let counted = try Command.run(tshark, ["-r", path, "-T", "fields", "-e", "frame.number"])
    #expect(counted.status == 0)
    #expect(packets == counted.standardOutput.split(separator: "\n").count)
  }

  @Test("ICMP errors are tied to the flow they quote; other protocols counted")
  func icmpErrorsTiedToFlows() throws {
    let statistics = try TraceStatistics.read(path: Self.fixtures.appendingPathComponent("lo-ethernet.pcapng").path)
    // Fixture: a UDP datagram to a closed port over IPv4 and IPv6 (each refused), two TCP connections.
    #expect(statistics.packets == 17)
    #expect(statistics.flows == 4)
    #expect(statistics.flowsByProtocol == ["UDP": 2, "TCP": 2])
    #expect(statistics.icmpErrors == 2)
    #expect(statistics.other.isEmpty)
    #expect(statistics.linkTypes == ["EN10MB": 17])
  }

  /// An IPv4 UDP packet as bytes, decoded.
  static func udp(_ from: String, _ sourcePort: UInt16, _ to: String, _ destinationPort: UInt16) -> DecodedPacket {
    var bytes: [UInt8] = [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0]
    bytes += IPAddress(from)!.bytes + IPAddress(to)!.bytes
    bytes += [
      UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xFF),
    ]
    bytes += [0, 8, 0, 0]
    return PacketDecoder.decodeIP(bytes)
  }

  @Test("endpoints of a foreign capture are named by who spoke first and by service ports")
  func endpointNaming() {
    var table = FlowTable()
    // The first speaker is the client even when it answers: 40000 → 53.
    guard case .flow(1, true) = table.place(Self.udp("10.0.0.1", 40000, "10.0.0.2", 53), wireLength: 28),
      case .flow(1, false) = table.place(Self.udp("10.0.0.2", 53, "10.0.0.1", 40000), wireLength: 28)
    else {
      Issue.record("request and answer are not one conversation")
      return
    }
    // A server speaking first from a service port is still the server.
    guard case .flow(2, false) = table.place(Self.udp("10.0.0.3", 5353, "10.0.0.1", 40001), wireLength: 28) else {
      Issue.record("mDNS answer not placed as its server's")
      return
    }
    // Neither port is a service: the receiver of the first packet is the server.
    _ = table.place(Self.udp("10.0.0.2", 45000, "10.0.0.4", 46000), wireLength: 28)
    #expect(table.flows.map(\.clientName) == ["client:40000", "client:40001", "server:45000"])
    #expect(table.flows.map(\.serverName) == ["server:53", "host-3:5353", "host-4:46000"])
    #expect(table.flows[0].packets == 2 && table.flows[0].bytes == 56)
  }

  @Test("a netdrill manifest's names win over made-up ones")
  func manifestNamesWin() {
    var table = FlowTable(names: EndpointNames(manifest: ["10.0.0.2:53": "resolver", "[::1]:9": "$closed"]))
    _ = table.place(Self.udp("10.0.0.1", 40000, "10.0.0.2", 53), wireLength: 28)
    #expect(table.flows[0].serverName == "resolver")
    #expect(table.flows[0].clientName == "client:40000")
  }

  @Test("--filter is compiled by libpcap and selects packets; a bad one is exit 2 with libpcap's message")
  func bpfFilter() throws {
    let path = Self.fixtures.appendingPathComponent("lo-ethernet.pcapng").path
    let udp = try TraceStatistics.read(path: path, filter: try PacketFilter(expression: "udp port 9"))
    #expect(udp.packets == 2 && udp.packetsRead == 17)
    let tcp = try TraceStatistics.read(path: path, filter: try PacketFilter(expression: "tcp"))
    #expect(tcp.packets == 13 && tcp.flows == 2)
    // Raw IP has no Ethernet header: the filter is compiled for each link type.
    let raw = try TraceStatistics.read(
      path: Self.fixtures.appendingPathComponent("lo-rawip.pcap").path, filter: try PacketFilter(expression: "tcp"))
    #expect(raw.packets == 13)
    #expect(throws: PacketFilterError.self) { try PacketFilter(expression: "udp port (") }
    let refused = try Command.netdrill(["show", "--filter", "udp port (", path])
    #expect(refused.status == 2)
    #expect(refused.standardError.contains("syntax error"))
  }

  /// The options `check` and `replay` take (`--strict-order`, `--timing`, `--ignore`, `--compare`), which
  /// the streaming diff now serves for them too.
  static let diffOptions: [DiffOptions] = [
    DiffOptions(),
    DiffOptions(strictOrder: true),
    DiffOptions(timingTolerance: .microseconds(50)),
    DiffOptions(
      normalization: NormalizationOptions(ignored: ["interface", "ip-length"], compared: ["ip-ttl", "housekeeping"])),
  ]

  @Test(
    "the streaming diff gives the whole-trace diff's result for every golden against the next",
    arguments: diffOptions.indices)
  func streamingDiffMatchesWholeTraceDiff(optionsIndex: Int) throws {
    let options = Self.diffOptions[optionsIndex]
    let goldens = Self.goldens()
    #expect(goldens.count >= 2)
    let rotated = Array(goldens.dropFirst()) + Array(goldens.prefix(1))
    let pairs = Array(zip(goldens, rotated)) + Array(zip(goldens, goldens))
    for (expected, actual) in pairs {
      let whole = TraceDiff.compare(
        expected: try TraceDocument.load(path: expected, options: options.normalization),
        actual: try TraceDocument.load(path: actual, options: options.normalization), options: options)
      let streamed = try StreamingDiff.compare(expectedPath: expected, actualPath: actual, options: options)
      #expect(streamed.differences == whole.differences, "\(expected) vs \(actual)")
      #expect(streamed.comparedPackets == whole.comparedPackets)
      #expect(streamed.comparedSteps == whole.comparedSteps)
      #expect(streamed.notes == whole.notes)
    }
  }

  @Test("diff of foreign captures: same traffic in two formats is equal, a changed payload byte is named")
  func foreignDiff() throws {
    let pcapng = Self.fixtures.appendingPathComponent("lo-ethernet.pcapng").path
    let pcap = Self.fixtures.appendingPathComponent("lo-ethernet-usec.pcap").path
    #expect(try StreamingDiff.compare(expectedPath: pcapng, actualPath: pcap).same)
    // Change the last byte of the first packet's UDP payload ("hello" → "hellp").
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pcap)))
    let frameEnd = 24 + 16 + 47  // file header, record header, 14 + 20 + 8 + 5 bytes
    #expect(bytes[frameEnd - 1] == UInt8(ascii: "o"))
    bytes[frameEnd - 1] = UInt8(ascii: "p")
    let changed = FileManager.default.temporaryDirectory.appendingPathComponent("changed-\(UUID().uuidString).pcap")
    defer { try? FileManager.default.removeItem(at: changed) }
    try Data(bytes).write(to: changed)
    let result = try StreamingDiff.compare(expectedPath: pcap, actualPath: changed.path)
    let payload = result.differences.filter { $0.field == "changed packet" }
    #expect(payload.count == 1)
    #expect(payload.first?.actual.contains("payload=68656c6c70") == true)
    let cli = try Command.netdrill(["diff", pcap, changed.path])
    #expect(cli.status == 1)
  }
}
