import NetDrillScenario
import NetDrillSockets

/// Builds the IP packets `inject` steps deliver: IPv4/IPv6 headers, UDP, TCP
/// and ICMP/ICMPv6 errors, every checksum computed as a sender's stack would
/// (RFC 1071, with the pseudo-header for UDP, TCP and ICMPv6). Pure: the
/// addresses and numbers come from the caller, who learned them from the kernel.
enum PacketBuilder {
  static let ttl: UInt8 = 64
  /// RFC 1812: an ICMPv4 error is at most 576 bytes; RFC 4443: ICMPv6 at most 1280.
  static let maximumIPv4Error = 576
  static let maximumIPv6Error = 1280

  /// A UDP datagram in an IP packet.
  static func udp(
    from source: SocketAddress, to destination: SocketAddress, payload: [UInt8], identification: UInt16 = 0,
    dontFragment: Bool = false
  )
    -> [UInt8]
  {
    var segment =
      be16(source.port) + be16(destination.port) + be16(UInt16(truncatingIfNeeded: 8 + payload.count)) + [0, 0]
    segment += payload
    var sum = transportChecksum(
      segment, protocolNumber: 17, source: source.addressBytes, destination: destination.addressBytes)
    if sum == 0 { sum = 0xFFFF }  // UDP: a computed 0 is sent as all ones (0 means "no checksum")
    segment[6] = UInt8(sum >> 8)
    segment[7] = UInt8(sum & 0xFF)
    return ip(
      segment, protocolNumber: 17, source: source.addressBytes, destination: destination.addressBytes,
      identification: identification, dontFragment: dontFragment)
  }

  /// A TCP segment (no options) in an IP packet.
  static func tcp(
    from source: SocketAddress, to destination: SocketAddress, seq: UInt32, ack: UInt32, flags: UInt8, window: UInt16,
    payload: [UInt8]
  ) -> [UInt8] {
    var segment = be16(source.port) + be16(destination.port) + be32(seq) + be32(ack)
    segment += [5 << 4, flags] + be16(window) + [0, 0] + [0, 0]
    segment += payload
    let sum = transportChecksum(
      segment, protocolNumber: 6, source: source.addressBytes, destination: destination.addressBytes)
    segment[16] = UInt8(sum >> 8)
    segment[17] = UInt8(sum & 0xFF)
    return ip(
      segment, protocolNumber: 6, source: source.addressBytes, destination: destination.addressBytes, identification: 0,
      dontFragment: true)
  }

  /// An ICMP error (ICMPv6 when `original` is IPv6) from `offender` to the
  /// original's sender, quoting as much of `original` as fits the RFC limit.
  static func icmpError(_ kind: ICMPErrorKind, from offender: [UInt8], quoting original: [UInt8], mtu: Int) -> [UInt8] {
    let isIPv6 = original.first.map { $0 >> 4 == 6 } ?? false
    let sender = isIPv6 ? Array(original[8..<24]) : Array(original[12..<16])
    let headerRoom = isIPv6 ? 40 + 8 : 20 + 8
    let quoted = Array(original.prefix((isIPv6 ? maximumIPv6Error : maximumIPv4Error) - headerRoom))
    let (type, code) = isIPv6 ? kind.icmpv6TypeCode : kind.icmpTypeCode
    var rest: [UInt8] = [0, 0, 0, 0]
    switch (kind, isIPv6) {
    case (.fragNeeded, false): rest = [0, 0] + be16(UInt16(truncatingIfNeeded: mtu))  // RFC 1191: next-hop MTU
    case (.fragNeeded, true): rest = be32(UInt32(truncatingIfNeeded: mtu))
    case (.protocolUnreachable, true): rest = be32(6)  // the pointer: the quoted header's next-header field
    default: break
    }
    var message = [type, code, 0, 0] + rest + quoted
    let sum =
      isIPv6
      ? transportChecksum(message, protocolNumber: 58, source: offender, destination: sender)
      : checksum(message)
    message[2] = UInt8(sum >> 8)
    message[3] = UInt8(sum & 0xFF)
    return ip(
      message, protocolNumber: isIPv6 ? 58 : 1, source: offender, destination: sender, identification: 0,
      dontFragment: false)
  }

  // MARK: IP

  private static func ip(
    _ payload: [UInt8], protocolNumber: UInt8, source: [UInt8], destination: [UInt8], identification: UInt16,
    dontFragment: Bool
  ) -> [UInt8] {
    if source.count == 16 {
      // Version 6, traffic class 0, flow label 0.
      return [0x60, 0, 0, 0] + be16(UInt16(truncatingIfNeeded: payload.count)) + [protocolNumber, ttl] + source
        + destination + payload
    }
    var header: [UInt8] = [0x45, 0] + be16(UInt16(truncatingIfNeeded: 20 + payload.count)) + be16(identification)
    header += (dontFragment ? [0x40, 0] : [0, 0]) + [ttl, protocolNumber, 0, 0] + source + destination
    let sum = checksum(header)
    header[10] = UInt8(sum >> 8)
    header[11] = UInt8(sum & 0xFF)
    return header + payload
  }

  // MARK: Checksums

  /// The checksum of a UDP/TCP/ICMPv6 message over its pseudo-header (RFC 768, 793, 8200 §8.1).
  static func transportChecksum(_ message: [UInt8], protocolNumber: UInt8, source: [UInt8], destination: [UInt8])
    -> UInt16
  {
    let pseudo: [UInt8]
    if source.count == 16 {
      pseudo = source + destination + be32(UInt32(message.count)) + [0, 0, 0, protocolNumber]
    } else {
      pseudo = source + destination + [0, protocolNumber] + be16(UInt16(truncatingIfNeeded: message.count))
    }
    return checksum(pseudo + message)
  }

  /// The Internet checksum (RFC 1071): ones' complement of the ones'-complement sum of 16-bit words.
  static func checksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var index = 0
    while index + 1 < bytes.count {
      sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
      index += 2
    }
    if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
    return ~UInt16(sum)
  }

  static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
  static func be32(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
  }
}
