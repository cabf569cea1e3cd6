import NetDrillSockets

/// A `repeat` step: its body (ordinary steps) run again and again, until a
/// count of iterations, a duration, or both (whichever comes first), paced at
/// a rate when one is given. The whole repeat records one aggregate outcome.
///
/// A body of one send or receive call runs as a native loop (no outcome,
/// string or allocation per iteration); any other body runs its steps
/// through the ordinary executor, still aggregated into one outcome.
public struct Repetition: Sendable, Equatable {
  /// How fast iterations may go: datagrams (or, for a receive, calls) per
  /// second, or payload bytes per second.
  public enum Rate: Sendable, Equatable, CustomStringConvertible {
    case datagrams(perSecond: Double)
    case bytes(perSecond: Double)

    public var description: String {
      switch self {
      case .datagrams(let rate): return "\(Self.number(rate))/s"
      case .bytes(let rate): return "\(Self.number(rate))B/s"
      }
    }

    private static func number(_ value: Double) -> String {
      value == value.rounded() && value < 1e15 ? String(Int64(value)) : String(value)
    }
  }

  /// Iterations (calls of a one-call body); nil: until `duration`.
  public var count: Int?
  public var rate: Rate?
  /// The longest the repeat may run; nil: until `count`.
  public var duration: Duration?
  /// The name shown for the repeat in output (`"id"`).
  public var id: String?
  public var body: [Step]
  /// A socket that receives concurrently while the body runs.
  public var receiver: BackgroundReceiverSpec?
  public var expect: RepetitionExpectation?
  /// Ends the loop at the first iteration where a body step's outcome meets it.
  public var until: RepetitionUntil?
  /// `"timestamps": true`: the receiver measures each datagram's latency (send call to its batch's read).
  public var timestamps = false

  public init(
    count: Int?, rate: Rate? = nil, duration: Duration? = nil, id: String? = nil, body: [Step],
    receiver: BackgroundReceiverSpec? = nil, expect: RepetitionExpectation? = nil, until: RepetitionUntil? = nil
  ) {
    self.count = count
    self.rate = rate
    self.duration = duration
    self.id = id
    self.body = body
    self.receiver = receiver
    self.expect = expect
    self.until = until
  }
}

/// `"receiver": "server"` or `{"socket": "server", "idle": "200ms", "size": 2048}`:
/// the socket drains datagrams on a thread of its own from the start of the
/// repeat until it has every datagram the repeat sent, or none came for `idle`
/// after the repeat's last call.
public struct BackgroundReceiverSpec: Sendable, Equatable {
  public var socket: String
  public var idle: Duration
  /// Buffer size per datagram (larger datagrams are truncated and counted corrupted).
  public var size: Int

  public init(socket: String, idle: Duration = .milliseconds(200), size: Int = 2048) {
    self.socket = socket
    self.idle = idle
    self.size = size
  }
}

/// A number a count must be: exactly (`5`) or within bounds (`{"min": 1, "max": 9}`).
public struct CountExpectation: Sendable, Equatable, CustomStringConvertible {
  public var min: Int?
  public var max: Int?

  public init(min: Int?, max: Int?) {
    self.min = min
    self.max = max
  }

  public static func exactly(_ value: Int) -> CountExpectation { CountExpectation(min: value, max: value) }

  public func holds(_ value: Int) -> Bool {
    (min.map { value >= $0 } ?? true) && (max.map { value <= $0 } ?? true)
  }

  public var description: String {
    if let min, let max, min == max { return String(min) }
    return [min.map { "≥ \($0)" }, max.map { "≤ \($0)" }].compactMap { $0 }.joined(separator: " and ")
  }
}

/// What a repeat's aggregate outcome must say. Rates and elapsed time are
/// deliberately not expectable: they differ from run to run.
public struct RepetitionExpectation: Sendable, Equatable {
  public struct ErrorCount: Sendable, Equatable {
    public var errno: Errno
    public var count: CountExpectation
    public init(errno: Errno, count: CountExpectation) {
      self.errno = errno
      self.count = count
    }
  }

  public var calls: CountExpectation?
  public var bytes: CountExpectation?
  /// Per errno: how many calls failed with it (`{"min": 0, "max": 0}` says none did).
  public var errors: [ErrorCount]?
  /// On the background receiver's totals, as a `collect` has them (`received`,
  /// `lost`, `duplicated`, `reordered`; a repeat's `bytes` are the calls').
  public var receiver = ReceiverExpectation()
  /// With `"timestamps": true`: bounds on the receiver's latency percentiles.
  public var latency: [LatencyBound]?

  public init() {}
}
