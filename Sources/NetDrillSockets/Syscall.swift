import Glibc

/// The one door to the kernel: runs a raw call, reads `errno` at once when it
/// returns -1, and retries EINTR (a signal is never a scenario outcome).
///
/// For a scenario step an errno is a *result*, not a failure, so this returns
/// `Result` instead of throwing; callers that cannot go on use `.get()`.
@inline(__always)
public func syscall<T: FixedWidthInteger>(_ body: () -> T) -> Result<T, Errno> {
  while true {
    let value = body()
    if value == -1 {
      let error = Errno.current
      if error == .EINTR { continue }
      return .failure(error)
    }
    return .success(value)
  }
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
