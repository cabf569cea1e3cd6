/// A real program a scenario starts inside one of its hosts: what to run, how
/// to tell it is ready, and how long to give it to stop.
public struct ProgramSpec: Sendable, Equatable {
  /// The name used in results and error messages.
  public var name: String
  /// argv. `command[0]` is looked up in PATH (of the program's environment)
  /// when it has no slash; a relative path with a slash is taken from
  /// `workingDirectory`. argv[0] reaches the program unchanged.
  public var command: [String]
  /// Added to netdrill's own environment, overriding variables of the same name.
  public var environment: [String: String]
  /// The program's working directory; nil keeps netdrill's.
  public var workingDirectory: String?
  /// How to tell the program is ready; nil: ready as soon as it started.
  public var ready: ReadyCheck?
  /// How long `waitUntilReady()` waits.
  public var readyTimeout: Duration
  /// How long `stop()` waits after SIGTERM before it sends SIGKILL.
  public var stopGrace: Duration

  public init(
    name: String, command: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
    ready: ReadyCheck? = nil, readyTimeout: Duration = .seconds(5), stopGrace: Duration = .seconds(2)
  ) {
    self.name = name
    self.command = command
    self.environment = environment
    self.workingDirectory = workingDirectory
    self.ready = ready
    self.readyTimeout = readyTimeout
    self.stopGrace = stopGrace
  }
}

/// How netdrill tells that a program under test is ready. None of the checks
/// sends anything to the program.
///
/// The port checks read `/proc/<pid>/net/{udp,udp6,tcp,tcp6}` of the program
/// itself: proc_net shows the network namespace of the process named in the
/// path (proc(5)), so this is by construction the program's namespace and no
/// thread has to setns() to read it. A probe bind() was rejected: while the
/// probe holds the port, the program's own bind() fails with EADDRINUSE.
public enum ReadyCheck: Sendable, Equatable, CustomStringConvertible {
  /// Some socket in the program's namespace has this local UDP port (any state), IPv4 or IPv6.
  case udpPort(UInt16)
  /// Some socket in the program's namespace listens (TCP_LISTEN) on this port, IPv4 or IPv6.
  case tcpPort(UInt16)
  /// A line of standard output or standard error contains this text. The
  /// line need not be finished: text already written matches at once.
  /// Programs often buffer a pipe fully (C stdio, Python): flush after the line.
  case outputLine(String)

  public var description: String {
    switch self {
    case .udpPort(let port): return "UDP port \(port) bound"
    case .tcpPort(let port): return "TCP port \(port) listening"
    case .outputLine(let text): return "an output line containing \"\(text)\""
    }
  }
}
