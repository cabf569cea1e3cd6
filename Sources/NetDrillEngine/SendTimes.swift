import Synchronization

/// When each numbered datagram of a repeat was sent, for its background
/// receiver to measure latency: the sender and the receiver are threads of
/// this process, so the send time stays out of the payload (and the trace
/// stays the same from run to run).
///
/// A fixed ring of 65,536 slots indexed by the low bits of the sequence
/// number, allocated once before the loop. Each slot is one atomic word: the
/// number's next 20 bits as a tag and the send time (44 bits of nanoseconds
/// since the ring was made, 4.8 hours) — one word, so a reader never sees the
/// tag of one send with the time of another. Written (release) just before
/// the send call, read (acquire) after the receive; a slot already reused by
/// a number 65,536 later is told apart by its tag and not measured.
final class SendTimes: @unchecked Sendable {
  static let capacity = 65_536
  private static let indexBits: UInt64 = 16
  private static let timeBits: UInt64 = 44
  private static let timeMask: UInt64 = (1 << timeBits) - 1
  private static let tagMask: UInt64 = (1 << (64 - timeBits)) - 1
  private static let empty = UInt64.max

  /// CLOCK_MONOTONIC nanoseconds the stored times count from.
  let origin: UInt64
  private let slots: UnsafeMutablePointer<Atomic<UInt64>>

  init() {
    origin = monotonicNanoseconds()
    slots = .allocate(capacity: Self.capacity)
    for index in 0..<Self.capacity { (slots + index).initialize(to: Atomic(Self.empty)) }
  }

  deinit {
    slots.deinitialize(count: Self.capacity)
    slots.deallocate()
  }

  /// `sequence` is about to be sent at `now` (CLOCK_MONOTONIC nanoseconds).
  @inline(__always)
  func record(_ sequence: UInt64, at now: UInt64) {
    let tag = (sequence >> Self.indexBits) & Self.tagMask
    let word = tag << Self.timeBits | ((now &- origin) & Self.timeMask)
    slots[Int(truncatingIfNeeded: sequence & (UInt64(Self.capacity) - 1))].store(word, ordering: .releasing)
  }

  /// Nanoseconds from `sequence`'s send to `now`; nil when its slot holds another number (or none).
  @inline(__always)
  func latency(of sequence: UInt64, at now: UInt64) -> UInt64? {
    let word = slots[Int(truncatingIfNeeded: sequence & (UInt64(Self.capacity) - 1))].load(ordering: .acquiring)
    guard word != Self.empty, word >> Self.timeBits == (sequence >> Self.indexBits) & Self.tagMask else { return nil }
    let sent = word & Self.timeMask
    let received = (now &- origin) & Self.timeMask
    return received >= sent ? received - sent : nil
  }
}
