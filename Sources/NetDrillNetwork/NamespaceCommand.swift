import CNetDrillProcess
import Foundation
import Glibc
import NetDrillSockets

/// Runs helper programs (ip, nft, tc) and small jobs inside one of netdrill's
/// namespaces — never in the caller's.
///
/// Each job gets a fresh thread that `setns`es into the namespace and checks
/// that it arrived (same namespace inode) before doing anything: a child
/// process starts in the network namespace of the thread that spawns it, so a
/// failed or skipped `setns` must never lead to a spawn in the host's
/// namespace. The caller's thread is never moved. Programs are started with
/// posix_spawn and reaped with a bounded `waitpid(WNOHANG)` loop (Foundation's
/// `Process.waitUntilExit` was seen to hang on threads that changed namespace).
enum NamespaceCommand {
  /// Where helper programs are looked for, after `PATH`.
  static let fallbackDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
  /// Which Debian package provides each helper, for "not found" messages.
  static let packages = [
    "ip": "iproute2", "tc": "iproute2", "bridge": "iproute2", "nft": "nftables",
    "sysctl": "procps", "tcpdump": "tcpdump",
  ]

  /// The absolute path of `tool` (a bare name, or a path used as is).
  static func locate(_ tool: String) throws(TopologyError) -> String {
    if tool.contains("/") {
      let name = String(tool.split(separator: "/").last ?? "")
      guard access(tool, X_OK) == 0 else { throw .toolNotFound(tool: tool, package: packages[name] ?? name) }
      return tool
    }
    let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
    for directory in path + fallbackDirectories where !directory.isEmpty {
      let candidate = directory + "/" + tool
      if access(candidate, X_OK) == 0 { return candidate }
    }
    throw .toolNotFound(tool: tool, package: packages[tool] ?? tool)
  }

  /// Runs `body` on a new thread inside `namespace`; the thread ends with it.
  static func inside<T: Sendable>(
    _ namespace: NetworkNamespace, what: String, timeout: Duration = .seconds(10),
    _ body: @escaping @Sendable () throws -> T
  ) throws(TopologyError) -> T {
    do {
      return try IsolatedThread.run(name: "\(what) in \(namespace.name)", timeout: timeout) {
        try namespace.enter()
        try verifyInside(namespace)
        return try body()
      }
    } catch {
      throw TopologyError.from(error)
    }
  }

  /// Runs `arguments` (`["ip", "link", ...]`) inside `namespace`, feeding
  /// `input` on stdin; returns stdout. Throws with the command, its exit
  /// status and stderr when it fails, or after killing it at `timeout`.
  static func run(
    _ arguments: [String], input: String? = nil, in namespace: NetworkNamespace, timeout: Duration = .seconds(5)
  ) throws(TopologyError) -> String {
    guard let tool = arguments.first else { throw .invalidRequest("run: no command given") }
    let path = try locate(tool)
    let label = namespace.name
    return try inside(namespace, what: tool, timeout: timeout + .seconds(5)) {
      try spawnAndWait(path: path, arguments: arguments, input: input, namespaceName: label, timeout: timeout)
    }
  }

  /// Writes `value` to a `/proc/sys/net/...` file. /proc/sys/net resolves
  /// against the calling thread's network namespace (net_ctl_header_lookup),
  /// so this must run on a thread inside the target namespace.
  static func writeSysctl(_ path: String, _ value: String) throws {
    let file: FileDescriptor
    do { file = try FileDescriptor.open(path, .writeExisting) } catch { throw SystemCallError("open \(path)", error) }
    defer { file.close() }
    do {
      try file.writeAll(Array(value.utf8))
    } catch {
      throw SystemCallError("write \(path)", error)
    }
  }

  /// Fails unless the calling thread is in `namespace` (compares the nsfs inodes).
  static func verifyInside(_ namespace: NetworkNamespace) throws {
    var expected = stat()
    var actual = stat()
    _ = try syscall { fstat(namespace.descriptor, &expected) }.orThrow("fstat(\(namespace.name))")
    _ = try syscall { stat("/proc/thread-self/ns/net", &actual) }.orThrow("stat /proc/thread-self/ns/net")
    guard expected.st_ino == actual.st_ino, expected.st_dev == actual.st_dev else {
      throw TopologyError.invalidRequest(
        "internal: after setns the thread is not in namespace \(namespace.name); refusing to run anything")
    }
  }

  // MARK: Spawning

  private static func spawnAndWait(
    path: String, arguments: [String], input: String?, namespaceName: String, timeout: Duration
  ) throws -> String {
    let inputBytes = Array((input ?? "").utf8)
    // The input is written into the pipe before the child reads it: keep it
    // under the pipe's capacity (64 KiB, pipe(7)) so that write cannot block.
    guard inputBytes.count < 60_000 else {
      throw TopologyError.invalidRequest("run: input for \(arguments[0]) is too large (\(inputBytes.count) bytes)")
    }
    let output = try makePipe()
    let errors = try makePipe()
    let stdin = try makePipe()
    var parentEnds = [output.read, errors.read, stdin.write]
    var childEnds = [output.write, errors.write, stdin.read]
    defer {
      for fd in parentEnds + childEnds where fd >= 0 { close(fd) }
    }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdin.read, 0)
    posix_spawn_file_actions_adddup2(&actions, output.write, 1)
    posix_spawn_file_actions_adddup2(&actions, errors.write, 2)
    // Nothing else of netdrill's: its sockets are made without SOCK_CLOEXEC
    // when a scenario says so (and libpcap's always are), and a helper that
    // held one would keep it open — a socket a scenario closed would stay
    // bound, and a datagram to its port get no ICMP error, while `ip` runs
    // for another scenario of `check --jobs`.
    nd_spawn_file_actions_addclosefrom(&actions, 3)

    // The child gets default SIGPIPE handling and no blocked signals, whatever
    // netdrill set for itself (an ignored signal stays ignored across exec).
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attributes, &mask)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    var environment = ProcessInfo.processInfo.environment
    environment["LC_ALL"] = "C"  // stable, English messages in errors
    let argv = ([path] + arguments.dropFirst()).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in argv + envp { free(pointer) }
    }

    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
    guard spawned == 0 else { throw SystemCallError("posix_spawn \(path)", Errno(rawValue: spawned)) }
    for fd in childEnds { close(fd) }
    childEnds = []

    let stdinEnd = FileDescriptor(rawValue: parentEnds[2])
    // Under the pipe's capacity (checked above): the write cannot block. A failure
    // (EPIPE: the command exited without reading) shows in its own status.
    try? stdinEnd.writeAll(inputBytes)
    stdinEnd.close()
    parentEnds[2] = -1
    for fd in parentEnds.prefix(2) { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }

    var stdout: [UInt8] = []
    var stderr: [UInt8] = []
    let command = [arguments[0]] + arguments.dropFirst()
    let deadline = ContinuousClock.now + timeout
    var status: Int32 = 0
    polling: while true {
      var fds = [
        pollfd(fd: parentEnds[0], events: Int16(POLLIN), revents: 0),
        pollfd(fd: parentEnds[1], events: Int16(POLLIN), revents: 0),
      ]
      _ = poll(&fds, 2, 20)
      drain(parentEnds[0], into: &stdout)
      drain(parentEnds[1], into: &stderr)
      switch waitForChild(pid, status: &status, options: WNOHANG) {
      case .success(let reaped) where reaped == pid: break polling
      case .success: break  // still running
      case .failure(let error): throw SystemCallError("waitpid \(path)", error)
      }
      if ContinuousClock.now > deadline {
        kill(pid, SIGKILL)
        _ = waitForChild(pid, status: &status)
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        throw TopologyError.commandTimedOut(command: command, namespace: namespaceName, seconds: seconds)
      }
    }
    // The child has exited: whatever it wrote is in the pipes now.
    drain(parentEnds[0], into: &stdout)
    drain(parentEnds[1], into: &stderr)

    // WIFEXITED / WEXITSTATUS / WTERMSIG spelled out: the macros are not imported.
    let signal = status & 0x7F
    let exitCode = (status >> 8) & 0xFF
    guard signal == 0, exitCode == 0 else {
      var described = signal == 0 ? "exit status \(exitCode)" : "killed by signal \(signal)"
      if let input, !input.isEmpty {
        described += "; input: \(input.split(separator: "\n").joined(separator: "; "))"
      }
      throw TopologyError.commandFailed(
        command: command, namespace: namespaceName, status: described,
        stderr: String(decoding: stderr, as: UTF8.self))
    }
    return String(decoding: stdout, as: UTF8.self)
  }

  private static func drain(_ fd: Int32, into buffer: inout [UInt8]) {
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while true {
      let count = chunk.withUnsafeMutableBytes { raw in syscall { read(fd, raw.baseAddress, raw.count) } }
      guard case .success(let count) = count, count > 0 else {
        return  // 0: end of file; EAGAIN: nothing more now
      }
      buffer.append(contentsOf: chunk.prefix(count))
    }
  }

  /// A pipe whose ends are close-on-exec from the start, so a program that
  /// another thread spawns at the same moment cannot inherit them.
  private static func makePipe() throws -> (read: Int32, write: Int32) {
    do {
      let ends = try FileDescriptor.pipe()
      return (ends.readEnd.rawValue, ends.writeEnd.rawValue)
    } catch {
      throw SystemCallError("pipe2", error)
    }
  }
}
