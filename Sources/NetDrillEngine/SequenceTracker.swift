import Glibc
import NetDrillScenario

/// Counts datagrams as they arrive and, for sequence payloads, tells
/// duplicates, reordering and damage apart. Memory: one bit per sequence
/// number seen (1.25 MB for 10M datagrams), grown in whole words as numbers rise.
struct SequenceTracker {
  /// The payload the repeat sends; nil: datagrams are only counted.
  let layout: SequencePayload?
  private(set) var received = 0
  private(set) var bytes = 0
  private(set) var distinct = 0
  private(set) var duplicated = 0
  private(set) var reordered = 0
  private(set) var corrupted = 0
  private var seen: [UInt64] = []
  private var highest: UInt64?
  /// With `"timestamps": true`: the repeat's send times, and the latencies measured against them.
  let sendTimes: SendTimes?
  private(set) var latency = LatencyHistogram()

  /// Numbers at or above it cannot have been sent: counted as damage.
  private let limit: UInt64

  init(layout: SequencePayload?, limit: Int, sendTimes: SendTimes? = nil) {
    self.layout = layout
    self.sendTimes = sendTimes
    self.limit = UInt64(max(limit, 1))
  }

  /// One more than the highest sequence number seen: how many a sender numbering from 0 sent at least.
  var numbered: Int { highest.map { Int(clamping: $0) + 1 } ?? 0 }

  /// `now`: when the datagram's batch was read (CLOCK_MONOTONIC ns), read only with `sendTimes`.
  mutating func record(_ datagram: UnsafeRawPointer, length: Int, at now: UInt64 = 0) {
    received += 1
    bytes += length
    guard let layout else {
      distinct += 1
      return
    }
    guard length == layout.size else {
      corrupted += 1
      return
    }
    let fillMatches = layout.fill.withUnsafeBytes { fill in
      fill.isEmpty || memcmp(datagram + SequencePayload.numberSize, fill.baseAddress!, fill.count) == 0
    }
    guard fillMatches else {
      corrupted += 1
      return
    }
    let number = SequencePayload.read(from: datagram)
    // A number beyond any a repeat could send is damage, not a datagram to remember.
    guard number < limit else {
      corrupted += 1
      return
    }
    if let sendTimes, let nanoseconds = sendTimes.latency(of: number, at: now) { latency.record(nanoseconds) }
    let word = Int(number >> 6)
    let bit = UInt64(1) << (number & 63)
    if word >= seen.count { seen += [UInt64](repeating: 0, count: max(word + 1 - seen.count, seen.count)) }
    if seen[word] & bit != 0 {
      duplicated += 1
      return
    }
    seen[word] |= bit
    distinct += 1
    if let highest, number < highest { reordered += 1 }
    highest = max(highest ?? number, number)
  }
}
