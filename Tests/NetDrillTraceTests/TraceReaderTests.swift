import Foundation
import Testing

@testable import NetDrillTrace

/// Reads the real captures in `Fixtures/` (see `Fixtures/make-fixtures.sh`):
/// the same 17 loopback packets — UDP to a closed port and its ICMP
/// port-unreachable, the same over IPv6, a TCP connection, and a RST —
/// in every container and link type netdrill meets.
@Suite("TraceReader on real captures")
struct TraceReaderTests {
  struct Fixture: Sendable, CustomStringConvertible {
    var name: String
    var format: TraceFormat
    var linkType: LinkType
    var bigEndian = false
    var nanoseconds = false
    var description: String { name }
  }

  static let fixtures: [Fixture] = [
    Fixture(name: "lo-ethernet-usec.pcap", format: .pcap, linkType: .ethernet),
    Fixture(name: "lo-ethernet-nsec.pcap", format: .pcap, linkType: .ethernet, nanoseconds: true),
    Fixture(name: "lo-ethernet-be.pcap", format: .pcap, linkType: .ethernet, bigEndian: true),
    Fixture(name: "lo-ethernet.pcapng", format: .pcapng, linkType: .ethernet),
    Fixture(name: "lo-ethernet-nsec.pcapng", format: .pcapng, linkType: .ethernet, nanoseconds: true),
    Fixture(name: "lo-rawip.pcap", format: .pcap, linkType: .raw),
    Fixture(name: "lo-null.pcap", format: .pcap, linkType: .null),
    Fixture(name: "any-sll.pcap", format: .pcap, linkType: .linuxSLL),
    Fixture(name: "any-sll2.pcap", format: .pcap, linkType: .linuxSLL2),
    Fixture(name: "any-sll2.pcapng", format: .pcapng, linkType: .linuxSLL2),
  ]

  static func packets(_ path: String) throws -> (TraceSection?, [TraceInterfaceInfo], [TracePacket]) {
    var section: TraceSection?
    var interfaces: [TraceInterfaceInfo] = []
    var packets: [TracePacket] = []
    let reader = try TraceReader(path: path)
    while let record = try reader.next() {
      switch record {
      case .section(let value): section = value
      case .interface(let value): interfaces.append(value)
      case .packet(let value): packets.append(value)
      default: break
      }
    }
    return (section, interfaces, packets)
  }

  @Test(arguments: fixtures)
  func readsAndDecodes(fixture: Fixture) throws {
    let (section, interfaces, packets) = try Self.packets(TestFiles.fixture(fixture.name))
    #expect(section?.format == fixture.format)
    #expect(section?.bigEndian == fixture.bigEndian)
    #expect(interfaces.count == 1)
    #expect(interfaces.first?.linkType == fixture.linkType)
    #expect(interfaces.first?.timestampResolution == (fixture.nanoseconds ? .nanoseconds : .microseconds))
    #expect(packets.count == 17)
    #expect(packets.allSatisfy { $0.linkType == fixture.linkType })

    let decoded = packets.map(PacketDecoder.decode)
    #expect(decoded.allSatisfy { !$0.truncated }, "\(decoded.filter(\.truncated).map(\.notes))")

    #expect(decoded[0].summary == "UDP 127.0.0.1:41234 → 127.0.0.1:9 len=5")
    #expect(decoded[0].udp?.payload == Array("hello".utf8))

    let unreachable = decoded[1].icmp
    #expect(unreachable?.type == 3 && unreachable?.code == 3)
    #expect(unreachable?.quoted?.udp?.sourcePort == 41234)
    #expect(unreachable?.quoted?.udp?.destinationPort == 9)
    #expect(decoded[1].summary == "ICMP port-unreachable (3/3) quoting UDP 127.0.0.1:41234 → 127.0.0.1:9")

    #expect(decoded[2].summary == "UDP [::1]:41235 → [::1]:9 len=3")
    #expect(decoded[3].icmp?.isIPv6 == true)
    #expect(decoded[3].icmp?.name == "port-unreachable")
    #expect(decoded[3].icmp?.quoted?.udp?.sourcePort == 41235)
    #expect(decoded[3].summary == "ICMPv6 port-unreachable (1/4) quoting UDP [::1]:41235 → [::1]:9")

    #expect(decoded[4].tcp?.flags == [.syn])
    #expect(decoded[4].tcp?.sourcePort == 41000)
    #expect(decoded[4].tcp?.destinationPort == 5000)
    #expect(decoded[5].tcp?.flags == [.syn, .ack])
    #expect(decoded[5].tcp?.acknowledgmentNumber == (decoded[4].tcp?.sequenceNumber ?? 0) &+ 1)
    #expect(decoded[7].tcp?.flags == [.psh, .ack])
    #expect(decoded[7].tcp?.payload == Array("ping".utf8))
    #expect(decoded[9].tcp?.payload == Array("pong".utf8))
    #expect(decoded[16].tcp?.flags == [.rst, .ack])
    #expect(decoded[16].tcp?.sourcePort == 5001)

    if fixture.linkType == .linuxSLL2, case .linuxCooked(let cooked) = decoded[0].link {
      #expect(cooked.version == 2)
      #expect(cooked.hardwareType == 772)  // ARPHRD_LOOPBACK
      #expect(cooked.interfaceIndex == 1)
    } else if fixture.linkType == .linuxSLL2 {
      Issue.record("no cooked header")
    }
  }

  /// The same capture in every container yields the same timestamps:
  /// microsecond files exactly, nanosecond files within the microsecond.
  @Test func timestampsAgreeAcrossFormats() throws {
    let reference = try Self.packets(TestFiles.fixture("lo-ethernet-usec.pcap")).2.map(\.timestampNanoseconds)
    #expect(reference.first.map { $0 % 1000 } == 0)
    #expect(reference.first.map { $0 > 1_500_000_000_000_000_000 } == true)
    for name in ["lo-ethernet-be.pcap", "lo-ethernet.pcapng", "lo-rawip.pcap", "lo-null.pcap"] {
      let times = try Self.packets(TestFiles.fixture(name)).2.map(\.timestampNanoseconds)
      #expect(times == reference, "\(name)")
    }
    for name in ["lo-ethernet-nsec.pcap", "lo-ethernet-nsec.pcapng"] {
      let times = try Self.packets(TestFiles.fixture(name)).2.map(\.timestampNanoseconds)
      #expect(times.count == reference.count)
      for (a, b) in zip(times, reference) {
        #expect(a / 1000 >= b / 1000 && a / 1000 <= b / 1000 + 2, "\(name): \(a) vs \(b)")
      }
    }
  }

  @Test func pcapngSectionOptionsFromEditcap() throws {
    let (section, _, _) = try Self.packets(TestFiles.fixture("lo-ethernet.pcapng"))
    #expect(section?.application?.hasPrefix("Editcap") == true)
  }

  /// A length field promising more than the file holds fails at once,
  /// without growing the read window to the promised size.
  @Test func hugeLengthInSmallFile() throws {
    let directory = try TestFiles.makeScratchDirectory()
    defer { TestFiles.remove(directory) }
    var bytes = try TestFiles.bytes(ofFixture: "lo-ethernet-usec.pcap")
    bytes[24 + 8] = 0xFC
    bytes[24 + 9] = 0xFF
    bytes[24 + 10] = 0xFF
    bytes[24 + 11] = 0x07  // captured length just under 128 MiB
    let path = directory.appendingPathComponent("huge.pcap").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    do {
      _ = try TraceReader(path: path).readAll()
      Issue.record("huge record read without error")
    } catch let error as TraceError {
      #expect(error.message == "truncated pcap record at byte 24: need 134217740 bytes, file has 1450")
    }
  }

  @Test func fileAndMemoryReadersAgree() throws {
    for fixture in Self.fixtures {
      let path = TestFiles.fixture(fixture.name)
      let fromFile = try TraceReader(path: path).readAll()
      let fromMemory = try TraceReader(bytes: TestFiles.bytes(ofFixture: fixture.name), name: path).readAll()
      #expect(fromFile == fromMemory)
    }
  }

  /// pcapng timestamp units other than micro/nanoseconds, and a block
  /// type the reader does not know, in a big-endian section.
  @Test func binaryResolutionUnknownBlocksAndBigEndianSections() throws {
    var file: [UInt8] = []
    func u16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    func u32(_ v: UInt32) -> [UInt8] { u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF)) }
    func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
      let length = UInt32(12 + body.count)
      return u32(type) + u32(length) + body + u32(length)
    }
    file += block(0x0A0D_0D0A, u32(0x1A2B_3C4D) + u16(1) + u16(0) + [UInt8](repeating: 0xFF, count: 8))
    // if_tsresol 0x81 = 2^-1 seconds; if_tsresol 3 = milliseconds.
    file += block(1, u16(101) + u16(0) + u32(0) + u16(9) + u16(1) + [0x81, 0, 0, 0] + u32(0))
    file += block(1, u16(101) + u16(0) + u32(0) + u16(9) + u16(1) + [3, 0, 0, 0] + u32(0))
    file += block(0x0000_0777, [1, 2, 3, 4])
    let ip = PacketDecoderTests.ipv4UDP(sourcePort: 1, destinationPort: 2, payload: [])
    file += block(6, u32(0) + u32(0) + u32(3) + u32(UInt32(ip.count)) + u32(UInt32(ip.count)) + ip)
    file += block(6, u32(1) + u32(0) + u32(1500) + u32(UInt32(ip.count)) + u32(UInt32(ip.count)) + ip)
    let records = try TraceReader(bytes: file).readAll()
    let packets = records.compactMap { if case .packet(let p) = $0 { p } else { nil } }
    #expect(packets.map(\.timestampNanoseconds) == [1_500_000_000, 1_500_000_000])
    #expect(packets.map { PacketDecoder.decode($0).udp?.destinationPort } == [2, 2])
    if case .section(let section) = records.first { #expect(section.bigEndian) }
  }

  @Test func multipleSectionsRestartInterfaces() throws {
    let directory = try TestFiles.makeScratchDirectory()
    defer { TestFiles.remove(directory) }
    let path = directory.appendingPathComponent("one.pcapng").path
    try PcapngWriterTests.writeSample(to: path)
    let one = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let records = try TraceReader(bytes: one + one).readAll()
    #expect(records.count == 16)
    let ids = records.compactMap { if case .interface(let i) = $0 { i.id } else { nil } }
    #expect(ids == [0, 1, 0, 1])
  }

  @Test func errorsNameFileAndOffset() throws {
    #expect(throws: TraceError.self) { try TraceReader(path: "/nonexistent/trace.pcapng") }
    let bytes = try TestFiles.bytes(ofFixture: "lo-ethernet.pcapng")
    do {
      _ = try TraceReader(bytes: Array(bytes.prefix(bytes.count - 10)), name: "trace.pcapng").readAll()
      Issue.record("truncated file read without error")
    } catch let error as TraceError {
      #expect(error.path == "trace.pcapng")
      #expect(
        error.description.hasPrefix(
          "trace.pcapng: byte \(error.byteOffset): in the enhanced packet block (type 0x00000006) starting at byte \(error.byteOffset): truncated block at byte \(error.byteOffset): need "
        ))
    }
    var bad = bytes
    bad[bad.count - 4] = 0x2D  // trailing length no longer matches
    #expect(throws: TraceError.self) { try TraceReader(bytes: bad).readAll() }
    var odd = bytes
    odd[4] = 0x6D  // SHB length 109
    do {
      _ = try TraceReader(bytes: odd, name: "trace.pcapng").readAll()
      Issue.record("bad block length read without error")
    } catch let error as TraceError {
      #expect(
        error.description
          == "trace.pcapng: byte 4: in the section header block (type 0x0a0d0d0a) starting at byte 0: block length 109 is not a multiple of 4"
      )
    }
    #expect(throws: TraceError.self) { try TraceReader(bytes: Array("hello world".utf8)).readAll() }
    #expect(throws: TraceError.self) { try TraceReader(bytes: []).readAll() }
  }
}
