import Foundation
import Testing

@testable import NetDrillTrace

@Suite("PcapngWriter")
struct PcapngWriterTests {
  static let udpFrame: [UInt8] = PacketDecoderTests.ethernet(
    etherType: 0x0800, PacketDecoderTests.ipv4UDP(sourcePort: 41234, destinationPort: 9, payload: Array("hello".utf8)))

  /// Writes a small trace with two interfaces, three packets, statistics
  /// and a manifest; returns what was written for comparison.
  static func writeSample(to path: String) throws {
    let writer = try PcapngWriter(
      path: path, application: "netdrill-tests 1.0", os: "Linux", sectionComment: "sample run")
    let lo = try writer.addInterface(name: "host/lo", linkType: .ethernet, snapLength: 262144, description: "loopback")
    let any = try writer.addInterface(name: "peer/any", linkType: .linuxSLL2, snapLength: 65535, description: nil)
    try writer.writePacket(
      interface: lo, timestampNanoseconds: 1_700_000_000_123_456_789, originalLength: nil,
      data: udpFrame, comment: "step 3: send client → 127.0.0.1:9")
    try writer.writePacket(
      interface: lo, timestampNanoseconds: 1_700_000_000_223_456_789, originalLength: 100,
      data: Array(udpFrame.prefix(30)), comment: nil)
    try writer.writePacket(
      interface: any, timestampNanoseconds: 1_700_000_001_000_000_001, originalLength: 3,
      data: [1, 2, 3], comment: "step 4: recv")
    try writer.writeInterfaceStatistics(
      interface: lo, timestampNanoseconds: 1_700_000_002_000_000_000, received: 2, dropped: 0,
      comment: "end of capture")
    try writer.writeManifest(Array(#"{"format":1,"scenario":"udp-closed"}"#.utf8))
    try writer.commit()
  }

  @Test func roundTripThroughReader() throws {
    let directory = try TestFiles.makeScratchDirectory()
    defer { TestFiles.remove(directory) }
    let path = directory.appendingPathComponent("run.pcapng").path
    try Self.writeSample(to: path)

    let records = try TraceReader(path: path).readAll()
    #expect(records.count == 8)
    guard case .section(let section) = records.first else {
      Issue.record("first record is not a section")
      return
    }
    #expect(section.format == .pcapng)
    #expect(section.application == "netdrill-tests 1.0")
    #expect(section.os == "Linux")
    #expect(section.comment == "sample run")

    let interfaces = records.compactMap { if case .interface(let i) = $0 { i } else { nil } }
    #expect(interfaces.map(\.name) == ["host/lo", "peer/any"])
    #expect(interfaces.map(\.linkType) == [.ethernet, .linuxSLL2])
    #expect(interfaces.map(\.snapLength) == [262144, 65535])
    #expect(interfaces.map(\.description) == ["loopback", nil])
    #expect(interfaces.allSatisfy { $0.timestampResolution == .nanoseconds })

    let packets = records.compactMap { if case .packet(let p) = $0 { p } else { nil } }
    #expect(packets.count == 3)
    #expect(
      packets.map(\.timestampNanoseconds) == [
        1_700_000_000_123_456_789, 1_700_000_000_223_456_789, 1_700_000_001_000_000_001,
      ])
    #expect(packets.map(\.comment) == ["step 3: send client → 127.0.0.1:9", nil, "step 4: recv"])
    #expect(packets.map(\.interfaceID) == [0, 0, 1])
    #expect(packets[0].data == Self.udpFrame)
    #expect(packets[1].data == Array(Self.udpFrame.prefix(30)))
    #expect(packets[1].originalLength == 100)
    #expect(packets[2].data == [1, 2, 3])
    #expect(packets[2].linkType == .linuxSLL2)
    #expect(PacketDecoder.decode(packets[0]).summary == "UDP 127.0.0.1:41234 → 127.0.0.1:9 len=5")

    let statistics = records.compactMap { if case .statistics(let s) = $0 { s } else { nil } }
    #expect(
      statistics == [
        TraceInterfaceStatistics(
          interfaceID: 0, timestampNanoseconds: 1_700_000_002_000_000_000, received: 2, dropped: 0,
          comment: "end of capture")
      ])
    let manifest = try TraceReader.readManifest(path: path)
    #expect(manifest.map { String(decoding: $0, as: UTF8.self) } == #"{"format":1,"scenario":"udp-closed"}"#)
  }

  @Test func writesToTemporaryFileUntilCommit() throws {
    let directory = try TestFiles.makeScratchDirectory()
    defer { TestFiles.remove(directory) }
    let path = directory.appendingPathComponent("run.pcapng").path
    let writer = try PcapngWriter(path: path, application: "t")
    _ = try writer.addInterface(name: "host/lo", linkType: .ethernet, snapLength: 0)
    #expect(!FileManager.default.fileExists(atPath: path))
    #expect(FileManager.default.fileExists(atPath: writer.temporaryPath))
    #expect(writer.temporaryPath.hasPrefix(directory.path + "/.run.pcapng.partial-"))
    try writer.commit()
    #expect(FileManager.default.fileExists(atPath: path))
    #expect(!FileManager.default.fileExists(atPath: writer.temporaryPath))
    #expect(throws: TraceError.self) {
      try writer.writePacket(interface: 0, timestampNanoseconds: 0, data: [1], comment: nil)
    }
  }

  @Test func abandonAndDeinitLeaveNothingBehind() throws {
    let directory = try TestFiles.makeScratchDirectory()
    defer { TestFiles.remove(directory) }
    let path = directory.appendingPathComponent("run.pcapng").path
    let writer = try PcapngWriter(path: path, application: "t")
    writer.abandon()
    do {
      let dropped = try PcapngWriter(path: path, application: "t")
      _ = try dropped.addInterface(name: "x", linkType: .raw, snapLength: 0)
    }
    let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    #expect(left.isEmpty)
  }

  @Test func refusesBadArguments() throws {
    let directory = try TestFiles.makeScratchDirectory()
    defer { TestFiles.remove(directory) }
    let writer = try PcapngWriter(path: directory.appendingPathComponent("a.pcapng").path, application: "t")
    #expect(throws: TraceError.self) {
      try writer.writePacket(interface: 0, timestampNanoseconds: 0, data: [1], comment: nil)
    }
    _ = try writer.addInterface(name: "lo", linkType: .ethernet, snapLength: 0)
    #expect(throws: TraceError.self) {
      try writer.writePacket(interface: 0, timestampNanoseconds: 0, originalLength: 1, data: [1, 2], comment: nil)
    }
    #expect(throws: TraceError.self) {
      _ = try PcapngWriter(path: directory.appendingPathComponent("missing/a.pcapng").path, application: "t")
    }
  }

  @Test func memoryStaysBoundedForManyPackets() throws {
    let directory = try TestFiles.makeScratchDirectory()
    defer { TestFiles.remove(directory) }
    let path = directory.appendingPathComponent("many.pcapng").path
    let writer = try PcapngWriter(path: path, application: "t")
    let id = try writer.addInterface(name: "lo", linkType: .ethernet, snapLength: 0)
    for index in 0..<20_000 {
      try writer.writePacket(
        interface: id, timestampNanoseconds: UInt64(index), data: Self.udpFrame, comment: nil)
    }
    // Large packets bypass the buffer.
    try writer.writePacket(
      interface: id, timestampNanoseconds: 1, data: [UInt8](repeating: 7, count: 200_000), comment: "big")
    try writer.commit()
    var count = 0
    var big: TracePacket?
    let reader = try TraceReader(path: path)
    while let record = try reader.next() {
      if case .packet(let packet) = record {
        count += 1
        if packet.comment == "big" { big = packet }
      }
    }
    #expect(count == 20_001)
    #expect(big?.data.count == 200_000)
  }
}
