import CNetDrillLinux
import Glibc
import NetDrillSockets

/// Gives an ordinary user the capabilities a private network needs.
///
/// unshare(CLONE_NEWUSER) makes the caller root inside a new user namespace,
/// with CAP_NET_ADMIN/CAP_NET_RAW over network namespaces it creates later.
/// The kernel refuses it (EINVAL) in a process that already has several
/// threads (unshare(2)), so the executable calls this first thing in `main`,
/// before anything can start a thread.
public enum UserNamespace {
  /// Enters a user namespace unless already privileged (effective UID 0).
  /// Returns true if it entered one.
  @discardableResult
  public static func enterIfUnprivileged() throws(NetworkError) -> Bool {
    guard geteuid() != 0 else { return false }
    let threads = threadCount()
    guard threads <= 1 else { throw NetworkError.processHasThreads(count: threads) }
    let uid = geteuid()
    let gid = getegid()
    if case .failure(let error) = syscall({ nd_unshare_user() }) {
      throw NetworkError.cannotEnterUserNamespace(step: "unshare(CLONE_NEWUSER)", errno: error)
    }
    // Map our IDs to root inside; setgroups must be denied before an unprivileged gid_map (user_namespaces(7)).
    try write("deny", to: "/proc/self/setgroups")
    try write("0 \(uid) 1", to: "/proc/self/uid_map")
    try write("0 \(gid) 1", to: "/proc/self/gid_map")
    return true
  }

  static func threadCount() -> Int {
    guard let directory = opendir("/proc/self/task") else { return 1 }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name != "." && name != ".." { count += 1 }
    }
    return count
  }

  private static func write(_ text: String, to path: String) throws(NetworkError) {
    let file: FileDescriptor
    do {
      file = try FileDescriptor.open(path, .writeExisting)
    } catch {
      throw NetworkError.cannotEnterUserNamespace(step: "open \(path)", errno: error)
    }
    defer { file.close() }
    do {
      try file.writeAll(Array(text.utf8))
    } catch {
      throw NetworkError.cannotEnterUserNamespace(step: "write \(path)", errno: error)
    }
  }
}
