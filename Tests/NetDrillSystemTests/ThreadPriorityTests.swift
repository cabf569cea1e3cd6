import Foundation
import NetDrillSystem
import NetDrillTestSupport
import Testing

/// The receiver and capture threads ask for nice -10 so a busy machine does
/// not starve them into dropping; the rest of netdrill keeps its priority.
@Suite("Thread priority")
struct ThreadPriorityTests {
  @Test("raising a thread gives it nice -10 and leaves the thread that started it as it was", .privileged)
  func raisesOnlyTheCallingThread() throws {
    let before = ThreadPriority.callingThreadNice
    let result = ThreadResult()
    let thread = Thread {
      let accepted = ThreadPriority.raiseCallingThread()
      result.set(accepted: accepted, nice: ThreadPriority.callingThreadNice)
    }
    thread.start()
    let (accepted, nice) = try #require(result.wait())
    #expect(accepted)
    #expect(nice == ThreadPriority.urgentNice)
    #expect(ThreadPriority.callingThreadNice == before)
  }
}

/// What the raised thread saw, handed over once.
private final class ThreadResult: @unchecked Sendable {
  private let lock = NSCondition()
  private var value: (Bool, Int32)?

  func set(accepted: Bool, nice: Int32) {
    lock.lock()
    value = (accepted, nice)
    lock.signal()
    lock.unlock()
  }

  func wait() -> (Bool, Int32)? {
    lock.lock()
    defer { lock.unlock() }
    let deadline = Date(timeIntervalSinceNow: 5)
    while value == nil, lock.wait(until: deadline) {}
    return value
  }
}
