import Foundation
import Glibc
import NetDrillSockets

/// A real program running inside one simulated host for the length of a
/// scenario: started, waited for until ready, stopped, its output and exit
/// status recorded.
///
/// The program cannot outlive netdrill: it runs with PR_SET_PDEATHSIG =
/// SIGKILL (set by `setpriv --pdeathsig KILL`, see `ProgramLaunch`), so the
/// kernel kills it when netdrill dies, even by SIGKILL. It leads a process
/// group of its own, and `stop()` signals the whole group, so its children
/// go too. (Children it starts itself are not covered by the death signal if
/// netdrill is SIGKILLed; the group kill in `stop()` covers every normal end.)
/// `deinit` stops a program nobody stopped.
public final class ProgramUnderTest: @unchecked Sendable {
  // @unchecked: `spec`, `namespace`, `state` and `startedAt` are immutable
  // (`state` synchronises itself); `readyAfter` and `result` are guarded by `lock`.
  public let spec: ProgramSpec
  // Held so the namespace outlives the program even if the caller drops its reference.
  private let namespace: NetworkNamespace
  private let state: ProgramState
  private let startedAt: ContinuousClock.Instant
  private let lock = NSLock()
  private var readyAfter: Duration?
  private var result: ProgramResult?

  /// The program's pid, which is also its process group ID.
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
    if spec.ready == nil { readyAfter = .zero }
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
    guard let check = spec.ready, lock.withLock({ readyAfter }) == nil else { return }
    let deadline = ContinuousClock.now + spec.readyTimeout
    while true {
      if let readyAt = readyInstant(check) {
        lock.withLock { readyAfter = startedAt.duration(to: readyAt) }
        return
      }
      if let exit = state.exitStatus {
        // What it wrote just before ending may still be in the pipe.
        state.waitForReader(until: .now + Self.drainBound)
        if let readyAt = readyInstant(check) {
          lock.withLock { readyAfter = startedAt.duration(to: readyAt) }
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
  /// SIGTERM to the process group, up to `spec.stopGrace` for the program to
  /// end, then SIGKILL. Whatever is left of the group after the program ended
  /// (its own children) is SIGKILLed too. Every wait is bounded.
  public func stop() -> ProgramResult {
    lock.lock()
    defer { lock.unlock() }
    if let result { return result }
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
    result = made
    return made
  }

  private func terminate() -> (exit: ProgramExit?, stoppedBy: String) {
    let group = -processID
    var stoppedBy = "exited"
    var exit = state.exitStatus
    if exit == nil {
      kill(group, SIGTERM)
      stoppedBy = "SIGTERM"
      exit = state.waitForExit(until: .now + spec.stopGrace)
      if exit == nil {
        kill(group, SIGKILL)
        stoppedBy = "SIGKILL"
        exit = state.waitForExit(until: .now + Self.reapBound)
      }
    }
    // Stragglers: anything still in the group. ESRCH (an empty group) is the usual answer.
    kill(group, SIGKILL)
    if !state.waitForReader(until: .now + Self.drainBound) {
      // A process outside the group still holds a pipe: stop reading rather than wait for it.
      state.stopReading()
      state.waitForReader(until: .now + Self.drainBound)
    }
    return (exit, stoppedBy)
  }
}
