/// Just enough Ethernet/IPv4/UDP/ICMP parsing to tell test packets apart.
/// Checksums are never looked at: on `lo` they are left to offload.
enum PacketSummary: Equatable {
  case udp(sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8])
  /// An ICMP message quoting a UDP datagram (destination unreachable).
  case icmp(type: UInt8, code: UInt8, quotedDestinationPort: UInt16?, quotedPayload: [UInt8])
  case other

  init(ethernetFrame frame: [UInt8]) {
    // Ethernet: 6 + 6 bytes of MAC addresses (zeros on lo), EtherType 0x0800.
    guard frame.count >= 14 + 20, frame[12] == 0x08, frame[13] == 0x00 else {
      self = .other
      return
    }
    guard let ip = IPv4(Array(frame[14...])) else {
      self = .other
      return
    }
    switch ip.protocolNumber {
    case 17:
      guard let udp = UDP(ip.payload) else {
        self = .other
        return
      }
      self = .udp(
        sourcePort: udp.sourcePort, destinationPort: udp.destinationPort, payload: udp.payload)
    case 1:
      guard ip.payload.count >= 8 else {
        self = .other
        return
      }
      // ICMP: type, code, checksum, 4 unused bytes, then the quoted datagram.
      let quoted = IPv4(Array(ip.payload[8...]))
      let quotedUDP = quoted.flatMap { $0.protocolNumber == 17 ? UDP($0.payload) : nil }
      self = .icmp(
        type: ip.payload[0], code: ip.payload[1], quotedDestinationPort: quotedUDP?.destinationPort,
        quotedPayload: quotedUDP?.payload ?? [])
    default:
      self = .other
    }
  }

  private struct IPv4 {
    let protocolNumber: UInt8
    let payload: [UInt8]

    init?(_ bytes: [UInt8]) {
      guard bytes.count >= 20, bytes[0] >> 4 == 4 else { return nil }
      let headerLength = Int(bytes[0] & 0x0F) * 4
      let totalLength = Int(bytes[2]) << 8 | Int(bytes[3])
      guard headerLength >= 20, bytes.count >= headerLength else { return nil }
      protocolNumber = bytes[9]
      // A quoted datagram may be cut short: keep what is there.
      payload = Array(bytes[headerLength..<min(bytes.count, max(totalLength, headerLength))])
    }
  }

  private struct UDP {
    let sourcePort: UInt16
    let destinationPort: UInt16
    let payload: [UInt8]

    init?(_ bytes: [UInt8]) {
      guard bytes.count >= 8 else { return nil }
      sourcePort = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
      destinationPort = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
      let length = Int(bytes[4]) << 8 | Int(bytes[5])
      payload = Array(bytes[8..<min(bytes.count, max(length, 8))])
    }
  }
}
