import NetDrillScenario
import NetDrillSockets
import Testing

@testable import NetDrillEngine

/// The packets `inject` builds: header fields where the RFCs put them and
/// checksums that verify (the ones'-complement sum over a checksummed range,
/// checksum included, is 0xFFFF, so `checksum` of it is 0). The kernel
/// accepting them is what the inject scenarios show; this pins the layout.
@Suite("PacketBuilder: injected packets")
struct PacketBuilderTests {
  let v4Source = SocketAddress(ip: "192.0.2.7", port: 5353)!
  let v4Destination = SocketAddress(ip: "127.0.0.1", port: 4000)!
  let v6Source = SocketAddress(ip: "::1", port: 40000)!
  let v6Destination = SocketAddress(ip: "::1", port: 9)!

  /// The pseudo-header sum of a transport message inside `packet`.
  private func transportVerifies(_ packet: [UInt8], protocolNumber: UInt8) -> Bool {
    let isIPv6 = packet[0] >> 4 == 6
    let headerLength = isIPv6 ? 40 : Int(packet[0] & 0x0F) * 4
    let source = isIPv6 ? Array(packet[8..<24]) : Array(packet[12..<16])
    let destination = isIPv6 ? Array(packet[24..<40]) : Array(packet[16..<20])
    let message = Array(packet[headerLength...])
    return PacketBuilder.transportChecksum(
      message, protocolNumber: protocolNumber, source: source, destination: destination) == 0
  }

  @Test func rfc1071Example() {
    // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (with end-around carry); the checksum is its complement.
    #expect(PacketBuilder.checksum([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]) == ~UInt16(0xDDF2))
    #expect(PacketBuilder.checksum([0xFF]) == ~UInt16(0xFF00), "an odd byte is padded with zero")
  }

  @Test func udpOverIPv4() {
    let packet = PacketBuilder.udp(from: v4Source, to: v4Destination, payload: Array("hello".utf8))
    #expect(packet.count == 20 + 8 + 5)
    #expect(packet[0] == 0x45 && packet[9] == 17 && packet[8] == 64)
    #expect(Array(packet[2..<4]) == [0, 33], "total length")
    #expect(PacketBuilder.checksum(Array(packet[0..<20])) == 0, "IPv4 header checksum")
    #expect(Array(packet[20..<24]) == [0x14, 0xE9, 0x0F, 0xA0], "ports 5353 → 4000")
    #expect(transportVerifies(packet, protocolNumber: 17))
    #expect(Array(packet[28...]) == Array("hello".utf8))
  }

  @Test func tcpOverIPv4() {
    let packet = PacketBuilder.tcp(
      from: v4Destination, to: v4Source, seq: 0x0102_0304, ack: 0xA0B0_C0D0, flags: TCPFlag.RST.bit | TCPFlag.ACK.bit,
      window: 512, payload: [])
    #expect(packet.count == 40)
    #expect(Array(packet[24..<28]) == [1, 2, 3, 4] && Array(packet[28..<32]) == [0xA0, 0xB0, 0xC0, 0xD0])
    #expect(packet[32] == 0x50 && packet[33] == 0x14, "data offset 5, RST|ACK")
    #expect(PacketBuilder.checksum(Array(packet[0..<20])) == 0)
    #expect(transportVerifies(packet, protocolNumber: 6))
  }

  @Test func fragNeededQuotesTheOriginalWithTheMTU() {
    let original = PacketBuilder.udp(
      from: v4Destination, to: v4Source, payload: [UInt8](repeating: 7, count: 1400), dontFragment: true)
    let error = PacketBuilder.icmpError(.fragNeeded, from: [192, 0, 2, 1], quoting: original, mtu: 1200)
    #expect(error.count == 576, "RFC 1812: at most 576 bytes")
    #expect(Array(error[12..<16]) == [192, 0, 2, 1] && Array(error[16..<20]) == [127, 0, 0, 1], "offender → sender")
    #expect(error[9] == 1 && error[20] == 3 && error[21] == 4)
    #expect(Array(error[26..<28]) == [0x04, 0xB0], "next-hop MTU 1200")
    #expect(Array(error[28...]) == Array(original.prefix(576 - 28)), "the original, from its IP header on")
    #expect(PacketBuilder.checksum(Array(error[20...])) == 0, "ICMP checksum over the message")
    #expect(PacketBuilder.checksum(Array(error[0..<20])) == 0)
  }

  @Test func icmpv6ErrorsUseThePseudoHeader() {
    let original = PacketBuilder.udp(from: v6Source, to: v6Destination, payload: Array("small".utf8))
    let tooBig = PacketBuilder.icmpError(.fragNeeded, from: v6Destination.addressBytes, quoting: original, mtu: 1280)
    #expect(tooBig[0] >> 4 == 6 && tooBig[6] == 58)
    #expect(tooBig[40] == 2 && tooBig[41] == 0 && Array(tooBig[44..<48]) == [0, 0, 5, 0], "packet too big, MTU 1280")
    #expect(transportVerifies(tooBig, protocolNumber: 58))
    let unreachable = PacketBuilder.icmpError(
      .portUnreachable, from: v6Destination.addressBytes, quoting: original, mtu: 0)
    #expect(unreachable[40] == 1 && unreachable[41] == 4)
    #expect(transportVerifies(unreachable, protocolNumber: 58))
    let protocolError = PacketBuilder.icmpError(
      .protocolUnreachable, from: v6Destination.addressBytes, quoting: original, mtu: 0)
    #expect(protocolError[40] == 4 && protocolError[41] == 1 && Array(protocolError[44..<48]) == [0, 0, 0, 6])
    #expect(transportVerifies(original, protocolNumber: 17), "the quoted UDP datagram's own checksum")
  }

  @Test func everyErrorKindHasItsTypeAndCode() {
    let expected: [ICMPErrorKind: ((UInt8, UInt8), (UInt8, UInt8))] = [
      .netUnreachable: ((3, 0), (1, 0)), .hostUnreachable: ((3, 1), (1, 3)), .protocolUnreachable: ((3, 2), (4, 1)),
      .portUnreachable: ((3, 3), (1, 4)), .fragNeeded: ((3, 4), (2, 0)), .adminProhibited: ((3, 13), (1, 1)),
      .timeExceeded: ((11, 0), (3, 0)),
    ]
    for kind in ICMPErrorKind.allCases {
      let (v4, v6) = expected[kind]!
      #expect(kind.icmpTypeCode == v4 && kind.icmpv6TypeCode == v6, "\(kind)")
    }
  }
}
