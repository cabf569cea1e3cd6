import NetDrillScenario
import NetDrillTrace

/// Where a recorded answer must carry a value its request made fresh, so a
/// recorded responder copies it from the live request (`echo` in a sent
/// payload) instead of sending the captured one:
/// - DNS (port 53 or 5353): the 16-bit ID, bytes 0..1 (2..3 over TCP, after
///   the length prefix), when the captured answer's ID equals the query's;
/// - NTP (port 123, client mode 3 answered in server mode 4): the request's
///   transmit timestamp (bytes 40..47) as the reply's origin timestamp
///   (bytes 24..31), when the capture shows them equal.
/// Nothing else is guessed: a protocol not named here is replayed byte for byte.
enum FreshValueEcho {
  static let dnsPorts: Set<UInt16> = [53, 5353]
  static let ntpPort: UInt16 = 123

  /// The ranges `reply` copies from `request` (the datagram or stream piece
  /// its sender last received), or [] when the protocol needs none.
  static func ranges(
    request: [UInt8], reply: [UInt8], flowProtocol: FlowProtocol, ports: (UInt16, UInt16)
  ) -> [EchoRange] {
    let portSet: Set<UInt16> = [ports.0, ports.1]
    if !portSet.isDisjoint(with: dnsPorts) {
      let offset = flowProtocol == .tcp ? 2 : 0  // DNS over TCP: a 2-byte length first (RFC 1035 §4.2.2)
      guard request.count >= offset + 12, reply.count >= offset + 12,
        request[offset + 2] & 0x80 == 0, reply[offset + 2] & 0x80 != 0,  // QR: query, then response
        request[offset..<offset + 2] == reply[offset..<offset + 2]
      else { return [] }
      return [EchoRange(from: offset, to: offset, length: 2)]
    }
    if flowProtocol == .udp, portSet.contains(ntpPort) {
      guard request.count >= 48, reply.count >= 48, request[0] & 0x07 == 3, reply[0] & 0x07 == 4,
        request[40..<48] == reply[24..<32]
      else { return [] }
      return [EchoRange(from: 40, to: 24, length: 8)]
    }
    return []
  }

  /// `bytes` with the ranges a reply's echo writes set to zero: what stays
  /// comparable between a capture and a replay whose client picked fresh values.
  static func masked(_ bytes: [UInt8], _ ranges: [EchoRange]) -> [UInt8] {
    var copy = bytes
    for range in ranges where range.to + range.length <= copy.count {
      copy.replaceSubrange(range.to..<range.to + range.length, with: repeatElement(0, count: range.length))
    }
    return copy
  }
}
