import Dispatch
import Foundation
import Glibc
import NetDrillScenario
import NetDrillSockets
import NetDrillSystem
import Synchronization

/// A socket draining datagrams on a thread of its own while a repeat runs
/// (`receiver`) or while later steps run (`receive_in_background`): recvmmsg
/// in batches of 64, each datagram counted by a `SequenceTracker`. A repeat's
/// receiver stops once the repeat has ended and it has as many datagrams as
/// the repeat sent, or when none came for `idle` after the end. A standalone
/// one stops at its `count`, after `idle` without a datagram (from its
/// start), or when its `collect` stops it.
///
/// The thread touches only the descriptor and its own tracker; `finish`
/// hands the totals over after the thread has signalled it is done.
final class BackgroundReceiver: @unchecked Sendable {
  private static let batch = 64
  /// How long one wait for datagrams lasts while the repeat is still sending (so the end is noticed quickly).
  private static let waitSlice = Duration.milliseconds(10)

  private let name: String
  private let descriptor: Int32
  private let size: Int
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

  /// `sendTimes`: the repeat's send times when it has `"timestamps": true`.
  init(spec: BackgroundReceiverSpec, descriptor: Int32, layout: SequencePayload?, limit: Int, sendTimes: SendTimes?) {
    name = spec.socket
    self.descriptor = descriptor
    size = spec.size
    idle = spec.idle
    tracker = SequenceTracker(layout: layout, limit: limit, sendTimes: sendTimes)
    countLimit = nil
    idleFromStart = false
  }

  /// A `receive_in_background` receiver; `limit` bounds the sequence numbers it accepts.
  init(standalone step: BackgroundReceiveStep, descriptor: Int32, limit: Int) {
    name = step.socket
    self.descriptor = descriptor
    size = step.size
    idle = step.idle ?? .zero
    tracker = SequenceTracker(layout: step.sequence, limit: step.count ?? limit)
    countLimit = step.count
    idleFromStart = step.idle != nil
  }

  /// Starts the thread and returns once it runs, so the repeat's first datagram finds it receiving.
  func start() {
    let thread = Thread { [self] in
      // Starved of CPU by a busy machine, it would let the socket's buffer overflow.
      ThreadPriority.raiseCallingThread()
      // Set before the repeat starts and put back before `finish` returns: no step sees it.
      let bound = ReceiveTimeout(descriptor: descriptor, replacingWith: Self.waitSlice)
      running.signal()
      tracker = drain(tracker, bound: bound)
      bound.restore()
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
      duplicated: tracker.duplicated, reordered: tracker.reordered, corrupted: tracker.corrupted, errors: errors,
      latency: tracker.sendTimes == nil ? nil : tracker.latency.summary)
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

  /// The loop, with the tracker in a local variable: a stored property of a
  /// class would cost a run-time exclusivity check for every datagram.
  ///
  /// Like the C reference (shared/bench/udp_limit.c) it makes one call per
  /// wake-up: a blocking recvmmsg with MSG_WAITFORONE returns as soon as one
  /// datagram is there, with every other one already queued. The wait is
  /// bounded by SO_RCVTIMEO, set for the drain and restored after, so the end
  /// of the repeat is noticed. A socket the scenario made non-blocking never
  /// waits in the call, so it waits in poll(2) instead.
  private func drain(_ initial: SequenceTracker, bound: ReceiveTimeout) -> SequenceTracker {
    var tracker = initial
    let call = PreparedCall(
      kind: .recvmmsg, descriptor: descriptor, flags: bound.isSet ? MSG_WAITFORONE_FLAG : MSG_DONTWAIT_FLAG,
      destination: nil, size: size, batch: Self.batch)
    var idleSince: UInt64?
    // One clock reading per batch, and none at all without timestamps.
    let timed = tracker.sendTimes != nil
    let idleNanoseconds = UInt64(idle.nanoseconds)
    while true {
      // A count is met exactly: never read a datagram past it, a later step may want it.
      let wanted = countLimit.map { min(Self.batch, $0 - tracker.received) } ?? Self.batch
      if wanted <= 0 { return tracker }
      switch call.call(count: wanted) {
      case .success(let count):
        let now = timed ? monotonicNanoseconds() : 0
        for index in 0..<count { tracker.record(call.buffer(index), length: call.messageLength(index), at: now) }
        idleSince = nil
        continue
      case .failure(let errno) where errno.rawValue == EAGAIN || errno.rawValue == EWOULDBLOCK:
        break
      case .failure(let errno) where errno.rawValue == EBADF || errno.rawValue == ENOTSOCK:
        // The socket was closed under the receiver (a failed run tearing down): nothing more to read.
        errors[errno.name, default: 0] += 1
        return tracker
      case .failure(let errno):
        // An error the socket had queued (ECONNREFUSED from an ICMP error): counted, and receiving goes on.
        errors[errno.name, default: 0] += 1
        continue
      }
      if stopRequested.load(ordering: .acquiring) { return tracker }
      let sent = expected.load(ordering: .acquiring)
      if sent >= 0, tracker.distinct + tracker.duplicated >= sent && tracker.distinct >= sent { return tracker }
      if sent >= 0 || idleFromStart {
        let now = monotonicNanoseconds()
        if let since = idleSince {
          if now - since >= idleNanoseconds { return tracker }
        } else {
          idleSince = now
        }
      }
      // Only when the call did not wait itself (checked here, on the idle path: a step may set O_NONBLOCK).
      let nonBlocking = (try? syscall({ fcntl(descriptor, F_GETFL) }).get()).map { $0 & O_NONBLOCK != 0 } ?? true
      if !bound.isSet || nonBlocking {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        _ = syscall { poll(&entry, 1, Int32(Self.waitSlice.nanoseconds / 1_000_000)) }
      }
    }
  }
}

/// A socket's SO_RCVTIMEO replaced for a while, then put back as it was.
private struct ReceiveTimeout {
  let descriptor: Int32
  let previous: timeval
  /// False when the socket refused the new timeout: the caller must bound its waits itself.
  let isSet: Bool

  init(descriptor: Int32, replacingWith slice: Duration) {
    self.descriptor = descriptor
    var old = timeval()
    var length = socklen_t(MemoryLayout<timeval>.size)
    let read = syscall { getsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &old, &length) }
    previous = old
    var new = timeval(tv_sec: 0, tv_usec: Int(slice.nanoseconds / 1000))
    let size = socklen_t(MemoryLayout<timeval>.size)
    isSet =
      (try? read.get()) != nil
      && (try? syscall({ setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &new, size) }).get()) != nil
  }

  func restore() {
    guard isSet else { return }
    var old = previous
    _ = syscall { setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &old, socklen_t(MemoryLayout<timeval>.size)) }
  }
}

let MSG_DONTWAIT_FLAG = Int32(MSG_DONTWAIT)
let MSG_WAITFORONE_FLAG = Int32(MSG_WAITFORONE)
