import Dispatch
import Foundation
import Glibc
import NetDrillScenario
import NetDrillSockets
import NetDrillSystem
import Synchronization

/// A socket draining datagrams on a thread of its own while a repeat runs
/// (`receiver`) or while later steps run (`receive_in_background`): recvmmsg
/// in batches of 64 (MSG_DONTWAIT, poll(2) between), each datagram counted by
/// a `SequenceTracker`. A repeat's receiver stops once the repeat has ended
/// and it has as many datagrams as the repeat sent, or when none came for
/// `idle` after the end. A standalone one stops at its `count`, after `idle`
/// without a datagram (from its start), or when its `collect` stops it.
///
/// The thread touches only the descriptor and its own tracker; `finish`
/// hands the totals over after the thread has signalled it is done.
final class BackgroundReceiver: @unchecked Sendable {
  private static let batch = 64
  /// How long each poll waits while the repeat is still sending (so the end is noticed quickly).
  private static let pollSlice: Int32 = 10

  private let name: String
  private let call: PreparedCall
  private let idle: Duration
  private var tracker: SequenceTracker
  private var errors: [String: Int] = [:]
  /// Datagrams the repeat sent; -1 while it is still sending.
  private let expected = Atomic<Int>(-1)
  /// Standalone: stop after this many datagrams received.
  private let countLimit: Int?
  /// Standalone with `idle`: idle time counts from the start, not from the repeat's end.
  private let idleFromStart: Bool
  /// Set by `collect` when its bound passed: stop once nothing is queued.
  private let stopRequested = Atomic<Bool>(false)
  private let done = DispatchSemaphore(value: 0)
  private let running = DispatchSemaphore(value: 0)

  init(spec: BackgroundReceiverSpec, descriptor: Int32, layout: SequencePayload?, limit: Int) {
    name = spec.socket
    idle = spec.idle
    call = PreparedCall(
      kind: .recvmmsg, descriptor: descriptor, flags: MSG_DONTWAIT_FLAG, destination: nil, size: spec.size,
      batch: Self.batch)
    tracker = SequenceTracker(layout: layout, limit: limit)
    countLimit = nil
    idleFromStart = false
  }

  /// A `receive_in_background` receiver; `limit` bounds the sequence numbers it accepts.
  init(standalone step: BackgroundReceiveStep, descriptor: Int32, limit: Int) {
    name = step.socket
    idle = step.idle ?? .zero
    call = PreparedCall(
      kind: .recvmmsg, descriptor: descriptor, flags: MSG_DONTWAIT_FLAG, destination: nil, size: step.size,
      batch: Self.batch)
    tracker = SequenceTracker(layout: step.sequence, limit: step.count ?? limit)
    countLimit = step.count
    idleFromStart = step.idle != nil
  }

  /// Starts the thread and returns once it runs, so the repeat's first datagram finds it receiving.
  func start() {
    let thread = Thread { [self] in
      // Starved of CPU by a busy machine, it would let the socket's buffer overflow.
      ThreadPriority.raiseCallingThread()
      running.signal()
      drain()
      done.signal()
    }
    thread.name = "netdrill receiver \(name)"
    thread.start()
    running.wait()
  }

  /// Tells the receiver how many datagrams were sent, waits for it to stop and gives its totals.
  func finish(sent: Int) -> ReceiverOutcome {
    expected.store(sent, ordering: .releasing)
    done.wait()
    return ReceiverOutcome(
      socket: name, received: tracker.received, bytes: tracker.bytes, lost: max(0, sent - tracker.distinct),
      duplicated: tracker.duplicated, reordered: tracker.reordered, corrupted: tracker.corrupted, errors: errors)
  }

  /// Waits up to `bound` for a standalone receiver to meet its `until`, then
  /// stops it (what is already queued is still read) and gives its totals.
  /// `lost`: with sequence numbers, those below the highest seen that never
  /// arrived; with a count, at least the datagrams short of it.
  /// A receiver with neither `count` nor `idle` is stopped at once: it ran until collected.
  func collect(within bound: Duration) -> ReceiverOutcome {
    let waits = countLimit != nil || idleFromStart
    if !waits || done.wait(timeout: .now() + .nanoseconds(Int(clamping: bound.nanoseconds))) == .timedOut {
      stopRequested.store(true, ordering: .releasing)
      done.wait()
    }
    // Numbers never seen below the highest one, or the datagrams short of the count, whichever says more:
    // both may count one lost datagram, so they are not added.
    let gaps = tracker.layout == nil ? 0 : tracker.numbered - tracker.distinct
    let short = countLimit.map { $0 - tracker.received } ?? 0
    return ReceiverOutcome(
      socket: name, received: tracker.received, bytes: tracker.bytes, lost: max(0, gaps, short),
      duplicated: tracker.duplicated, reordered: tracker.reordered, corrupted: tracker.corrupted, errors: errors)
  }

  /// Stops the thread without waiting for its `until` and waits until it has.
  func stop() {
    stopRequested.store(true, ordering: .releasing)
    done.wait()
  }

  private func drain() {
    var idleSince: UInt64?
    let idleNanoseconds = UInt64(idle.nanoseconds)
    while true {
      // A count is met exactly: never read a datagram past it, a later step may want it.
      let wanted = countLimit.map { min(Self.batch, $0 - tracker.received) } ?? Self.batch
      if wanted <= 0 { return }
      switch call.call(count: wanted) {
      case .success(let count):
        for index in 0..<count { tracker.record(call.buffer(index), length: call.messageLength(index)) }
        idleSince = nil
        continue
      case .failure(let errno) where errno.rawValue == EAGAIN || errno.rawValue == EWOULDBLOCK:
        break
      case .failure(let errno) where errno.rawValue == EBADF || errno.rawValue == ENOTSOCK:
        // The socket was closed under the receiver (a failed run tearing down): nothing more to read.
        errors[errno.name, default: 0] += 1
        return
      case .failure(let errno):
        // An error the socket had queued (ECONNREFUSED from an ICMP error): counted, and receiving goes on.
        errors[errno.name, default: 0] += 1
        continue
      }
      if stopRequested.load(ordering: .acquiring) { return }
      let sent = expected.load(ordering: .acquiring)
      if sent >= 0, tracker.distinct + tracker.duplicated >= sent && tracker.distinct >= sent { return }
      if sent >= 0 || idleFromStart {
        let now = monotonicNanoseconds()
        if let since = idleSince {
          if now - since >= idleNanoseconds { return }
        } else {
          idleSince = now
        }
      }
      var entry = pollfd(fd: call.descriptor, events: Int16(POLLIN), revents: 0)
      _ = syscall { poll(&entry, 1, Self.pollSlice) }
    }
  }
}

let MSG_DONTWAIT_FLAG = Int32(MSG_DONTWAIT)
