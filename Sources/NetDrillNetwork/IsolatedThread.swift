import Foundation
import Glibc
import Synchronization

/// Runs work on a thread of its own and waits for it with a time bound.
///
/// Namespaces attach to threads, and the work here blocks in syscalls, so it
/// must never run on the shared Swift task pool: each run gets a fresh thread
/// that ends with the work, taking its namespace membership with it.
public enum IsolatedThread {
  /// Runs `body` on a new thread; throws `NetworkError.timedOut` if it has
  /// not finished within `timeout` (the thread is then abandoned; callers
  /// treat that as fatal for the run).
  public static func run<T: Sendable>(
    name: String, timeout: Duration, _ body: @escaping @Sendable () throws -> T
  ) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      box.set(Result { try body() })
      done.signal()
    }
    thread.name = name
    thread.stackSize = 8 << 20
    thread.start()
    let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
    guard done.wait(timeout: .now() + seconds) == .success else {
      throw NetworkError.timedOut(what: name, seconds: seconds)
    }
    return try box.get()
  }
}

/// Hands a result from the worker thread to the waiting one.
private final class ResultBox<T: Sendable>: Sendable {
  private let value = Mutex<Result<T, any Error>?>(nil)

  func set(_ result: sending Result<T, any Error>) {
    value.withLock { $0 = result }
  }

  func get() throws -> T {
    // Taken out (not copied): the error is handed to exactly one thread.
    guard
      let result = value.withLock({ value -> sending Result<T, any Error>? in
        defer { value = nil }
        return value
      })
    else { fatalError("ResultBox read before the thread finished") }
    return try result.get()
  }
}
