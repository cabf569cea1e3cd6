import Foundation
import Glibc
import NetDrillCapture
import NetDrillTestSupport
import Synchronization
import Testing

/// Private network namespaces for tests: a dedicated thread unshares, keeps
/// its `/proc/thread-self/ns/net` open, brings `lo` up, and runs the test body
/// there, so every socket the body creates lives in that namespace.
enum TestNamespace {
  /// CLONE_NEWNET (include/uapi/linux/sched.h); Swift's Glibc module hides it.
  static let cloneNewNet: Int32 = 0x4000_0000

  /// Why namespace tests cannot run here, or nil when they can.
  static let missingPrivilege: String? = probePrivileges()

  /// Runs `body` on a new thread inside a new network namespace with `lo` up.
  /// The argument is the namespace's descriptor, valid while `body` runs.
  static func run<T: Sendable>(_ body: @escaping @Sendable (Int32) throws -> T) async throws -> T {
    if let missingPrivilege {
      throw NamespaceTestError("namespace tests need root: \(missingPrivilege)")
    }
    return try await withCheckedThrowingContinuation { continuation in
      let thread = Thread {
        continuation.resume(
          with: Result {
            let namespaceFD = try enterNewNamespace()
            defer { close(namespaceFD) }
            try bringLoopbackUp()
            return try body(namespaceFD)
          })
      }
      thread.start()
    }
  }

  /// unshare(2) is not exported by Swift's Glibc module (it needs _GNU_SOURCE);
  /// it is a plain, non-variadic libc function, so calling it through dlsym is exact.
  private static func unshare(_ flags: Int32) -> Int32 {
    typealias Unshare = @convention(c) (Int32) -> Int32
    guard let symbol = dlsym(nil, "unshare") else {
      errno = ENOSYS
      return -1
    }
    return unsafeBitCast(symbol, to: Unshare.self)(flags)
  }

  /// Moves the calling thread into a new network namespace and returns a
  /// descriptor for it.
  private static func enterNewNamespace() throws -> Int32 {
    if unshare(cloneNewNet) != 0 {
      throw NamespaceTestError.errno("unshare(CLONE_NEWNET) (needs CAP_SYS_ADMIN)")
    }
    let fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw NamespaceTestError.errno("open /proc/thread-self/ns/net") }
    return fd
  }

  /// `ip link set lo up`, spawned from the calling thread: a child starts in
  /// the network namespace of the thread that forks it. posix_spawn rather
  /// than Foundation's Process, whose exit monitoring never fired when used
  /// from this thread (waitUntilExit hung in the run loop).
  private static func bringLoopbackUp() throws {
    let candidates = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
    guard let ip = candidates.first(where: { access($0, X_OK) == 0 }) else {
      throw NamespaceTestError("`ip` not found (install iproute2) in \(candidates)")
    }
    let arguments = [ip, "link", "set", "lo", "up"]
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, ip, nil, nil, &argv, environ)
    if spawned != 0 {
      throw NamespaceTestError("posix_spawn \(ip): \(String(cString: strerror(spawned)))")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if errno != EINTR { throw NamespaceTestError.errno("waitpid") }
    }
    // WIFEXITED && WEXITSTATUS == 0, spelled out: the macros are not imported.
    guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
      throw NamespaceTestError(
        "`\(arguments.joined(separator: " "))` failed (wait status \(status))")
    }
  }

  private static func probePrivileges() -> String? {
    let result = Mutex<String?>(nil)
    let done = DispatchSemaphore(value: 0)
    // The probe thread's namespace disappears with the thread.
    Thread {
      defer { done.signal() }
      if unshare(cloneNewNet) != 0 {
        let code = errno
        result.withLock {
          $0 =
            "unshare(CLONE_NEWNET) failed with \(String(cString: strerror(code))): needs CAP_SYS_ADMIN"
        }
        return
      }
      let packetSocket = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), 0)
      if packetSocket < 0 {
        let code = errno
        result.withLock {
          $0 = "packet socket failed with \(String(cString: strerror(code))): needs CAP_NET_RAW"
        }
        return
      }
      close(packetSocket)
    }.start()
    done.wait()
    return result.withLock { $0 }
  }
}

struct NamespaceTestError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }

  static func errno(_ call: String) -> NamespaceTestError {
    let code = Glibc.errno
    return NamespaceTestError("\(call): \(String(cString: strerror(code))) (errno \(code))")
  }
}

/// Wall-clock nanoseconds since the epoch, the clock pcap timestamps use.
func realtimeNanoseconds() -> UInt64 {
  var now = timespec()
  clock_gettime(CLOCK_REALTIME, &now)
  return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Collects packets from the capture thread.
final class PacketCollector: Sendable {
  private let storage = Mutex<[CapturedPacket]>([])

  func append(_ packet: CapturedPacket) { storage.withLock { $0.append(packet) } }
  var packets: [CapturedPacket] { storage.withLock { $0 } }
}
