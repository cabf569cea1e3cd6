import Foundation
import NetDrillReplay
import NetDrillTestSupport
import NetDrillTrace
import Testing

/// The allocation-free paths of the trace engine give exactly what the full
/// decoder and the old algorithms give, and their work does not grow with
/// the number of endpoints.
@Suite("Trace engine: fast paths agree with the full decoder; work linear in endpoints")
struct TraceEngineFastPathTests {
  /// Every committed capture: the real-world fixtures and the goldens.
  static let traces: [String] = {
    let roots = [
      TestPaths.packageRoot.appendingPathComponent("Tests/NetDrillTraceTests/Fixtures"), TestPaths.traces,
    ]
    return roots.flatMap { root in
      (FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? [])
        .filter { $0.pathExtension == "pcap" || $0.pathExtension == "pcapng" }.map(\.path)
    }.sorted()
  }()

  @Test("PacketHeaders places and marks truncated every packet as the full decoder does, on every committed capture")
  func fastPathAgrees() throws {
    #expect(Self.traces.count >= 30, "the fixtures and goldens are found")
    var fastPackets = 0
    for path in Self.traces {
      let stream = try PacketStream(path: path)
      var full = FlowTable()
      var fast = FlowTable()
      while let record = try stream.nextRecord() {
        let decoded = PacketDecoder.decode(record)
        let wire = Int(record.originalLength)
        let want = full.place(decoded, wireLength: wire)
        let headers = record.data.withUnsafeBytes {
          PacketHeaders.decode($0, linkType: record.linkType, originalLength: record.originalLength)
        }
        let got: PacketPlacement
        if let headers {
          fastPackets += 1
          #expect(headers.truncated == decoded.truncated, "\(path) at byte \(record.byteOffset)")
          #expect(headers.source.ipAddress == decoded.source, "\(path) at byte \(record.byteOffset)")
          got = fast.place(headers, wireLength: wire)
        } else {
          got = fast.place(decoded, wireLength: wire)
        }
        #expect("\(got)" == "\(want)", "\(path) at byte \(record.byteOffset)")
      }
      #expect(full.flows.map { "\($0)" } == fast.flows.map { "\($0)" }, "\(path)")
      #expect(full.others == fast.others, "\(path)")
    }
    #expect(fastPackets > 100, "the fast path is taken")
  }

  @Test("PacketHeaders never traps on random or cut frames and agrees with the full decoder on them")
  func fastPathOnRandomBytes() {
    var generator = SystemRandomNumberGenerator()
    let linkTypes: [LinkType] = [.ethernet, .raw, .null, .loop, .linuxSLL, .linuxSLL2, .ipv4, .ipv6]
    for _ in 0..<20_000 {
      var bytes = (0..<Int.random(in: 0..<80, using: &generator)).map { _ in
        UInt8.random(in: 0...255, using: &generator)
      }
      // Plausible heads so the deeper layers are reached too.
      if bytes.count > 14, Bool.random(using: &generator) { bytes[12] = 0x08; bytes[13] = 0; bytes[14] = 0x45 }
      for linkType in linkTypes {
        let original = UInt32(bytes.count + Int.random(in: 0...1, using: &generator))
        guard
          let headers = bytes.withUnsafeBytes({ PacketHeaders.decode($0, linkType: linkType, originalLength: original) }
          )
        else { continue }
        let decoded = PacketDecoder.decode(bytes, linkType: linkType)
        // As PacketDecoder.decode(_: TracePacket): a frame shorter than on the wire is truncated.
        #expect(
          headers.truncated == (decoded.truncated || UInt32(bytes.count) < original), "\(bytes) as \(linkType)")
        #expect(headers.destination.ipAddress == decoded.destination, "\(bytes) as \(linkType)")
      }
    }
  }

  @Test("symbolize replaces whole address:port tokens, the longest key first, as before")
  func symbolizeSemantics() {
    let names = [
      "127.0.0.1:9": "$closed", "127.0.0.1:9000": "server", "[::1]:53": "dns", "10.0.0.1:5": "a", "110.0.0.1:5": "b",
    ]
    let symbolizer = EndpointSymbolizer(names: names)
    #expect(
      symbolizer.symbolized("sendto(127.0.0.1:9, 127.0.0.1:9000, 127.0.0.1:90, [::1]:53)")
        == "sendto($closed, server, 127.0.0.1:90, dns)")
    #expect(symbolizer.symbolized("connect(110.0.0.1:5) then 10.0.0.1:5") == "connect(b) then a")
    #expect(symbolizer.symbolized("no address: here 1:2") == "no address: here 1:2")
    #expect(PacketNormalizer(names: names).symbolize("bind(127.0.0.1:9)") == "bind($closed)")
  }

  /// Not timed: the lookups symbolize does for a step's call are counted,
  /// and must be the same for a run of 2,000 sockets as for a run of 2
  /// (before, each call sorted and searched every name: quadratic over a run).
  @Test("symbolize work per call does not grow with the number of named endpoints (2,000 sockets)")
  func symbolizeLinearInEndpoints() {
    func names(_ count: Int) -> [String: String] {
      var names: [String: String] = [:]
      for index in 0..<count { names["10.0.\(index / 250).\(index % 250 + 1):\(20000 + index)"] = "socket\(index)" }
      return names
    }
    let call = "sendto(fd, \"ping\", 10.0.0.1:20000) via 10.0.7.250:21999"
    var small = EndpointSymbolizer(names: names(2))
    var large = EndpointSymbolizer(names: names(2000))
    _ = small.symbolize(call)
    #expect(large.symbolize(call) == "sendto(fd, \"ping\", socket0) via socket1999")
    #expect(
      large.lookups <= small.lookups + 2 * "10.0.7.250:21999".count, "lookups: \(large.lookups) vs \(small.lookups)")
    // 2,000 calls, one per socket: total lookups bounded by the text read, not names × calls.
    var run = EndpointSymbolizer(names: names(2000))
    var characters = 0
    for index in 0..<2000 {
      let text = "send(10.0.\(index / 250).\(index % 250 + 1):\(20000 + index))"
      characters += text.utf8.count
      #expect(run.symbolize(text) == "send(socket\(index))")
    }
    #expect(run.lookups <= characters, "\(run.lookups) lookups for \(characters) bytes of calls")
  }
}
