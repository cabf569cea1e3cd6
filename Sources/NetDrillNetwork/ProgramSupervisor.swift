import CNetDrillProcess
import Foundation
import Glibc
import NetDrillSockets

/// The two threads behind each program under test.
///
/// The supervisor thread enters the namespace, spawns, and then stays in
/// waitpid() until the program has ended. It must outlive the program: the
/// kernel sends PR_SET_PDEATHSIG when the *thread* that forked the child
/// exits, not the process (prctl(2)), so a short-lived spawning thread would
/// SIGKILL the program the moment it returned. Its waitpid() is bounded by
/// `stop()`, which ends the program with SIGKILL if need be.
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

    let spawned = spawn(launch, standardOutput: output.write, standardError: errors.write)
    // The child holds its own copies now; ours must go, or the reader never sees end of file.
    close(output.write)
    close(errors.write)
    let pid: pid_t
    switch spawned {
    case .success(let spawnedID): pid = spawnedID
    case .failure(let errno):
      close(output.read)
      close(errors.read)
      _ = state.reportSpawn(.failure(.spawnFailed("program \(launch.name): posix_spawn \(launch.setpriv)", errno)))
      return
    }
    startReader(name: launch.name, output: output.read, errors: errors.read, state: state)
    if !state.reportSpawn(.success(pid)) {
      // `start` gave up waiting and told its caller it failed: nobody will stop this one.
      kill(-pid, SIGKILL)
    }
    state.reportExit(waitForExit(pid))
  }

  /// posix_spawn of setpriv, which sets PR_SET_PDEATHSIG and execs the program.
  /// The child gets stdin = /dev/null, stdout/stderr = our pipes, nothing
  /// else (closefrom 3, on top of O_CLOEXEC everywhere); its own process group
  /// (so `stop()` reaches its children too); default signal dispositions and
  /// an empty mask (netdrill ignores SIGPIPE and threads may block signals;
  /// posix_spawn would pass both on).
  private static func spawn(
    _ launch: ProgramLaunch, standardOutput: Int32, standardError: Int32
  ) -> Result<pid_t, Errno> {
    var actions = posix_spawn_file_actions_t()
    guard posix_spawn_file_actions_init(&actions) == 0 else { return .failure(Errno(rawValue: ENOMEM)) }
    defer { posix_spawn_file_actions_destroy(&actions) }
    var attributes = posix_spawnattr_t()
    guard posix_spawnattr_init(&attributes) == 0 else { return .failure(Errno(rawValue: ENOMEM)) }
    defer { posix_spawnattr_destroy(&attributes) }

    var all = sigset_t()
    sigfillset(&all)
    var none = sigset_t()
    sigemptyset(&none)
    // Each call returns an errno value (0 on success), not -1.
    var steps: [Int32] = [
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0),
      posix_spawn_file_actions_adddup2(&actions, standardOutput, 1),
      posix_spawn_file_actions_adddup2(&actions, standardError, 2),
    ]
    if let directory = launch.workingDirectory { steps.append(nd_spawn_file_actions_addchdir(&actions, directory)) }
    steps += [
      nd_spawn_file_actions_addclosefrom(&actions, 3),
      posix_spawnattr_setflags(
        &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)),
      posix_spawnattr_setpgroup(&attributes, 0),
      posix_spawnattr_setsigdefault(&attributes, &all),
      posix_spawnattr_setsigmask(&attributes, &none),
    ]
    if let failed = steps.first(where: { $0 != 0 }) { return .failure(Errno(rawValue: failed)) }

    let argv = launch.arguments.map { strdup($0) } + [nil]
    let envp = launch.environment.map { strdup($0) } + [nil]
    defer { for string in argv + envp { free(string) } }
    var pid = pid_t()
    let result = posix_spawn(&pid, launch.setpriv, &actions, &attributes, argv, envp)
    return result == 0 ? .success(pid) : .failure(Errno(rawValue: result))
  }

  /// A close-on-exec pipe whose ends are both above 2: the dup2 file actions
  /// onto 1 and 2 must not overwrite a pipe end (possible if netdrill's own
  /// stdin/stdout/stderr were closed).
  private static func makePipe() -> Result<(read: Int32, write: Int32), Errno> {
    var fds: [Int32] = [-1, -1]
    guard nd_pipe_cloexec(&fds) == 0 else { return .failure(.current) }
    for index in 0..<2 where fds[index] <= 2 {
      let moved = fcntl(fds[index], F_DUPFD_CLOEXEC, 3)
      let error = Errno.current
      close(fds[index])
      fds[index] = moved
      if moved < 0 {
        for fd in fds where fd >= 0 { close(fd) }
        return .failure(error)
      }
    }
    return .success((fds[0], fds[1]))
  }

  private static func waitForExit(_ pid: pid_t) -> ProgramExit {
    var status: Int32 = 0
    while true {
      if waitpid(pid, &status, 0) == pid { break }
      if errno == EINTR { continue }
      return .statusLost  // ECHILD: another waitpid(-1) in this process reaped it.
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
  /// grandchild that left the process group may hold a pipe open forever).
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
      let ready = poll(&polls, nfds_t(polls.count), 100)
      if ready < 0 {
        if errno == EINTR { continue }
        return
      }
      for index in open.indices where open[index] >= 0 && polls[index].revents != 0 {
        let count = buffer.withUnsafeMutableBytes { read(open[index], $0.baseAddress, $0.count) }
        if count > 0 {
          buffer.withUnsafeBytes {
            state.append(UnsafeRawBufferPointer(rebasing: $0.prefix(count)), toStandardError: index == 1)
          }
        } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
          close(open[index])
          open[index] = -1
        }
      }
    }
  }
}
