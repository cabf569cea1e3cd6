import Dispatch
import Foundation
import Glibc
import NetDrillScenario
import NetDrillSockets
import NetDrillSystem
import Synchronization

/// A socket draining datagrams on a thread of its own while a repeat runs:
/// recvmmsg in batches of 64 (MSG_DONTWAIT, poll(2) between), each datagram
/// counted by a `SequenceTracker`. It stops once the repeat has ended and it
/// has as many datagrams as the repeat sent, or when none came for `idle`
/// after the end.
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
  private let done = DispatchSemaphore(value: 0)
  private let running = DispatchSemaphore(value: 0)

  init(spec: BackgroundReceiverSpec, descriptor: Int32, layout: SequencePayload?, limit: Int) {
    name = spec.socket
    idle = spec.idle
    call = PreparedCall(
      kind: .recvmmsg, descriptor: descriptor, flags: MSG_DONTWAIT_FLAG, destination: nil, size: spec.size,
      batch: Self.batch)
    tracker = SequenceTracker(layout: layout, limit: limit)
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

  private func drain() {
    var idleSince: UInt64?
    let idleNanoseconds = UInt64(idle.nanoseconds)
    while true {
      switch call.call(count: Self.batch) {
      case .success(let count):
        for index in 0..<count { tracker.record(call.buffer(index), length: call.messageLength(index)) }
        idleSince = nil
        continue
      case .failure(let errno) where errno.rawValue == EAGAIN || errno.rawValue == EWOULDBLOCK:
        break
      case .failure(let errno):
        // An error the socket had queued (ECONNREFUSED from an ICMP error): counted, and receiving goes on.
        errors[errno.name, default: 0] += 1
        continue
      }
      let sent = expected.load(ordering: .acquiring)
      if sent >= 0 {
        if tracker.distinct + tracker.duplicated >= sent && tracker.distinct >= sent { return }
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
