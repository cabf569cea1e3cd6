import CNetDrillProcess
import Foundation
import Glibc
import NetDrillSockets

/// The two threads behind each program under test.
///
/// Containment: each program runs in a PID namespace of its own, under a
/// small init (`nd_spawn_contained` in CNetDrillProcess): the program is PID 2,
/// the init PID 1. When the program ends, the init reports its status and
/// exits, and the kernel SIGKILLs everything left in the namespace — children,
/// grandchildren, daemons that left the process group alike (pid_namespaces(7)).
/// The init carries PR_SET_PDEATHSIG = SIGKILL, so when netdrill dies by any
/// means, SIGKILL and crashes included, the kernel kills the init and with it
/// the whole tree. A cgroup was the other candidate: `cgroup.kill` ends a tree
/// too, but only when someone writes to it — nobody does when netdrill is
/// SIGKILLed — and it needs a writable cgroup v2 hierarchy.
///
/// The program is not PID 1 itself because a namespace's PID 1 ignores every
/// signal it has no handler for, SIGTERM included; the init forwards SIGTERM
/// (and SIGINT, SIGHUP, SIGQUIT, SIGUSR1/2) to every process of the namespace,
/// so `stop()` keeps its meaning. The init shares the program's network
/// namespace, so the readiness checks read /proc/<init pid>/net/*.
///
/// The supervisor thread enters the network namespace, spawns, and then stays
/// in waitpid() until the init has ended. It must outlive the program: the
/// kernel sends PR_SET_PDEATHSIG when the *thread* that forked the child
/// exits, not the process (prctl(2)), so a short-lived spawning thread would
/// SIGKILL the program the moment it returned. Its waitpid() is bounded by
/// `stop()`, which ends the init with SIGKILL if need be.
///
/// The reader thread drains both pipes until end of file, so a chatty program
/// never blocks on a full pipe, and owns (and closes once) their read ends.
enum ProgramSupervisor {
  static func start(_ launch: ProgramLaunch, in namespace: NetworkNamespace, state: ProgramState) {
    let thread = Thread { supervise(launch, in: namespace, state: state) }
    thread.name = "netdrill-program-\(launch.name)"
    thread.start()
  }

  private static func supervise(_ launch: ProgramLaunch, in namespace: NetworkNamespace, state: ProgramState) {
    do {
      // A fresh thread of our own: it takes the namespace with it when it ends.
      try namespace.enter()
    } catch {
      let errno: Errno
      if case .system(let failure) = error { errno = failure.errno } else { errno = Errno(rawValue: EINVAL) }
      _ = state.reportSpawn(.failure(.spawnFailed("entering namespace \(namespace.name) (setns)", errno)))
      return
    }
    let output: (read: Int32, write: Int32)
    let errors: (read: Int32, write: Int32)
    switch makePipe() {
    case .success(let pipe): output = pipe
    case .failure(let errno):
      _ = state.reportSpawn(.failure(.spawnFailed("program \(launch.name): pipe2", errno)))
      return
    }
    switch makePipe() {
    case .success(let pipe): errors = pipe
    case .failure(let errno):
      close(output.read)
      close(output.write)
      _ = state.reportSpawn(.failure(.spawnFailed("program \(launch.name): pipe2", errno)))
      return
    }

    let report: (read: Int32, write: Int32)
    switch makePipe() {
    case .success(let pipe): report = pipe
    case .failure(let errno):
      for fd in [output.read, output.write, errors.read, errors.write] { close(fd) }
      _ = state.reportSpawn(.failure(.spawnFailed("program \(launch.name): pipe2", errno)))
      return
    }

    let spawned = spawn(
      launch, standardOutput: output.write, standardError: errors.write, report: report.write,
      reportRead: report.read)
    // The init holds its own copies now; ours must go, or the readers never see end of file.
    close(output.write)
    close(errors.write)
    close(report.write)
    defer { close(report.read) }
    let pid: pid_t
    switch spawned {
    case .success(let spawnedID): pid = spawnedID
    case .failure(let errno):
      close(output.read)
      close(errors.read)
      _ = state.reportSpawn(.failure(.spawnFailed("program \(launch.name): clone(CLONE_NEWPID)", errno)))
      return
    }
    // The init's first record says whether the program is running.
    let first = readRecord(report.read)
    guard let first, first.kind == Int32(UInt8(ascii: "S")) else {
      close(output.read)
      close(errors.read)
      _ = waitForExit(pid, report: report.read)
      let errno = first.map { Errno(rawValue: $0.value) } ?? Errno(rawValue: ECHILD)
      _ = state.reportSpawn(.failure(.spawnFailed("program \(launch.name): execve \(launch.executable)", errno)))
      return
    }
    startReader(name: launch.name, output: output.read, errors: errors.read, state: state)
    if !state.reportSpawn(.success(pid)) {
      // `start` gave up waiting and told its caller it failed: nobody will stop this one.
      kill(pid, SIGKILL)
    }
    state.reportExit(waitForExit(pid, report: report.read))
  }

  /// Starts the namespace's init, which starts the program (see the type's comment).
  /// The child gets stdin = /dev/null, stdout/stderr = our pipes, nothing
  /// else; default signal dispositions and an empty mask (netdrill ignores
  /// SIGPIPE, SIGINT and SIGTERM, and threads may block signals).
  private static func spawn(
    _ launch: ProgramLaunch, standardOutput: Int32, standardError: Int32, report: Int32, reportRead: Int32
  ) -> Result<pid_t, Errno> {
    // Everything the code after clone(2) touches is prepared here: it may not allocate.
    let argv = launch.arguments.map { strdup($0) } + [nil]
    let envp = launch.environment.map { strdup($0) } + [nil]
    let path = strdup(launch.executable)
    let directory = launch.workingDirectory.map { strdup($0) } ?? nil
    defer { for string in argv + envp + [path, directory] { free(string) } }
    return argv.withUnsafeBufferPointer { argvBuffer in
      envp.withUnsafeBufferPointer { envpBuffer in
        var request = nd_contained_spawn(
          path: path, argv: argvBuffer.baseAddress, envp: envpBuffer.baseAddress, directory: directory,
          stdout_fd: standardOutput, stderr_fd: standardError, report_fd: report, report_read_fd: reportRead)
        // Not retried: a clone(2) interrupted by a signal is reported, never made twice.
        return syscall(retryOnInterrupt: false) { nd_spawn_contained(&request) }
      }
    }
  }

  /// One record from the init (`nd_report`), or nil at end of file.
  private static func readRecord(_ fd: Int32) -> nd_report? {
    var record = nd_report()
    let size = MemoryLayout<nd_report>.size
    let count = withUnsafeMutableBytes(of: &record) { raw in syscall { read(fd, raw.baseAddress, size) } }
    // Anything but a whole record is the end: the init has ended, and a record
    // is written whole or not at all.
    return count == .success(size) ? record : nil
  }

  /// A close-on-exec pipe whose ends are both above 2: the dup2 file actions
  /// onto 1 and 2 must not overwrite a pipe end (possible if netdrill's own
  /// stdin/stdout/stderr were closed).
  private static func makePipe() -> Result<(read: Int32, write: Int32), Errno> {
    let ends: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
    do { ends = try FileDescriptor.pipe() } catch { return .failure(error) }
    var fds = [ends.readEnd.rawValue, ends.writeEnd.rawValue]
    for index in 0..<2 where fds[index] <= 2 {
      let moved = syscall { fcntl(fds[index], F_DUPFD_CLOEXEC, 3) }
      closeDescriptor(fds[index])
      switch moved {
      case .success(let descriptor): fds[index] = descriptor
      case .failure(let error):
        fds[index] = -1
        for fd in fds where fd >= 0 { closeDescriptor(fd) }
        return .failure(error)
      }
    }
    return .success((fds[0], fds[1]))
  }

  /// Waits for the init, then takes the program's own status from the init's
  /// 'X' record. Without one, the init itself was killed (by `stop()`'s
  /// SIGKILL, say) and took the program with it: the init's status stands.
  private static func waitForExit(_ pid: pid_t, report: Int32) -> ProgramExit {
    var status: Int32 = 0
    guard waitForChild(pid, status: &status) == .success(pid) else {
      return .statusLost  // ECHILD: another waitpid(-1) in this process reaped it.
    }
    while let record = readRecord(report) {
      if record.kind == Int32(UInt8(ascii: "X")) { status = record.value }
    }
    if nd_wait_exited(status) != 0 { return .exited(nd_wait_exit_status(status)) }
    if nd_wait_signaled(status) != 0 { return .killedBy(signal: nd_wait_term_signal(status)) }
    return .statusLost
  }

  private static func startReader(name: String, output: Int32, errors: Int32, state: ProgramState) {
    let thread = Thread { readOutput(output: output, errors: errors, state: state) }
    thread.name = "netdrill-output-\(name)"
    thread.start()
  }

  /// Reads both pipes until end of file on both, or until told to stop (a
  /// safety net: every writer ends with the program's PID namespace).
  /// Polls in 100 ms slices so that request is seen. Closes each read end once.
  private static func readOutput(output: Int32, errors: Int32, state: ProgramState) {
    var open = [output, errors]  // -1 once closed; poll(2) ignores negative descriptors.
    defer {
      for fd in open where fd >= 0 { close(fd) }
      state.reportReaderFinished()
    }
    var buffer = [UInt8](repeating: 0, count: 65536)
    while open.contains(where: { $0 >= 0 }) && !state.shouldStopReading {
      var polls = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
      guard case .success = syscall({ poll(&polls, nfds_t(polls.count), 100) }) else { return }
      for index in open.indices where open[index] >= 0 && polls[index].revents != 0 {
        let fd = open[index]
        let count = buffer.withUnsafeMutableBytes { raw in syscall { read(fd, raw.baseAddress, raw.count) } }
        switch count {
        case .success(let count) where count > 0:
          buffer.withUnsafeBytes {
            state.append(UnsafeRawBufferPointer(rebasing: $0.prefix(count)), toStandardError: index == 1)
          }
        case .failure(.EAGAIN):
          continue
        default:  // end of file, or an error that will not go away
          closeDescriptor(fd)
          open[index] = -1
        }
      }
    }
  }
}
