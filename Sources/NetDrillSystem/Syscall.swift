import Glibc

// The one door to the kernel. Every raw call netdrill makes goes through
// `syscall` (or, for files and pipes, through `FileDescriptor`, which uses
// swift-system's `valueOrErrno(retryOnInterrupt:)`): `errno` is read at once
// when a call returns -1, and EINTR is retried here and nowhere else, because
// a signal is never a scenario outcome. The shape follows swift-system's
// `valueOrErrno(retryOnInterrupt:)` and swift-nio's `NIOPosix/System.swift`.

/// Runs a raw call, reads `errno` at once when it returns -1, and retries it
/// when it was interrupted by a signal (EINTR) unless `retryOnInterrupt` is false.
///
/// For a scenario step an errno is a *result*, not a failure, so this returns
/// `Result` instead of throwing; callers that cannot go on use `.get()` or `orThrow`.
///
/// Inlinable so a caller in another module gets it specialised for its
/// integer type: unspecialised, every call looked up `Result<T, Errno>`'s
/// metadata at run time, a cost a repeat loop paid per datagram.
@inlinable @inline(__always)
public func syscall<T: FixedWidthInteger>(
  retryOnInterrupt: Bool = true, _ body: () -> T
) -> Result<T, Errno> {
  while true {
    let value = body()
    if value == -1 {
      let error = Errno.current
      if retryOnInterrupt && error == .EINTR { continue }
      return .failure(error)
    }
    return .success(value)
  }
}

/// Sleeps the calling thread for `nanoseconds`, the whole time: a signal
/// interrupting nanosleep(2) resumes the sleep with the time that was left.
public func sleepThread(nanoseconds: Int64) {
  guard nanoseconds > 0 else { return }
  var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
  var remaining = timespec()
  while nanosleep(&request, &remaining) == -1 && Errno.current == .EINTR { request = remaining }
}

/// Waits for the child `pid` to change state (waitpid(2)), retrying EINTR.
/// Returns the pid reaped, or 0 with `WNOHANG` when it is still running.
public func waitForChild(_ pid: pid_t, status: inout Int32, options: Int32 = 0) -> Result<pid_t, Errno> {
  syscall { waitpid(pid, &status, options) }
}

/// Closes a raw descriptor. close(2) is never retried on EINTR on Linux: the
/// descriptor is released either way, and a retry could close a descriptor
/// another thread has just been given.
public func closeDescriptor(_ descriptor: Int32) {
  _ = Glibc.close(descriptor)
}

extension Errno: Error {}

/// An error from a call netdrill itself needed (not a scenario step): the call and its errno.
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
  public let call: String
  public let errno: Errno
  public init(_ call: String, _ errno: Errno) {
    self.call = call
    self.errno = errno
  }
  public var description: String { "\(call) failed: \(errno.name) (\(errno.message))" }
}

extension Result where Failure == Errno {
  /// Unwraps or throws a `SystemCallError` naming the call.
  public func orThrow(_ call: String) throws(SystemCallError) -> Success {
    switch self {
    case .success(let value): return value
    case .failure(let error): throw SystemCallError(call, error)
    }
  }
}
