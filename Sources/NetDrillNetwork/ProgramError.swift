import NetDrillSockets

/// How a program ended.
public enum ProgramExit: Sendable, Equatable, CustomStringConvertible {
  case exited(Int32)
  case killedBy(signal: Int32)
  /// It ended, but its wait status was taken by another waitpid() in this process.
  case statusLost

  public var description: String {
    switch self {
    case .exited(let status): return "exited with status \(status)"
    case .killedBy(let signal): return "was killed by signal \(signal) (\(ProgramExit.signalName(signal)))"
    case .statusLost: return "ended (its exit status was reaped elsewhere in netdrill)"
    }
  }

  /// SIGTERM for 15, and so on; SIG<number> for the rest.
  public static func signalName(_ signal: Int32) -> String {
    let names: [Int32: String] = [
      1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
      9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
    ]
    return names[signal] ?? "SIG\(signal)"
  }
}

/// Why a program under test could not be started or did not become ready.
/// Environment and input problems (exit code 2): each message says what to do.
public enum ProgramError: Error, CustomStringConvertible, Sendable {
  /// `command[0]` is not an executable file (in PATH, when it has no slash).
  case commandNotFound(String)
  /// Starting failed; the text says what netdrill was doing.
  case spawnFailed(String, Errno)
  /// The ready check did not pass in time; `output` is what the program wrote so far.
  case notReady(name: String, check: ReadyCheck, seconds: Double, output: String)
  /// The program ended before its ready check passed.
  case exitedEarly(name: String, status: ProgramExit, output: String)

  public var description: String {
    switch self {
    case .commandNotFound(let command):
      if command.isEmpty { return "program has an empty command: give at least the program to run" }
      if command.contains("/") {
        return "program command not found: \(command) is not an executable file (check the path and its x bit)"
      }
      return """
        program command not found: no executable \(command) in PATH. Install it, give an absolute path, \
        or set PATH in the program's environment.
        """
    case .spawnFailed(let what, let errno):
      return "cannot start program: \(what) failed with \(errno.name) (\(errno.message))"
    case .notReady(let name, let check, let seconds, let output):
      return """
        program \(name) was not ready within \(seconds)s: waited for \(check). Raise ready_timeout, \
        or check that the program flushes its output / binds the port in its own host. Output so far:
        \(output)
        """
    case .exitedEarly(let name, let status, let output):
      return "program \(name) \(status) before it was ready. Output:\n\(output)"
    }
  }
}
