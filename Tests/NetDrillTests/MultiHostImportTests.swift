import Foundation
import NetDrillTestSupport
import Testing

/// `import` of netdrill's own multi-host traces (a packet captured on every
/// interface it crossed: a copy is read once), and of captures too large to
/// become a scenario (refused before anything is written).
@Suite("Import of multi-host traces and of captures past the size limit", .serialized)
struct MultiHostImportTests {
  static let goldens = TestPaths.packageRoot.appendingPathComponent("traces/network")

  static func networkGoldens() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: goldens.path)) ?? []
    return names.filter { $0.hasSuffix(".pcapng") }.sorted()
  }

  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-multihost-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  @Test("the router golden imports each datagram once, on the hosts of its addresses")
  func routerDatagramsOnce() throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let scenario = folder.appendingPathComponent("router.json").path
    let imported = try Command.netdrill(
      ["import", Self.goldens.appendingPathComponent("router-host-unreachable.pcapng").path, "-o", scenario])
    #expect(imported.status == 0, "\(imported.standardError)")
    let text = try String(contentsOfFile: scenario, encoding: .utf8)
    let lines = text.split(separator: "\n")
    // The scenario sent these (client a → b through r); the trace holds each on a, r (twice) and b.
    for (payload, times) in [("through r", 1), ("blocked", 1), ("one", 2), ("two", 1), ("three", 1), ("after", 1)] {
      let sends = lines.filter { $0.contains(#""sendto""#) && $0.contains(#""data": "\#(payload)""#) }.count
      let receives = lines.filter { $0.contains(#""recvfrom""#) && $0.contains(#""data": "\#(payload)""#) }.count
      #expect(sends == times && receives == times, "\(payload): \(sends) sent, \(receives) received\n\(text)")
    }
    #expect(text.contains("copies of packets already seen on another interface read once"))
    // A placeholder host between captured numbers has a valid host name (at most 12 characters).
    #expect(text.contains(#""unused2_1": {}"#), "\(text)")
  }

  @Test("import then run of every multi-host golden exits 0", .privileged, arguments: networkGoldens())
  func importThenRun(golden: String) throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let scenario = folder.appendingPathComponent("imported.json").path
    let imported = try Command.netdrill(["import", Self.goldens.appendingPathComponent(golden).path, "-o", scenario])
    #expect(imported.status == 0, "\(imported.standardError)")
    let run = try Command.netdrill(["run", scenario, "--color", "never"])
    #expect(run.status == 0, "\(run.standardOutput)\n\(run.standardError)")
  }

  /// A pcap (Ethernet) of `count` UDP datagrams of `size` payload bytes, 10.1.0.1:40000 → 10.1.0.2:9000.
  static func udpCapture(count: Int, size: Int) -> Data {
    var file = Data()
    func append<T: FixedWidthInteger>(_ value: T) {
      withUnsafeBytes(of: value.littleEndian) { file.append(contentsOf: $0) }
    }
    func appendBig<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
      withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) }
    }
    append(UInt32(0xa1b2_c3d4)); append(UInt16(2)); append(UInt16(4)); append(Int32(0)); append(UInt32(0))
    append(UInt32(65535)); append(UInt32(1))  // snaplen, LINKTYPE_ETHERNET
    let payload = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) })
    for index in 0..<count {
      var frame = Data([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00])
      var ip = Data([0x45, 0])
      appendBig(UInt16(20 + 8 + size), to: &ip)
      appendBig(UInt16(truncatingIfNeeded: index), to: &ip)
      ip += Data([0x40, 0, 64, 17, 0, 0, 10, 1, 0, 1, 10, 1, 0, 2])
      var sum: UInt32 = 0
      for pair in stride(from: 0, to: 20, by: 2) { sum += UInt32(ip[pair]) << 8 | UInt32(ip[pair + 1]) }
      while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
      let checksum = ~UInt16(sum)
      ip[10] = UInt8(checksum >> 8)
      ip[11] = UInt8(checksum & 0xff)
      var udp = Data()
      appendBig(UInt16(40000), to: &udp)
      appendBig(UInt16(9000), to: &udp)
      appendBig(UInt16(8 + size), to: &udp)
      appendBig(UInt16(0), to: &udp)  // no checksum (IPv4 allows it)
      frame += ip + udp + payload
      append(UInt32(1_700_000_000)); append(UInt32(index)); append(UInt32(frame.count)); append(UInt32(frame.count))
      file += frame
    }
    return file
  }

  @Test(
    "a capture whose scenario would pass the 16 MiB limit: import and replay exit 2 naming the limit and --filter; no file is left"
  )
  func tooLarge() throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    // 300 × 60,000 bytes: 18 MB of payload, more than the limit however it is written.
    let big = folder.appendingPathComponent("big.pcap")
    try Self.udpCapture(count: 300, size: 60000).write(to: big)
    // 120 × 60,000 bytes: 7.2 MB of payload, but as hex, sent and expected, about 29 MB of scenario.
    let hexHeavy = folder.appendingPathComponent("hex-heavy.pcap")
    try Self.udpCapture(count: 120, size: 60000).write(to: hexHeavy)
    for (capture, what) in [(big, "the UDP and TCP payload read so far"), (hexHeavy, "the scenario written from it")] {
      let scenario = folder.appendingPathComponent("out.json").path
      let imported = try Command.netdrill(["import", capture.path, "-o", scenario])
      #expect(imported.status == 2, "\(imported.standardOutput)\n\(imported.standardError)")
      #expect(imported.standardError.contains(what), "\(imported.standardError)")
      #expect(imported.standardError.contains("scenario size limit of 16 MiB (16777216 bytes)"))
      #expect(imported.standardError.contains("--filter"))
      #expect(!FileManager.default.fileExists(atPath: scenario), "no half-written scenario")
      let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }
      #expect(leftovers.isEmpty, "\(leftovers)")
      let replay = try Command.netdrill(["replay", capture.path])
      #expect(replay.status == 2, "\(replay.standardOutput)\n\(replay.standardError)")
      #expect(replay.standardError.contains("scenario size limit"), "\(replay.standardError)")
    }
    // Below the limit the same kind of capture imports (the limit, not the generator, refuses).
    let small = folder.appendingPathComponent("small.pcap")
    try Self.udpCapture(count: 3, size: 100).write(to: small)
    let scenario = folder.appendingPathComponent("small.json").path
    let imported = try Command.netdrill(["import", small.path, "-o", scenario])
    #expect(imported.status == 0, "\(imported.standardError)")
    #expect(imported.standardOutput.contains("1 conversation(s) from 3 packets"), "\(imported.standardOutput)")
  }
}
