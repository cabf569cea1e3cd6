import Glibc
import NetDrillNetwork
import NetDrillScenario
import NetDrillSockets

/// Runs a scenario's steps, in order, each call a real syscall (a bounded
/// blocking call may take several: see `CallBound`), on the thread it was
/// created on, which it moves into the network namespace of each socket's host.
///
/// Not Sendable: it owns the scenario's sockets, which belong to that thread.
/// The calls are grouped by family in `StepExecutor+*.swift`: Connection,
/// Send, Receive, Options, Multicast, Poll, Addresses, Network.
final class StepExecutor {
  let scenario: Scenario
  let closedPort: UInt16
  /// `$closed.NAME` → its port: each distinct, none with a listener.
  let namedClosedPorts: [String: UInt16]
  let network: RunNetwork
  var sockets: [String: OpenSocket] = [:]
  /// Addresses `remember`ed by getsockname, getpeername and receive steps.
  var remembered: [String: SocketAddress] = [:]
  /// Socket name → the bytes its last successful receive got: what a send's `echo` copies from.
  var lastReceived: [String: [UInt8]] = [:]
  var names = AddressNames()
  /// What inject steps need to know of earlier steps, and each host's device (`StepExecutor+Inject.swift`).
  var injection = InjectionState()
  /// The outcome of each step with an `id` so far, for `"elapsed": {"since": id}` and `"total"`.
  var labelled: [String: StepOutcome] = [:]
  /// `receive_in_background` receivers running, by socket, until their `collect` (or tear-down).
  var backgroundReceivers: [String: BackgroundReceiver] = [:]
  /// Called with (phase, start time, call text) just before each call,
  /// so a capture can tie packets to the step that caused them.
  var onStepStart: ((StepPhase, UInt64, String) -> Void)?

  /// A socket as the scenario knows it.
  struct OpenSocket {
    var socket: Socket
    var kind: SocketKind
    /// The host it lives on: steps on it run in that host's namespace.
    var host: String
    /// Declared `nonblocking`: its calls are made as they are, never bounded.
    var nonBlocking: Bool
  }

  init(scenario: Scenario, closedPort: UInt16, namedClosedPorts: [String: UInt16] = [:], network: RunNetwork) {
    self.scenario = scenario
    self.closedPort = closedPort
    self.namedClosedPorts = namedClosedPorts
    self.network = network
    names.add(.loopback(.ipv4, port: closedPort), as: "$closed")
    names.add(.loopback(.ipv6, port: closedPort), as: "$closed")
    for (label, port) in namedClosedPorts.sorted(by: { $0.key < $1.key }) {
      names.add(.loopback(.ipv4, port: port), as: "$closed.\(label)")
      names.add(.loopback(.ipv6, port: port), as: "$closed.\(label)")
    }
  }

  deinit {
    // A run that failed midway never collected its receivers: stop them before their sockets close.
    for receiver in backgroundReceivers.values { receiver.stop() }
    for open in sockets.values { open.socket.close() }
  }

  // MARK: Set-up

  /// Installs the active faults, starts the programs under test and creates
  /// every socket not marked `deferred`; one outcome per call (a declared
  /// option is a setsockopt call of its own).
  func setUp() throws -> [StepOutcome] {
    var outcomes: [StepOutcome] = []
    for fault in scenario.faults where fault.active {
      var outcome = begin(
        step: .setUp, verb: "fault", socket: nil, call: "fault \(fault.name): \(Self.describe(fault))")
      try network.apply(fault)
      outcome.returned = 0
      finish(&outcome)
      outcomes.append(outcome)
    }
    for program in scenario.programs where !program.deferred {
      var outcome = begin(step: .setUp, verb: "start", socket: nil, call: startCall(program))
      try network.start(program)
      outcome.returned = 0
      finish(&outcome)
      outcomes.append(outcome)
    }
    for declaration in scenario.sockets where !declaration.deferred {
      outcomes += try create(declaration, step: .setUp)
    }
    return outcomes
  }

  /// Stops the programs still running; one outcome each, after the last step.
  func tearDown() -> [StepOutcome] {
    // Receivers first: they read sockets that must stay open, and their totals are the steps' traffic.
    var outcomes = collectRemainingReceivers()
    outcomes += network.stopAll().map { result in
      var outcome = begin(step: .tearDown, verb: Verb.stop, socket: nil, call: "stop \(result.name)")
      record(result, into: &outcome)
      return outcome
    }
    return outcomes
  }

  // MARK: Steps

  /// Executes one step. Throws only for problems that make the scenario
  /// impossible to go on with (an address that cannot be resolved).
  func execute(_ step: Step) throws(RunError) -> [StepOutcome] {
    let bound = step.timeout ?? scenario.defaults.timeout
    // Interface names and addresses resolve in the namespace of the socket's host.
    if let name = step.action.socketName, let open = sockets[name] { try enter(open.host) }
    var outcomes: [StepOutcome]
    switch step.action {
    case .socket(let name):
      guard let declaration = scenario.socket(named: name) else { throw .undeclaredSocket(name, step.location) }
      outcomes = try create(declaration, step: step.phase)
      // The step's expectation applies to socket() itself.
      if var first = outcomes.first {
        first.checks = ExpectationChecker(resolver: resolver(for: name, at: step), labelled: labelled).check(
          step.expect, against: first, action: step.action)
        first.note = step.note
        first.id = step.id
        outcomes[0] = first
        if let id = step.id { labelled[id] = first }
      }
      return outcomes
    case .setsockopt(let name, let setting):
      outcomes = [setOption(setting, on: name, step: step.phase)]
    case .repetition(let repetition):
      let outcome = try performRepetition(repetition, step: step)
      // A send in the body may have bound its socket to an ephemeral port: name it, as after any step,
      // so the repeat's packets and its summarised bulk run compare by name across runs.
      refreshNames()
      if let id = step.id { labelled[id] = outcome }
      return [outcome]
    default:
      outcomes = [try perform(step, bound: bound)]
      noteForInjection(step, outcome: outcomes[0])
    }
    refreshNames()
    let checker = ExpectationChecker(
      resolver: resolver(for: step.action.socketName, at: step), names: names, labelled: labelled)
    // += : a step may have found a failure of its own (a send's echo range outside the datagram received).
    outcomes[0].checks += checker.check(step.expect, against: outcomes[0], action: step.action)
    outcomes[0].note = step.note
    outcomes[0].id = step.id
    // Expectations saw every message; the outcome keeps a bounded part.
    outcomes[0].boundMessages()
    if let id = step.id { labelled[id] = outcomes[0] }
    return outcomes
  }

  private func perform(_ step: Step, bound: Duration) throws(RunError) -> StepOutcome {
    switch step.action {
    case .wait(let duration):
      var outcome = begin(step: step.phase, verb: .wait, socket: nil, call: "wait \(DurationText.format(duration))")
      sleepThread(nanoseconds: duration.nanoseconds)
      finish(&outcome)
      return outcome

    case .close(let name): return try performClose(name, step)
    case .bind(let name, let spec): return try performBind(name, to: spec, step)
    case .connect(let name, let spec): return try performConnect(name, to: spec, step, bound: bound)
    case .disconnect(let name): return try performDisconnect(name, step)
    case .listen(let name, let backlog): return try performListen(name, backlog: backlog, step)
    case .accept(let name, let newName): return try performAccept(name, as: newName, step, bound: bound)
    case .shutdown(let name, let how): return try performShutdown(name, how: how, step)
    case .send(let send): return try perform(send, step: step, bound: bound)
    case .receive(let receive): return try perform(receive, step: step, bound: bound)
    case .getsockopt(let name, let option): return try performGetOption(name, option, step)
    case .getsockname(let name, let remember), .getpeername(let name, let remember):
      return try performAddressQuery(name, remember: remember, step)
    case .join(let name, let group, let interface), .leave(let name, let group, let interface):
      return try performMembership(name, group: group, interface: interface, step)
    case .poll(let name, let events): return try performPoll(name, events: events, step, bound: bound)
    case .fcntl(let name, let set, let clear): return try performFcntl(name, set: set, clear: clear, step)
    case .enableFault(let name), .disableFault(let name): return try performFaultChange(name, step)
    case .linkState(let link, let host, let up): return try performLinkState(link, host: host, up: up, step)
    case .setMTU(let link, let mtu): return try performSetMTU(link, mtu: mtu, step)
    case .startProgram(let name): return try performStart(name, step)
    case .stopProgram(let name): return try performStop(name, step)
    case .inject(let inject): return try performInject(inject, step)
    case .receiveInBackground(let receive): return try performReceiveInBackground(receive, step)
    case .collect(let collect): return try performCollect(collect, step, bound: bound)
    case .socket, .setsockopt, .repetition:
      preconditionFailure("handled in execute(_:)")
    }
  }

  /// Moves the run's thread into `host`'s network namespace.
  func enter(_ host: String) throws(RunError) {
    do {
      try network.enter(host)
    } catch let error as RunError {
      throw error
    } catch {
      throw .environment(String(describing: error))
    }
  }

  // MARK: Helpers

  func socket(_ name: String, _ step: Step) throws(RunError) -> OpenSocket {
    guard let open = sockets[name] else { throw .undeclaredSocket(name, step.location) }
    return open
  }

  /// Marks a call that netdrill's bound ended (not the socket's own timeout):
  /// the kernel's "not yet" answer at the deadline, shown as `timed out`.
  func markTimeout(_ outcome: inout StepOutcome, _ limit: CallBound?) {
    guard let limit, limit.isNetdrillBound, limit.isExpired, let error = outcome.error,
      ["EAGAIN", "EINPROGRESS", "EALREADY"].contains(error)
    else { return }
    outcome.timedOut = true
  }

  /// Starts the outcome of a call a step's verb makes.
  func begin(step: StepPhase, verb: Verb, socket: String?, call: String) -> StepOutcome {
    begin(step: step, verb: verb.rawValue, socket: socket, call: call)
  }

  /// Starts the outcome of a call; `verb` is a step's verb, or what a set-up
  /// call does when no step makes it (`fault`, `start`).
  func begin(step: StepPhase, verb: String, socket: String?, call: String) -> StepOutcome {
    let now = realtimeNanoseconds()
    onStepStart?(step, now, call)
    return StepOutcome(step: step, verb: verb, socket: socket, call: call, startNanoseconds: now)
  }

  func finish(_ outcome: inout StepOutcome) {
    outcome.endNanoseconds = realtimeNanoseconds()
  }

  func record(_ result: Result<Int, Errno>, into outcome: inout StepOutcome) {
    finish(&outcome)
    switch result {
    case .success(let value): outcome.returned = value
    case .failure(let errno): outcome.error = errno.name
    }
  }
}
