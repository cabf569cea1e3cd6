import Foundation
import Glibc
import Synchronization
import Testing

/// How a command ended and what it printed.
public struct CommandResult: Sendable {
  public var status: Int32
  /// True when it ended by a signal; `status` is then the signal number.
  public var signalled: Bool
  public var standardOutput: String
  public var standardError: String
  /// True when it overran its time bound and was killed.
  public var timedOut: Bool
}

/// A started child process whose output is drained while it runs, so a chatty child never blocks on a
/// full pipe. The one process runner of the tests.
public final class ChildProcess: Sendable {
  private let process: Process
  private let description: String
  private let output = CollectedOutput()
  private let drained = DispatchGroup()

  /// Starts `executable` (a path, or a name looked up in PATH) with `arguments`.
  public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
    let process = Process()
    if executable.contains("/") {
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments = arguments
    } else {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = [executable] + arguments
    }
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    self.process = process
    self.description = ([executable] + arguments).joined(separator: " ")
    try process.run()
    for (pipe, isError) in [(out, false), (err, true)] {
      drained.enter()
      let handle = pipe.fileHandleForReading
      Thread { [output, drained] in
        let data = handle.readDataToEndOfFile()
        output.store(data, isError: isError)
        drained.leave()
      }.start()
    }
  }

  public var pid: pid_t { process.processIdentifier }

  public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

  /// Waits for the end, killing the child (SIGKILL) when it overruns `timeout`; an overrun is also a test failure.
  public func finish(timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation)
    -> CommandResult
  {
    let deadline = ContinuousClock.now + timeout
    while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
    let timedOut = process.isRunning
    if timedOut {
      kill(process.processIdentifier, SIGKILL)
      Issue.record("`\(description)` did not finish within \(timeout)", sourceLocation: sourceLocation)
    }
    process.waitUntilExit()
    // Grandchildren may hold the pipes open; do not wait for them for ever.
    _ = drained.wait(timeout: .now() + 10)
    let (out, err) = output.both
    return CommandResult(
      status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
      standardOutput: String(decoding: out, as: UTF8.self), standardError: String(decoding: err, as: UTF8.self),
      timedOut: timedOut)
  }
}

public enum Command {
  /// Runs `executable` to its end within `timeout` seconds.
  public static func run(
    _ executable: String, _ arguments: [String], timeout: TimeInterval = 60,
    environment: [String: String]? = nil, sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> CommandResult {
    try ChildProcess(executable, arguments, environment: environment).finish(
      timeout: .milliseconds(Int(timeout * 1000)), sourceLocation: sourceLocation)
  }

  /// Runs the built `netdrill` to its end within `timeout`.
  public static func netdrill(
    _ arguments: [String], timeout: TimeInterval = 60, environment: [String: String]? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> CommandResult {
    try run(
      TestPaths.binary.path, arguments, timeout: timeout, environment: environment, sourceLocation: sourceLocation)
  }

  /// Starts the built `netdrill` without waiting for it.
  public static func startNetdrill(_ arguments: [String]) throws -> ChildProcess {
    try ChildProcess(TestPaths.binary.path, arguments)
  }

  /// The full path of `tool` in PATH (or the usual sbin folders), or nil.
  public static func find(_ tool: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
    return folders.map { "\($0)/\(tool)" }.first { access($0, X_OK) == 0 }
  }
}

/// What the drain threads read, handed to `finish`.
private final class CollectedOutput: Sendable {
  private let data = Mutex<(out: Data, err: Data)>((Data(), Data()))

  func store(_ bytes: Data, isError: Bool) {
    data.withLock { if isError { $0.err = bytes } else { $0.out = bytes } }
  }

  var both: (out: Data, err: Data) { data.withLock { $0 } }
}
