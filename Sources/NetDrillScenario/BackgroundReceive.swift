/// `{"receive_in_background": "server", "until": {"count": 1000, "idle": "200ms"}, "data": {"sequence": 64}}`:
/// from this step on, the socket receives on a thread of its own while the
/// following steps run, until a count of datagrams, an idle time, or the
/// `collect` step that ends it and records its totals.
public struct BackgroundReceiveStep: Sendable, Equatable {
  public var socket: String
  /// Stop after this many datagrams (every one received counts, duplicates too).
  public var count: Int?
  /// Stop once none came for this long (from the start, or the last datagram).
  public var idle: Duration?
  /// Buffer size per datagram (larger datagrams are truncated and counted corrupted).
  public var size: Int
  /// The sequence payload expected (`"data": {"sequence": 64}`): each datagram's
  /// number and fill are checked. Nil: datagrams are only counted.
  public var sequence: SequencePayload?

  public init(
    socket: String, count: Int? = nil, idle: Duration? = nil, size: Int = 2048, sequence: SequencePayload? = nil
  ) {
    self.socket = socket
    self.count = count
    self.idle = idle
    self.size = size
    self.sequence = sequence
  }
}

/// `{"collect": "server", "expect": {"received": 1000, "lost": 0}}`: waits
/// (up to the step's timeout) until the socket's background receiver has met
/// its `until`, stops it, and records its totals as this step's outcome.
public struct CollectStep: Sendable, Equatable {
  public var socket: String
  public var expect: ReceiverExpectation?

  public init(socket: String, expect: ReceiverExpectation? = nil) {
    self.socket = socket
    self.expect = expect
  }
}

/// What a background receiver's totals must say. Counts only: no time, no rate.
public struct ReceiverExpectation: Sendable, Equatable {
  public var received: CountExpectation?
  public var bytes: CountExpectation?
  public var lost: CountExpectation?
  public var duplicated: CountExpectation?
  public var reordered: CountExpectation?
  public var corrupted: CountExpectation?

  public init() {}
}
