import Foundation

/// What the threads of one program under test share: the spawn outcome and
/// the exit (from the supervisor thread), the output (from the reader thread).
///
/// `@unchecked Sendable`: every mutable field is read and written only while
/// `condition` is locked; waiters sleep on it with a deadline. A checked type
/// cannot do: `Mutex` (Synchronization) has no condition to wait on until a
/// deadline, and NSCondition, which has, does not hold the state it guards.
final class ProgramState: @unchecked Sendable {
  private let condition = NSCondition()

  private var spawned: Result<pid_t, ProgramError>?
  private var abandoned = false
  private var exit: ProgramExit?
  private var readerFinished = false
  private var readerShouldStop = false
  private var output = CapturedStream()
  private var errors = CapturedStream()
  private var matcher: LineMatcher?
  private var lineSeenAt: ContinuousClock.Instant?

  init(readyText: String?) {
    matcher = readyText.map { LineMatcher(needle: Array($0.utf8)) }
  }

  // MARK: Supervisor thread

  /// Records the spawn outcome. Returns false when `start` has already given up
  /// waiting: the caller must then kill what it started.
  func reportSpawn(_ result: Result<pid_t, ProgramError>) -> Bool {
    locked {
      spawned = result
      return !abandoned
    }
  }

  func reportExit(_ status: ProgramExit) { locked { exit = status } }

  // MARK: Reader thread

  func append(_ bytes: UnsafeRawBufferPointer, toStandardError: Bool) {
    locked {
      if toStandardError { errors.append(bytes) } else { output.append(bytes) }
      if lineSeenAt == nil, matcher?.feed(bytes, stream: toStandardError ? 1 : 0) == true {
        lineSeenAt = .now
      }
    }
  }

  var shouldStopReading: Bool { locked { readerShouldStop } }

  func reportReaderFinished() { locked { readerFinished = true } }

  // MARK: Waiting (any thread)

  /// Waits for the spawn outcome; nil if none came by `deadline` (then the
  /// supervisor kills the program as soon as it reports it).
  func waitForSpawn(until deadline: ContinuousClock.Instant) -> Result<pid_t, ProgramError>? {
    locked {
      _ = waitLocked(until: deadline) { spawned != nil }
      if spawned == nil { abandoned = true }
      return spawned
    }
  }

  /// Waits until the program has ended; returns how, or nil at `deadline`.
  func waitForExit(until deadline: ContinuousClock.Instant) -> ProgramExit? {
    locked {
      _ = waitLocked(until: deadline) { exit != nil }
      return exit
    }
  }

  /// Waits until the reader has closed both pipes (at end of file, or when told to stop).
  @discardableResult
  func waitForReader(until deadline: ContinuousClock.Instant) -> Bool {
    locked { waitLocked(until: deadline) { readerFinished } }
  }

  /// Sleeps until something is reported or `deadline`, whichever is first.
  func waitForNews(until deadline: ContinuousClock.Instant) {
    locked { _ = waitLocked(until: deadline, once: true) { false } }
  }

  func stopReading() { locked { readerShouldStop = true } }

  var exitStatus: ProgramExit? { locked { exit } }
  var readyLineSeenAt: ContinuousClock.Instant? { locked { lineSeenAt } }

  /// Standard output and standard error as the result keeps them.
  var outputTexts: (standardOutput: String, standardError: String) { locked { (output.text, errors.text) } }

  /// Both streams for an error message: the last few KiB of each, labelled.
  var outputForMessage: String {
    locked {
      let parts = [("stdout", output.tail), ("stderr", errors.tail)].filter { !$0.1.isEmpty }
      guard !parts.isEmpty else { return "(no output)" }
      return parts.map { "--- \($0.0) ---\n\($0.1)" }.joined(separator: "\n")
    }
  }

  // MARK: Locking

  private func locked<T>(_ body: () -> T) -> T {
    condition.lock()
    defer {
      condition.broadcast()
      condition.unlock()
    }
    return body()
  }

  /// Waits on the condition (locked) until `predicate` holds or `deadline`.
  /// Sleeps in slices of at most 50 ms: NSCondition takes a wall-clock Date,
  /// and a clock step must not stretch the bound.
  private func waitLocked(
    until deadline: ContinuousClock.Instant, once: Bool = false, _ predicate: () -> Bool
  ) -> Bool {
    while !predicate() {
      let remaining = ContinuousClock.now.duration(to: deadline)
      if remaining <= .zero { return false }
      let slice = min(remaining, .milliseconds(50))
      _ = condition.wait(until: Date(timeIntervalSinceNow: slice.inSeconds))
      if once { return predicate() }
    }
    return true
  }
}

/// One output stream: the first `ProgramOutputLimit.bytes` bytes kept, the rest counted.
struct CapturedStream {
  private(set) var kept: [UInt8] = []
  private(set) var dropped = 0

  mutating func append(_ bytes: UnsafeRawBufferPointer) {
    let room = max(0, ProgramOutputLimit.bytes - kept.count)
    kept.append(contentsOf: bytes.prefix(room))
    dropped += bytes.count - min(room, bytes.count)
  }

  var text: String {
    let body = String(decoding: kept, as: UTF8.self)
    guard dropped > 0 else { return body }
    return body + "\n[netdrill: output cut after \(ProgramOutputLimit.bytes) bytes; \(dropped) more bytes dropped]\n"
  }

  /// The last 4 KiB, for error messages.
  var tail: String {
    let limit = 4096
    let cut = dropped > 0 || kept.count > limit
    let body = String(decoding: kept.suffix(limit), as: UTF8.self)
    return cut ? "[netdrill: earlier output omitted]\n" + body : body
  }
}

/// Finds `needle` inside one line of either stream, as bytes arrive in any chunking.
struct LineMatcher {
  let needle: [UInt8]
  // The end of the current unfinished line of each stream, at most `needle.count` bytes.
  private var tails: [[UInt8]] = [[], []]

  init(needle: [UInt8]) { self.needle = needle }

  mutating func feed(_ bytes: UnsafeRawBufferPointer, stream: Int) -> Bool {
    if needle.isEmpty { return !bytes.isEmpty }
    var tail = tails[stream]
    defer { tails[stream] = tail }
    for byte in bytes {
      if byte == UInt8(ascii: "\n") {
        tail.removeAll(keepingCapacity: true)
        continue
      }
      tail.append(byte)
      if tail.count > needle.count { tail.removeFirst(tail.count - needle.count) }
      if tail.count == needle.count && tail == needle { return true }
    }
    return false
  }
}

extension Duration {
  /// This duration in seconds, as a Double (for messages and Date arithmetic).
  var inSeconds: Double {
    Double(components.seconds) + Double(components.attoseconds) / 1e18
  }

  /// This (non-negative) duration in whole nanoseconds.
  var wholeNanoseconds: UInt64 {
    UInt64(max(0, components.seconds)) * 1_000_000_000 + UInt64(max(0, components.attoseconds) / 1_000_000_000)
  }
}
