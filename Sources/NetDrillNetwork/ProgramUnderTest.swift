import Foundation
import Glibc
import NetDrillSockets
import Synchronization

/// A real program running inside one simulated host for the length of a
/// scenario: started, waited for until ready, stopped, its output and exit
/// status recorded.
///
/// Nothing the program starts outlives it or netdrill: it runs in a PID
/// namespace of its own, whose init dies with netdrill (PR_SET_PDEATHSIG =
/// SIGKILL) and whose end makes the kernel kill every process left in it
/// (see `ProgramSupervisor`). `stop()` signals the init, which passes SIGTERM
/// on to the whole tree; SIGKILL to the init ends the tree at once.
/// `deinit` stops a program nobody stopped.
public final class ProgramUnderTest: Sendable {
  public let spec: ProgramSpec
  // Held so the namespace outlives the program even if the caller drops its reference.
  private let namespace: NetworkNamespace
  private let state: ProgramState
  private let startedAt: ContinuousClock.Instant
  /// What `start`, `waitUntilReady` and `stop` find out, from any thread.
  private struct Findings {
    var readyAfter: Duration?
    var result: ProgramResult?
  }
  private let findings: Mutex<Findings>

  /// The pid of the init of the program's PID namespace (the program itself
  /// is PID 2 inside it). It shares the program's network namespace, so its
  /// /proc/<pid>/net tables are the program's; a signal to it reaches the
  /// whole tree (SIGTERM forwarded, SIGKILL by the kernel).
  public let processID: pid_t

  /// How long `start` waits for the supervisor thread to report the spawn.
  private static let spawnBound: Duration = .seconds(10)
  /// How long `stop` waits for the exit after SIGKILL, and for the output after the exit.
  private static let reapBound: Duration = .seconds(5)
  private static let drainBound: Duration = .seconds(1)

  private init(
    spec: ProgramSpec, namespace: NetworkNamespace, state: ProgramState, pid: pid_t,
    startedAt: ContinuousClock.Instant
  ) {
    self.spec = spec
    self.namespace = namespace
    self.state = state
    self.processID = pid
    self.startedAt = startedAt
    findings = Mutex(Findings(readyAfter: spec.ready == nil ? .zero : nil))
  }

  deinit { _ = stop() }

  /// Starts `spec` inside `namespace`; callable from any thread.
  ///
  /// The spawn happens on a new thread of netdrill's own that setns()es into
  /// `namespace` first (a child starts in the network namespace of the thread
  /// that spawned it); the caller's thread never changes namespace. That
  /// thread stays, waiting for the program, until the program has ended.
  public static func start(_ spec: ProgramSpec, in namespace: NetworkNamespace) throws(ProgramError)
    -> ProgramUnderTest
  {
    let launch = try ProgramLaunch(spec)
    var readyText: String?
    if case .outputLine(let text) = spec.ready { readyText = text }
    let state = ProgramState(readyText: readyText)
    let startedAt = ContinuousClock.now
    ProgramSupervisor.start(launch, in: namespace, state: state)
    switch state.waitForSpawn(until: .now + spawnBound) {
    case .success(let pid):
      return ProgramUnderTest(spec: spec, namespace: namespace, state: state, pid: pid, startedAt: startedAt)
    case .failure(let error):
      throw error
    case nil:
      throw .spawnFailed(
        "program \(spec.name): no spawn within \(spawnBound.inSeconds)s (the machine may be overloaded)",
        Errno(rawValue: ETIMEDOUT))
    }
  }

  /// Waits, at most `spec.readyTimeout` from now, until the ready check passes.
  ///
  /// Throws `ProgramError.notReady` with the output so far when the bound
  /// passes, `ProgramError.exitedEarly` when the program ends first. With no
  /// ready check it returns at once (a program that already ended is not an
  /// error then: it was ready when it started). Returns at once once ready.
  public func waitUntilReady() throws(ProgramError) {
    guard let check = spec.ready, findings.withLock({ $0.readyAfter }) == nil else { return }
    let deadline = ContinuousClock.now + spec.readyTimeout
    while true {
      if let readyAt = readyInstant(check) {
        findings.withLock { $0.readyAfter = startedAt.duration(to: readyAt) }
        return
      }
      if let exit = state.exitStatus {
        // What it wrote just before ending may still be in the pipe.
        state.waitForReader(until: .now + Self.drainBound)
        if let readyAt = readyInstant(check) {
          findings.withLock { $0.readyAfter = startedAt.duration(to: readyAt) }
          return
        }
        throw .exitedEarly(name: spec.name, status: exit, output: state.outputForMessage)
      }
      if ContinuousClock.now >= deadline {
        throw .notReady(
          name: spec.name, check: check, seconds: spec.readyTimeout.inSeconds, output: state.outputForMessage)
      }
      // An output line or the exit wakes us at once; the port tables are polled every 10 ms.
      state.waitForNews(until: min(deadline, .now + .milliseconds(10)))
    }
  }

  /// When the check passed, or nil if it has not.
  private func readyInstant(_ check: ReadyCheck) -> ContinuousClock.Instant? {
    switch check {
    case .outputLine:
      return state.readyLineSeenAt
    case .udpPort(let port):
      // Once the program has ended its pid may name another process: trust no table then.
      guard state.exitStatus == nil else { return nil }
      return ProcNetSockets.hasUDPPort(port, pid: processID) ? .now : nil
    case .tcpPort(let port):
      guard state.exitStatus == nil else { return nil }
      return ProcNetSockets.hasTCPListener(port, pid: processID) ? .now : nil
    }
  }

  /// Waits at most `timeout` for the program to end on its own (a one-shot
  /// client, say); returns how it ended, or nil while it still runs. Sends nothing.
  public func waitForExit(within timeout: Duration) -> ProgramExit? {
    state.waitForExit(until: .now + timeout)
  }

  /// Stops the program and returns what it did; later calls return the same result.
  ///
  /// SIGTERM to every process of the program's tree, up to `spec.stopGrace`
  /// for the program to end, then SIGKILL to the tree. When the program
  /// ends, whatever it left (its own children) is SIGKILLed by the kernel
  /// with its PID namespace. Every wait is bounded.
  public func stop() -> ProgramResult {
    // Held for the whole stop, so a second caller waits and gets the same result.
    findings.withLock { findings in
      if let result = findings.result { return result }
      let made = makeResult(readyAfter: findings.readyAfter)
      findings.result = made
      return made
    }
  }

  private func makeResult(readyAfter: Duration?) -> ProgramResult {
    let finished = terminate()
    let texts = state.outputTexts
    var standardError = texts.standardError
    if finished.exit == nil {
      standardError += "\n[netdrill: the program did not end within \(Self.reapBound.inSeconds)s of SIGKILL]\n"
    }
    var exitStatus: Int32?
    var signal: Int32?
    switch finished.exit {
    case .exited(let status): exitStatus = status
    case .killedBy(let number): signal = number
    case .statusLost, nil: break
    }
    let made = ProgramResult(
      name: spec.name, command: spec.command, exitStatus: exitStatus, signal: signal, stoppedBy: finished.stoppedBy,
      readyAfterNanoseconds: readyAfter.map(\.wholeNanoseconds),
      standardOutput: texts.standardOutput, standardError: standardError)
    return made
  }

  private func terminate() -> (exit: ProgramExit?, stoppedBy: String) {
    // The namespace's init forwards SIGTERM to every process of the tree;
    // SIGKILL kills the init, and the kernel the rest of its namespace.
    let initProcess = processID
    var stoppedBy = "exited"
    var exit = state.exitStatus
    if exit == nil {
      kill(initProcess, SIGTERM)
      stoppedBy = "SIGTERM"
      exit = state.waitForExit(until: .now + spec.stopGrace)
      if exit == nil {
        kill(initProcess, SIGKILL)
        stoppedBy = "SIGKILL"
        exit = state.waitForExit(until: .now + Self.reapBound)
      }
    }
    if !state.waitForReader(until: .now + Self.drainBound) {
      // Should not happen (the tree ended with its namespace); bounded all the same.
      state.stopReading()
      state.waitForReader(until: .now + Self.drainBound)
    }
    return (exit, stoppedBy)
  }
}
