import NetDrillSockets

/// What one step did, as the kernel reported it: the call with its arguments
/// resolved to concrete addresses, the return value or errno, what was read,
/// and each expectation checked against it.
public struct StepOutcome: Sendable, Codable, Equatable {
  /// The step that made the call, or set-up (faults, programs, declared
  /// sockets) or tear-down (stopping programs).
  public var step: StepPhase
  public var verb: String
  public var socket: String?
  /// The call as made, e.g. `sendto(client, 5 bytes "hello", 127.0.0.1:9)`.
  public var call: String
  /// The return value (bytes, message count, 0), or a stopped program's exit
  /// status. Nil when the call failed, and for socket() and accept(): the new
  /// descriptor's number depends on what else is open, so it is not reported.
  public var returned: Int?
  /// The errno name when the call failed.
  public var error: String?
  /// True when a blocking call hit the step's time bound (the kernel answered
  /// EAGAIN, EINPROGRESS or EALREADY), or a poll saw no event within it.
  public var timedOut: Bool?
  /// Bytes received (or the first message's, for recvmmsg).
  public var data: OutcomeBytes?
  /// Sender of received data or peer of an accepted connection, concrete and symbolic.
  public var from: String?
  public var fromName: String?
  /// `msg_flags` set by the kernel, by name.
  public var flags: [String]?
  /// getsockopt's value, or how a stopped program ended.
  public var value: String?
  /// getsockname/getpeername's address, concrete and symbolic.
  public var address: String?
  public var addressName: String?
  public var revents: [String]?
  public var extendedError: ExtendedErrorOutcome?
  /// recvmsg: the control messages received, decoded by name (IP_RECVERR's is `extendedError`).
  public var control: [ControlOutcome]?
  /// recvmmsg: the messages received, the first ``MessagesDigest/keptMessages`` of them.
  public var messages: [MessageOutcome]?
  /// `repeat`: the totals of every call it made (see `RepetitionOutcome`).
  public var repetition: RepetitionOutcome?
  /// `collect`: the totals of a `receive_in_background` receiver.
  public var background: ReceiverOutcome?
  /// recvmmsg: the messages after those, counted and digested; nil when there were no more.
  public var moreMessages: MessagesDigest?
  /// CLOCK_REALTIME nanoseconds around the call (the same clock as packet timestamps).
  public var startNanoseconds: UInt64
  public var endNanoseconds: UInt64
  public var checks: [ExpectationCheck]
  public var note: String?
  /// The step's `id`, when the scenario labels it.
  public var id: String?

  public var passed: Bool { checks.allSatisfy(\.passed) }

  public init(step: StepPhase, verb: String, socket: String?, call: String, startNanoseconds: UInt64) {
    self.step = step
    self.verb = verb
    self.socket = socket
    self.call = call
    self.startNanoseconds = startNanoseconds
    self.endNanoseconds = startNanoseconds
    self.checks = []
  }

  /// The control messages received, `SO_RXQ_OVFL 17, IP_TTL 64`; nil when none.
  public var controlText: String? {
    guard let control, !control.isEmpty else { return nil }
    return control.map(\.description).joined(separator: ", ")
  }

  /// `#3`, or `#3 rx_a` when the step has an id; `setup`, `end`. Escaped for
  /// the terminal (a trace's manifest is untrusted).
  public var label: String {
    step.label { number in id.map { "#\(number) \(TerminalText.escape($0))" } ?? "#\(number)" }
  }

  /// A short text of the result: `5`, `ok`, `ECONNREFUSED`, `EAGAIN (timed out)`.
  public var resultText: String {
    if let error { return timedOut == true ? "\(error) (timed out)" : error }
    return returned.map(String.init) ?? "ok"
  }

  /// ``resultText`` with what came with it, as `show` and the ladder page print
  /// a step: data, source, control messages, a repeat's or a background
  /// receiver's totals. Not escaped (the caller escapes for its medium).
  public var timelineResult: String {
    var result = resultText
    if let data { result += "  \(data)" }
    if let from = fromName ?? from { result += "  from \(from)" }
    if let controlText { result += "  control \(controlText)" }
    if let repetition { result += "  " + repetition.summary }
    if let background { result += "  " + background.summary }
    return result
  }
}

/// Bytes with a readable text form when they are printable.
public struct OutcomeBytes: Sendable, Codable, Equatable, CustomStringConvertible {
  public var hex: String
  public var text: String?
  public var count: Int

  public init(_ bytes: [UInt8]) {
    count = bytes.count
    hex = bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    let printable = bytes.allSatisfy { (0x20...0x7e).contains($0) || $0 == 0x0a || $0 == 0x09 }
    text = printable ? String(decoding: bytes, as: UTF8.self) : nil
  }

  /// The bytes again, from `hex` (a trace's manifest keeps only the text forms).
  public var bytes: [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(hex.utf8.count / 2)
    var high: UInt8?
    for digit in hex.utf8 {
      guard let value = UInt8(String(UnicodeScalar(digit)), radix: 16) else { continue }
      if let first = high {
        bytes.append(first << 4 | value)
        high = nil
      } else {
        high = value
      }
    }
    return bytes
  }

  /// Terminal-safe and the same in every report (`TerminalText.payload`):
  /// `5 bytes "hello"`, or hex when any byte is not printable.
  public var description: String { TerminalText.payload(bytes, textLimit: 40, hexLimit: 16) }
}

extension String {
  func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}

public struct MessageOutcome: Sendable, Codable, Equatable {
  public var returned: Int
  public var data: OutcomeBytes
  public var from: String?
  public var fromName: String?
  public var flags: [String]
}

public struct ExtendedErrorOutcome: Sendable, Codable, Equatable {
  public var errno: String
  public var origin: String
  public var type: Int
  public var code: Int
  public var info: Int
  /// `ee_data`; nil in traces recorded before it was kept.
  public var data: Int?
  public var offender: String?

  public init(errno: String, origin: String, type: Int, code: Int, info: Int, data: Int?, offender: String?) {
    self.errno = errno
    self.origin = origin
    self.type = type
    self.code = code
    self.info = info
    self.data = data
    self.offender = offender
  }
}

/// One expectation of a step against what happened.
public struct ExpectationCheck: Sendable, Codable, Equatable {
  /// The expectation's key (`error`, `returns`, `data`, ...).
  public var field: String
  public var expected: String
  public var actual: String
  public var passed: Bool
  /// True when the expectation admits more than one value (a range, a set):
  /// two passing runs may differ in what it covers, so the golden comparison
  /// leaves that out (see `TraceDiff`). Nil (false) in older traces.
  public var admitsSeveral: Bool?

  public init(field: String, expected: String, actual: String, passed: Bool, admitsSeveral: Bool? = nil) {
    self.field = field
    self.expected = expected
    self.actual = actual
    self.passed = passed
    self.admitsSeveral = admitsSeveral
  }
}

/// The environment a run happened in, kept with its outcomes.
public struct RunEnvironment: Sendable, Codable, Equatable {
  public var kernelRelease: String
  public var toolVersion: String
  /// `private` (fresh namespaces) or `host`.
  public var network: String
}

/// Everything a run produced.
public struct RunResult: Sendable, Codable {
  public var scenarioName: String
  public var scenarioPath: String?
  /// Set-up calls first, then the outcomes of each step in order (a socket
  /// step's declared options add one each), then tear-down.
  public var outcomes: [StepOutcome]
  /// Concrete `address:port` → symbolic name (`client`, `server`, `$closed`).
  public var names: [String: String]
  /// The port that stood for `$closed`.
  public var closedPort: UInt16
  /// The ports that stood for `$closed.NAME`, by NAME; nil when none.
  public var namedClosedPorts: [String: UInt16]?
  public var environment: RunEnvironment
  public var startNanoseconds: UInt64
  public var endNanoseconds: UInt64
  /// Each name's concrete addresses at the end of the run (sockets, accepted
  /// sockets sharing a listener's address, remembered addresses), for matching packets.
  public var aliases: [String: [String]]?
  /// The verdicts on `expect_packets`, from the run's capture; nil when the
  /// scenario expects no packets (or the run was not captured).
  public var packetChecks: [PacketCheck]?

  /// True when every expectation held, packets included.
  public var passed: Bool { outcomes.allSatisfy(\.passed) && (packetChecks ?? []).allSatisfy(\.passed) }
  public var failedChecks: Int {
    outcomes.reduce(0) { $0 + $1.checks.filter { !$0.passed }.count } + (packetChecks ?? []).filter { !$0.passed }.count
  }
  public var totalChecks: Int { outcomes.reduce(0) { $0 + $1.checks.count } + (packetChecks?.count ?? 0) }
}
