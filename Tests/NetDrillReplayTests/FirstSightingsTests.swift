import NetDrillEngine
import NetDrillTrace
import Testing

/// ``FirstSightings``, which `expect_packets` and `import` use to count a
/// packet captured on several interfaces once: the same IP and transport
/// bytes on another interface within a second are the same packet; on the
/// same interface, or later, a new one. Its identities hash a part of what
/// they compare, payloads in bulk: these pin that equal packets still meet
/// and different ones still do not.
@Suite("First sightings: one packet on several interfaces counted once")
struct FirstSightingsTests {
  static let second: UInt64 = 1_000_000_000

  /// An IPv4 packet (raw IP link type) from 10.0.0.1 to 10.0.0.2, decoded from bytes of its own.
  static func packet(
    protocolNumber: UInt8 = 17, identification: UInt16 = 7, transport: [UInt8]
  ) -> DecodedPacket {
    let length = 20 + transport.count
    var bytes: [UInt8] = [0x45, 0, UInt8(length >> 8), UInt8(length & 0xff), UInt8(identification >> 8)]
    bytes += [UInt8(identification & 0xff), 0x40, 0, 64, protocolNumber, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
    return PacketDecoder.decode(bytes + transport, linkType: .raw)
  }

  static func udp(_ payload: String, from source: UInt16 = 4000, to destination: UInt16 = 53) -> DecodedPacket {
    let data = Array(payload.utf8)
    let length = 8 + data.count
    let header: [UInt8] = [
      UInt8(source >> 8), UInt8(source & 0xff), UInt8(destination >> 8), UInt8(destination & 0xff),
      UInt8(length >> 8), UInt8(length & 0xff), 0, 0,
    ]
    return packet(transport: header + data)
  }

  static func tcp(sequence: UInt32, payload: String) -> DecodedPacket {
    var header: [UInt8] = [0x0f, 0xa0, 0, 80]
    header += withUnsafeBytes(of: sequence.bigEndian, Array.init)
    header += [0, 0, 0, 1, 0x50, 0x18, 2, 0, 0, 0, 0, 0]
    return packet(protocolNumber: 6, transport: header + Array(payload.utf8))
  }

  @Test("the same datagram on another interface within a second is not new; on the same one, or later, it is")
  func sameDatagram() {
    var sightings = FirstSightings()
    var seen: [Bool] = []
    seen.append(sightings.isFirst(Self.udp("hello"), interface: "a/eth0", timestampNanoseconds: 0))
    // Decoded again from other bytes in memory: equal by content, so the same packet.
    seen.append(sightings.isFirst(Self.udp("hello"), interface: "r/eth0", timestampNanoseconds: 10))
    seen.append(sightings.isFirst(Self.udp("hello"), interface: "r/eth1", timestampNanoseconds: 20))
    seen.append(sightings.isFirst(Self.udp("hello"), interface: "a/eth0", timestampNanoseconds: 30))
    // After a new sighting on a/eth0, r/eth0 sees it again as the same packet.
    seen.append(sightings.isFirst(Self.udp("hello"), interface: "r/eth0", timestampNanoseconds: 40))
    seen.append(sightings.isFirst(Self.udp("hello"), interface: "b/eth0", timestampNanoseconds: 30 + Self.second))
    #expect(seen == [true, false, false, true, false, true])
  }

  @Test("datagrams that differ only in payload, ports or IP id are different packets")
  func differentDatagrams() {
    var sightings = FirstSightings()
    var seen: [Bool] = []
    seen.append(sightings.isFirst(Self.udp("hello"), interface: "a/eth0", timestampNanoseconds: 0))
    seen.append(sightings.isFirst(Self.udp("hellp"), interface: "r/eth0", timestampNanoseconds: 1))
    seen.append(sightings.isFirst(Self.udp("hello", from: 4001), interface: "r/eth0", timestampNanoseconds: 2))
    seen.append(sightings.isFirst(Self.udp("hello", to: 54), interface: "r/eth0", timestampNanoseconds: 3))
    let otherID = Self.packet(identification: 8, transport: Self.udpBytes("hello"))
    seen.append(sightings.isFirst(otherID, interface: "r/eth0", timestampNanoseconds: 4))
    #expect(seen == [true, true, true, true, true])
  }

  @Test("TCP segments are told apart by sequence number and payload")
  func segments() {
    var sightings = FirstSightings()
    var seen: [Bool] = []
    seen.append(sightings.isFirst(Self.tcp(sequence: 1, payload: "abc"), interface: "a/eth0", timestampNanoseconds: 0))
    seen.append(sightings.isFirst(Self.tcp(sequence: 1, payload: "abc"), interface: "r/eth0", timestampNanoseconds: 1))
    seen.append(sightings.isFirst(Self.tcp(sequence: 4, payload: "abc"), interface: "r/eth0", timestampNanoseconds: 2))
    seen.append(sightings.isFirst(Self.tcp(sequence: 1, payload: "abd"), interface: "r/eth0", timestampNanoseconds: 3))
    #expect(seen == [true, false, true, true])
  }

  static func udpBytes(_ payload: String) -> [UInt8] {
    let data = Array(payload.utf8)
    return [0x0f, 0xa0, 0, 53, 0, UInt8(8 + data.count), 0, 0] + data
  }
}
