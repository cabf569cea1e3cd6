/// The one outcome of a `repeat`: totals, never one entry per call, so a
/// trace's manifest stays the same size whatever the count.
///
/// `elapsedNanoseconds` (and the rates made from it) differ from run to run:
/// no expectation and no trace comparison reads them.
public struct RepetitionOutcome: Sendable, Codable, Equatable {
  /// Calls that failed with one errno: how many, and the iteration (0-based) of the first.
  public struct ErrorTally: Sendable, Codable, Equatable {
    public var errno: String
    public var count: Int
    public var first: Int
  }

  public var id: String?
  public var iterations: Int
  /// Calls made (every step of the body, each iteration).
  public var calls: Int
  /// Datagrams the successful calls moved (a sendmmsg moves several).
  public var datagrams: Int
  /// Payload bytes the successful calls moved.
  public var bytes: Int
  public var errors: [ErrorTally]
  public var elapsedNanoseconds: UInt64
  /// True when the body ran as a native loop (one prepared call).
  public var native: Bool
  public var receiver: ReceiverOutcome?
  /// With `until`: whether its condition held (at iteration `iterations`); nil without one.
  public var untilMet: Bool?

  /// Datagrams (or calls, when none moved a datagram) a second.
  public var rate: Double {
    guard elapsedNanoseconds > 0 else { return 0 }
    return Double(datagrams > 0 ? datagrams : calls) / (Double(elapsedNanoseconds) / 1e9)
  }

  public func count(of errno: String) -> Int { errors.first { $0.errno == errno }?.count ?? 0 }

  /// `100000 calls, 6400000 bytes in 0.412 s (242,718/s); ECONNREFUSED ×3 (first #1)`.
  public var summary: String {
    var text = "\(calls) calls, \(datagrams) datagrams, \(bytes) bytes in \(Self.seconds(elapsedNanoseconds)) s"
    text += " (\(Self.grouped(Int(rate.rounded())))/s)"
    for tally in errors { text += "; \(tally.errno) ×\(tally.count) (first #\(tally.first))" }
    if let receiver { text += "; " + receiver.summary }
    if let untilMet {
      text += untilMet ? "; until met at iteration \(iterations)" : "; until not met in \(iterations) iterations"
    }
    return text
  }

  static func seconds(_ nanoseconds: UInt64) -> String {
    let milliseconds = Int((Double(nanoseconds) / 1e6).rounded())
    let fraction = String(milliseconds % 1000)
    return "\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
  }

  static func grouped(_ value: Int) -> String {
    let digits = Array(String(value))
    var out = ""
    for (index, digit) in digits.enumerated() {
      if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
      out.append(digit)
    }
    return out
  }
}

/// What a background receiver saw while a repeat ran.
public struct ReceiverOutcome: Sendable, Codable, Equatable {
  public var socket: String
  public var received: Int
  public var bytes: Int
  /// Datagrams the repeat sent that never arrived (sent − distinct received).
  public var lost: Int
  /// Arrivals of a sequence number already seen.
  public var duplicated: Int
  /// Arrivals of a number below the highest seen so far.
  public var reordered: Int
  /// Datagrams whose length or fill is not the sequence payload the repeat sends.
  public var corrupted: Int
  /// The receive call's errors other than "nothing to read yet", by errno.
  public var errors: [String: Int]
  /// With `"timestamps": true`: latency percentiles (absent otherwise, so traces without it are unchanged).
  public var latency: LatencySummary? = nil

  public var summary: String {
    var text =
      "\(socket) received \(received) (\(bytes) bytes), lost \(lost), duplicated \(duplicated), reordered \(reordered)"
    if corrupted > 0 { text += ", corrupted \(corrupted)" }
    for (errno, count) in errors.sorted(by: { $0.key < $1.key }) { text += ", \(errno) ×\(count)" }
    if let latency { text += "; " + latency.text }
    return text
  }
}

/// After a run with several repeats: each one's time and rate against the
/// first's, e.g. connected send against unconnected sendto.
enum RepetitionComparison {
  static func lines(_ repetitions: [RepetitionOutcome]) -> [String] {
    guard repetitions.count >= 2, let first = repetitions.first, first.elapsedNanoseconds > 0 else { return [] }
    var lines = ["    repeats (time relative to the first):"]
    for (index, repetition) in repetitions.enumerated() {
      let name = TerminalText.escape(repetition.id ?? "#\(index + 1)")
      let ratio = Double(repetition.elapsedNanoseconds) / Double(first.elapsedNanoseconds)
      let rounded = (ratio * 1000).rounded() / 1000
      lines.append(
        "      \(name): \(RepetitionOutcome.seconds(repetition.elapsedNanoseconds)) s, "
          + "\(RepetitionOutcome.grouped(Int(repetition.rate.rounded())))/s, \(rounded)× the time of \(TerminalText.escape(first.id ?? "#1"))"
      )
    }
    return lines
  }
}
