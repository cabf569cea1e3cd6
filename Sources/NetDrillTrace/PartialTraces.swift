import Glibc
import Synchronization

/// The temporary files of traces being written, so an interrupted process
/// (SIGINT, SIGTERM) can remove them before it exits. A SIGKILL cannot be
/// caught: then the hidden `.NAME.partial-PID-…` file stays, but the final
/// path never holds a half-written trace.
public enum PartialTraces {
  private static let paths = Mutex<Set<String>>([])

  static func register(_ path: String) {
    paths.withLock { _ = $0.insert(path) }
  }

  static func unregister(_ path: String) {
    paths.withLock { _ = $0.remove(path) }
  }

  /// Unlinks every partial trace still open; for a signal handler's last act.
  public static func removeAll() {
    for path in paths.withLock({ $0 }) { unlink(path) }
  }
}
