/// Bytes a sent payload copies from the datagram its socket last received
/// (`"data": {"hex": "…", "echo": [{"from": 0, "to": 0, "length": 2}]}`).
///
/// Why: a recorded answer is only accepted when it carries values the
/// request made fresh — a DNS query ID, an NTP client's transmit timestamp
/// (echoed as the reply's origin timestamp). The recorded bytes hold the old
/// values; `echo` puts the live request's bytes in their place at run time.
public struct EchoRange: Sendable, Equatable {
  /// Offset of the first byte in the datagram last received on the sending socket.
  public var from: Int
  /// Offset where the copy goes in the payload sent.
  public var to: Int
  public var length: Int

  public init(from: Int, to: Int, length: Int) {
    self.from = from
    self.to = to
    self.length = length
  }

  /// `payload` with every range copied from `received`; nil when a range
  /// lies outside `received` (or outside `payload`).
  public static func apply(_ ranges: [EchoRange], from received: [UInt8], to payload: [UInt8]) -> [UInt8]? {
    var bytes = payload
    for range in ranges {
      guard range.from + range.length <= received.count, range.to + range.length <= bytes.count else { return nil }
      bytes.replaceSubrange(range.to..<range.to + range.length, with: received[range.from..<range.from + range.length])
    }
    return bytes
  }

  /// `bytes 0..1 → 0..1` as a person reads it (inclusive offsets).
  public var description: String {
    "bytes \(from)..\(from + length - 1) → \(to)..\(to + length - 1)"
  }
}
