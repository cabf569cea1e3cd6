import CNetDrillLinux
import Glibc
import NetDrillSockets

/// A network namespace held open by a file descriptor, so it lives exactly as
/// long as netdrill needs it and vanishes with the last reference — even when
/// the process is killed (no `ip netns` bind mount is ever left behind).
///
/// A network namespace belongs to a thread, not a process (setns(2)), so
/// creating or entering one moves only the calling thread. Call these only on
/// a thread you own (see `IsolatedThread`), never on the shared task pool.
public final class NetworkNamespace: Sendable {
  // Sendable as it is: the only state is immutable (a name and a descriptor closed once in deinit).
  public let name: String
  public let descriptor: Int32

  private init(name: String, descriptor: Int32) {
    self.name = name
    self.descriptor = descriptor
  }

  deinit { Glibc.close(descriptor) }

  /// Creates a fresh namespace, moves the calling thread into it and brings `lo` up.
  public static func createAndEnter(name: String) throws(NetworkError) -> NetworkNamespace {
    if case .failure(let error) = syscall({ nd_unshare_network() }) {
      throw NetworkError.cannotCreateNamespace(errno: error)
    }
    let namespace = try current(name: name)
    try namespace.setInterfaceUp("lo")
    return namespace
  }

  /// The namespace the calling thread is in now.
  public static func current(name: String) throws(NetworkError) -> NetworkNamespace {
    do {
      let file = try FileDescriptor.open("/proc/thread-self/ns/net", .read)
      return NetworkNamespace(name: name, descriptor: file.rawValue)
    } catch {
      throw NetworkError.system(SystemCallError("open /proc/thread-self/ns/net", error))
    }
  }

  /// Moves the calling thread into this namespace.
  public func enter() throws(NetworkError) {
    do {
      _ = try syscall { nd_setns_network(descriptor) }.orThrow("setns(\(name))")
    } catch {
      throw NetworkError.system(error)
    }
  }

  /// Sets IFF_UP on `interface`; the calling thread must be inside this namespace.
  public func setInterfaceUp(_ interface: String) throws(NetworkError) {
    do {
      let fd = try syscall { Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        .orThrow("socket")
      defer { closeDescriptor(fd) }
      _ = try syscall { nd_set_interface_up(fd, interface) }.orThrow("SIOCSIFFLAGS \(name)/\(interface) up")
    } catch {
      throw NetworkError.system(error)
    }
  }
}

/// Environment problems a person can act on (exit code 2).
public enum NetworkError: Error, CustomStringConvertible, Sendable {
  case cannotCreateNamespace(errno: Errno)
  case cannotEnterUserNamespace(step: String, errno: Errno)
  case processHasThreads(count: Int)
  case timedOut(what: String, seconds: Double)
  case system(SystemCallError)

  public var description: String {
    switch self {
    case .cannotCreateNamespace(let errno):
      return """
        cannot create a private network namespace: unshare(CLONE_NEWNET) failed with \(errno.name) (\(errno.message)). \
        netdrill needs CAP_SYS_ADMIN for this: run as root, or as an ordinary user where unprivileged user \
        namespaces are enabled (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0), \
        or pass --host-network to run on the host's own network instead.
        """
    case .cannotEnterUserNamespace(let step, let errno):
      return """
        cannot enter an unprivileged user namespace (\(step): \(errno.name), \(errno.message)): \
        enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1), run as root, \
        or pass --host-network.
        """
    case .processHasThreads(let count):
      return
        "cannot enter a user namespace: the process already has \(count) threads (unshare(CLONE_NEWUSER) needs a single-threaded process)"
    case .timedOut(let what, let seconds):
      return "\(what) did not finish within \(seconds)s"
    case .system(let error):
      return error.description
    }
  }
}
