import Glibc
import NetDrillNetwork
import NetDrillScenario
import NetDrillSockets

/// Runs a scenario's steps, in order, each call a real syscall (a bounded
/// blocking call may take several: see `CallBound`), on the
/// thread (and so in the network namespace) it was created on.
///
/// Not Sendable: it owns the scenario's sockets, which belong to that thread.
final class StepExecutor {
  let scenario: Scenario
  private let closedPort: UInt16
  let network: RunNetwork
  var sockets: [String: OpenSocket] = [:]
  private var remembered: [String: SocketAddress] = [:]
  private(set) var names = AddressNames()
  /// Called with (step index, start time, call text) just before each call,
  /// so a capture can tie packets to the step that caused them.
  var onStepStart: ((Int, UInt64, String) -> Void)?

  /// A socket as the scenario knows it.
  struct OpenSocket {
    var socket: Socket
    var kind: SocketKind
    /// The host it lives on: steps on it run in that host's namespace.
    var host: String
    /// Declared `nonblocking`: its calls are made as they are, never bounded.
    var nonBlocking: Bool
  }

  init(scenario: Scenario, closedPort: UInt16, network: RunNetwork) {
    self.scenario = scenario
    self.closedPort = closedPort
    self.network = network
    names.add(.loopback(.ipv4, port: closedPort), as: "$closed")
    names.add(.loopback(.ipv6, port: closedPort), as: "$closed")
  }

  deinit {
    for open in sockets.values { open.socket.close() }
  }

  // MARK: Set-up

  /// Installs the active faults, starts the programs under test and creates
  /// every socket not marked `deferred`; one outcome per action.
  func setUp() throws -> [StepOutcome] {
    var outcomes: [StepOutcome] = []
    for fault in scenario.faults where fault.active {
      var outcome = begin(step: -1, verb: "fault", socket: nil, call: "fault \(fault.name): \(Self.describe(fault))")
      try network.apply(fault)
      outcome.returned = 0
      finish(&outcome)
      outcomes.append(outcome)
    }
    for program in scenario.programs {
      var outcome = begin(
        step: -1, verb: "start", socket: nil,
        call:
          "start \(program.name) on \(program.host ?? scenario.topology?.defaultHost ?? "local"): \(program.command.joined(separator: " "))"
      )
      try network.start(program)
      outcome.returned = 0
      finish(&outcome)
      outcomes.append(outcome)
    }
    for declaration in scenario.sockets where !declaration.deferred {
      outcomes += try create(declaration, step: -1)
    }
    return outcomes
  }

  /// Stops the programs still running; one outcome each (step -2: after the last step).
  func tearDown() -> [StepOutcome] {
    network.stopAll().map { result in
      var outcome = begin(step: -2, verb: "stop", socket: nil, call: "stop \(result.name)")
      record(result, into: &outcome)
      return outcome
    }
  }

  private func record(_ result: ProgramResult, into outcome: inout StepOutcome) {
    finish(&outcome)
    outcome.returned = result.exitStatus.map(Int.init)
    outcome.value =
      result.stoppedBy == "exited" ? "exited with status \(result.exitStatus ?? -1)" : "stopped by \(result.stoppedBy)"
    if !result.standardOutput.isEmpty { outcome.data = OutcomeBytes(Array(result.standardOutput.utf8)) }
    if !result.standardError.isEmpty { outcome.note = "stderr: " + result.standardError }
  }

  static func describe(_ fault: FaultDeclaration) -> String {
    var what: String
    switch fault.action {
    case .drop: what = "drop"
    case .reject(let icmp): what = "reject with \(icmp)"
    case .lossEvery(let n): what = "drop every \(n)th"
    case .lossPercent(let percent): what = "drop \(percent)% at random"
    case .rateLimit(let rate, let burst, _): what = "rate limit \(rate) burst \(burst)"
    case .delay(let delay): what = "delay \(delay)"
    }
    if let proto = fault.protocolName { what += " \(proto)" }
    if let port = fault.port { what += " port \(port)" }
    return what + " on \(fault.host)\(fault.link.map { "/" + $0 } ?? "") \(fault.direction.rawValue)"
  }

  private func create(_ declaration: SocketDeclaration, step: Int) throws(RunError) -> [StepOutcome] {
    let host = scenario.host(ofSocket: declaration.name)
    try enter(host)
    let family: SocketAddress.Family = declaration.family == .ipv4 ? .ipv4 : .ipv6
    var flags: [String] = []
    if declaration.nonBlocking { flags.append("SOCK_NONBLOCK") }
    if declaration.closeOnExec { flags.append("SOCK_CLOEXEC") }
    let type = ([declaration.kind == .udp ? "SOCK_DGRAM" : "SOCK_STREAM"] + flags).joined(separator: "|")
    let call = "socket(\(family == .ipv4 ? "AF_INET" : "AF_INET6"), \(type), 0) → \(declaration.name)"
    var outcome = begin(step: step, verb: "socket", socket: declaration.name, call: call)
    let result = Socket.open(
      family: family, stream: declaration.kind == .tcp, nonBlocking: declaration.nonBlocking,
      closeOnExec: declaration.closeOnExec)
    switch result {
    case .success(let socket):
      sockets[declaration.name]?.socket.close()
      sockets[declaration.name] = OpenSocket(
        socket: socket, kind: declaration.kind, host: host, nonBlocking: declaration.nonBlocking)
    case .failure(let errno):
      outcome.error = errno.name
    }
    finish(&outcome)
    if step < 0 { outcome.checks.append(mustSucceed(outcome)) }
    var outcomes = [outcome]
    guard sockets[declaration.name] != nil, outcome.error == nil else { return outcomes }
    for setting in declaration.options {
      var optionOutcome = setOption(setting, on: declaration.name, step: step)
      if step < 0 { optionOutcome.checks.append(mustSucceed(optionOutcome)) }
      outcomes.append(optionOutcome)
    }
    return outcomes
  }

  private func mustSucceed(_ outcome: StepOutcome) -> ExpectationCheck {
    ExpectationCheck(field: "set-up", expected: "success", actual: outcome.resultText, passed: outcome.error == nil)
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
      outcomes = try create(declaration, step: step.index)
      // The step's expectation applies to socket() itself.
      if var first = outcomes.first {
        first.checks = ExpectationChecker(resolver: resolver(for: name, at: step)).check(
          step.expect, against: first, action: step.action)
        first.note = step.note
        outcomes[0] = first
      }
      return outcomes
    case .setsockopt(let name, let setting):
      outcomes = [setOption(setting, on: name, step: step.index)]
    default:
      outcomes = [try perform(step, bound: bound)]
    }
    refreshNames()
    let checker = ExpectationChecker(resolver: resolver(for: step.action.socketName, at: step), names: names)
    outcomes[0].checks = checker.check(step.expect, against: outcomes[0], action: step.action)
    outcomes[0].note = step.note
    return outcomes
  }

  private func perform(_ step: Step, bound: Duration) throws(RunError) -> StepOutcome {
    let index = step.index
    switch step.action {
    case .wait(let duration):
      var outcome = begin(step: index, verb: "wait", socket: nil, call: "wait \(DurationText.format(duration))")
      sleepThread(nanoseconds: duration.nanoseconds)
      finish(&outcome)
      return outcome

    case .close(let name):
      let open = try socket(name, step)
      var outcome = begin(step: index, verb: "close", socket: name, call: "close(\(name))")
      record(open.socket.close().map { 0 }, into: &outcome)
      return outcome

    case .bind(let name, let spec):
      let open = try socket(name, step)
      let address =
        try spec.map { spec throws(RunError) in try resolve(spec, for: name, step) }
        ?? .wildcard(open.socket.family)
      var outcome = begin(step: index, verb: "bind", socket: name, call: "bind(\(name), \(address))")
      record(open.socket.bind(address).map { 0 }, into: &outcome)
      return outcome

    case .connect(let name, let spec):
      let open = try socket(name, step)
      let address = try resolve(spec, for: name, step)
      var outcome = begin(step: index, verb: "connect", socket: name, call: "connect(\(name), \(address))")
      // Only a TCP connect waits (for the handshake); a UDP connect just sets the peer.
      if open.kind == .tcp, !open.nonBlocking {
        let limit = CallBound(socket: open.socket, bound: bound, timeoutOption: SO_SNDTIMEO)
        record(limit.connect(address).map { 0 }, into: &outcome)
        markTimeout(&outcome, limit)
      } else {
        record(open.socket.connect(address).map { 0 }, into: &outcome)
      }
      return outcome

    case .disconnect(let name):
      let open = try socket(name, step)
      var outcome = begin(step: index, verb: "disconnect", socket: name, call: "connect(\(name), AF_UNSPEC)")
      record(open.socket.disconnect().map { 0 }, into: &outcome)
      return outcome

    case .listen(let name, let backlog):
      let open = try socket(name, step)
      var outcome = begin(step: index, verb: "listen", socket: name, call: "listen(\(name), \(backlog))")
      record(open.socket.listen(backlog: Int32(clamping: backlog)).map { 0 }, into: &outcome)
      return outcome

    case .accept(let name, let newName):
      let open = try socket(name, step)
      var outcome = begin(step: index, verb: "accept", socket: name, call: "accept(\(name)) → \(newName)")
      let limit = open.nonBlocking ? nil : CallBound(socket: open.socket, bound: bound, timeoutOption: SO_RCVTIMEO)
      let accepted =
        limit.map { limit in limit.nonBlocking { limit.retry(waitingFor: Int16(POLLIN)) { open.socket.accept() } } }
        ?? open.socket.accept()
      switch accepted {
      case .success(let (connection, peer)):
        sockets[newName]?.socket.close()
        sockets[newName] = OpenSocket(socket: connection, kind: .tcp, host: open.host, nonBlocking: false)
        refreshNames()
        outcome.from = peer?.description
        outcome.fromName = peer.flatMap { names.name(for: $0) }
      case .failure(let errno):
        outcome.error = errno.name
      }
      finish(&outcome)
      markTimeout(&outcome, limit)
      return outcome

    case .shutdown(let name, let how):
      let open = try socket(name, step)
      var outcome = begin(
        step: index, verb: "shutdown", socket: name,
        call: "shutdown(\(name), SHUT_\(how == .read ? "RD" : how == .write ? "WR" : "RDWR"))")
      record(open.socket.shutdown(how: how.value).map { 0 }, into: &outcome)
      return outcome

    case .send(let send):
      return try perform(send, step: step, bound: bound)

    case .receive(let receive):
      return try perform(receive, step: step, bound: bound)

    case .getsockopt(let name, let option):
      let open = try socket(name, step)
      var outcome = begin(step: index, verb: "getsockopt", socket: name, call: "getsockopt(\(name), \(option.name))")
      switch open.socket.getOption(level: option.level, name: option.option) {
      case .success(let bytes):
        outcome.returned = 0
        outcome.value = OptionCodec.decode(bytes, kind: option.kind).description
      case .failure(let errno):
        outcome.error = errno.name
      }
      finish(&outcome)
      return outcome

    case .getsockname(let name, let remember), .getpeername(let name, let remember):
      let open = try socket(name, step)
      let isPeer = step.action.verb == "getpeername"
      var outcome = begin(step: index, verb: step.action.verb, socket: name, call: "\(step.action.verb)(\(name))")
      switch isPeer ? open.socket.peerAddress() : open.socket.localAddress() {
      case .success(let address):
        outcome.returned = 0
        outcome.address = address?.description ?? "AF_UNSPEC"
        if let address {
          outcome.addressName = names.name(for: address)
          if let remember { remembered[remember] = address }
        }
      case .failure(let errno):
        outcome.error = errno.name
      }
      finish(&outcome)
      return outcome

    case .join(let name, let group, let interface), .leave(let name, let group, let interface):
      let open = try socket(name, step)
      let joining = step.action.verb == "join"
      let call =
        "setsockopt(\(name), \(membershipOptionName(open.socket.family, joining)), \(group)\(interface.map { " on \($0)" } ?? ""))"
      var outcome = begin(step: index, verb: step.action.verb, socket: name, call: call)
      guard let request = MembershipRequest(group: group, interface: interface, family: open.socket.family) else {
        throw .badAddress("\(group)\(interface.map { " / \($0)" } ?? "")", step.location)
      }
      record(request.apply(to: open.socket, joining: joining).map { 0 }, into: &outcome)
      return outcome

    case .poll(let name, let events):
      let open = try socket(name, step)
      let mask = events.reduce(Int16(0)) { $0 | $1.value }
      let call = "poll(\(name), \(events.map(\.rawValue).joined(separator: "|")), \(DurationText.format(bound)))"
      var outcome = begin(step: index, verb: "poll", socket: name, call: call)
      switch open.socket.poll(events: mask, timeoutMilliseconds: bound.milliseconds) {
      case .success(let revents):
        outcome.returned = revents == 0 ? 0 : 1
        outcome.revents = PollEvent.names(in: revents)
        if revents == 0 { outcome.timedOut = true }
      case .failure(let errno):
        outcome.error = errno.name
      }
      finish(&outcome)
      return outcome

    case .enableFault(let name), .disableFault(let name):
      let enabling = step.action.verb == "enable"
      guard let fault = scenario.faults.first(where: { $0.name == name }) else {
        throw .environment("\(step.location): no fault named \(name)")
      }
      return try networkChange(
        step, call: "\(enabling ? "enable" : "disable") fault \(name): \(Self.describe(fault))"
      ) {
        if enabling { try network.apply(fault) } else { try network.remove(fault) }
      }

    case .linkState(let link, let host, let up):
      return try networkChange(step, call: "link \(link)\(host.map { " at " + $0 } ?? "") \(up ? "up" : "down")") {
        try network.setLink(link, host: host, up: up)
      }

    case .setMTU(let link, let mtu):
      return try networkChange(step, call: "link \(link) mtu \(mtu)") { try network.setMTU(link, mtu: mtu) }

    case .stopProgram(let name):
      var outcome = begin(step: index, verb: "stop", socket: nil, call: "stop \(name)")
      guard let result = network.stop(name) else {
        throw .environment("\(step.location): program \(name) is not running")
      }
      record(result, into: &outcome)
      return outcome

    case .socket, .setsockopt:
      preconditionFailure("handled in execute(_:)")
    }
  }

  /// A step that changes the network (a fault, a link): it either takes
  /// effect or the run cannot go on — a missing tool or kernel feature is an
  /// environment problem (exit 2), not an outcome.
  private func networkChange(_ step: Step, call: String, _ change: () throws -> Void) throws(RunError) -> StepOutcome {
    var outcome = begin(step: step.index, verb: step.action.verb, socket: nil, call: call)
    do {
      try change()
    } catch {
      throw .environment("\(step.location): \(error)")
    }
    outcome.returned = 0
    finish(&outcome)
    return outcome
  }

  private func enter(_ host: String) throws(RunError) {
    do {
      try network.enter(host)
    } catch let error as RunError {
      throw error
    } catch {
      throw .environment(String(describing: error))
    }
  }

  private func setOption(_ setting: OptionSetting, on name: String, step: Int) -> StepOutcome {
    var outcome = begin(
      step: step, verb: "setsockopt", socket: name,
      call: "setsockopt(\(name), \(setting.option.name), \(setting.value))")
    guard let open = sockets[name] else {
      outcome.error = Errno(rawValue: EBADF).name
      finish(&outcome)
      return outcome
    }
    let bytes = OptionCodec.encode(setting.value, kind: setting.option.kind)
    record(
      open.socket.setOption(level: setting.option.level, name: setting.option.option, bytes: bytes).map { 0 },
      into: &outcome)
    return outcome
  }

  // MARK: Helpers

  func socket(_ name: String, _ step: Step) throws(RunError) -> OpenSocket {
    guard let open = sockets[name] else { throw .undeclaredSocket(name, step.location) }
    return open
  }

  private func resolver(for socketName: String?, at step: Step) -> (AddressSpec) throws(RunError) -> SocketAddress {
    { spec throws(RunError) in try self.resolve(spec, for: socketName, step) }
  }

  /// Turns a scenario address into a concrete one, now.
  func resolve(_ spec: AddressSpec, for socketName: String?, _ step: Step) throws(RunError) -> SocketAddress {
    let family = socketName.flatMap { sockets[$0]?.socket.family } ?? .ipv4
    switch spec {
    case .closedPort:
      return .loopback(family, port: closedPort)
    case .literal(let host, let port):
      let number: UInt16
      switch port {
      case .closed: number = closedPort
      case .number(let value): number = value
      }
      guard let address = SocketAddress(ip: host, port: number) else {
        throw .badAddress(spec.description, step.location)
      }
      return address
    case .named(let name):
      if let address = remembered[name] { return address }
      guard let open = sockets[name] else { throw .unknownAddressName(name, step.location) }
      guard case .success(let bound?) = open.socket.localAddress(), bound.port != 0 else {
        throw .unboundSocket(name, step.location)
      }
      // A wildcard-bound socket is reached at its host's first interface address, or at loopback
      // when the host has none (the one-host network).
      guard bound.isWildcard else { return bound }
      if let first = network.interfaceAddresses(of: open.host, family: bound.family).first,
        let address = SocketAddress(ip: first, port: bound.port)
      {
        return address
      }
      return .loopback(bound.family, port: bound.port)
    }
  }

  func refreshNames() {
    for (name, open) in sockets.sorted(by: { $0.key < $1.key }) where !open.socket.isClosed {
      if case .success(let address?) = open.socket.localAddress(), address.port != 0 {
        names.add(address, as: name)
        if address.isWildcard {
          names.add(.loopback(address.family, port: address.port), as: name)
          for ip in network.interfaceAddresses(of: open.host, family: address.family) {
            if let concrete = SocketAddress(ip: ip, port: address.port) { names.add(concrete, as: name) }
          }
        }
      }
    }
  }

  /// Marks a call that netdrill's bound ended (not the socket's own timeout):
  /// the kernel's "not yet" answer at the deadline, shown as `timed out`.
  func markTimeout(_ outcome: inout StepOutcome, _ limit: CallBound?) {
    guard let limit, limit.isNetdrillBound, limit.isExpired, let error = outcome.error,
      ["EAGAIN", "EINPROGRESS", "EALREADY"].contains(error)
    else { return }
    outcome.timedOut = true
  }

  func begin(step: Int, verb: String, socket: String?, call: String) -> StepOutcome {
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

  private func membershipOptionName(_ family: SocketAddress.Family, _ joining: Bool) -> String {
    family == .ipv4
      ? (joining ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP")
      : (joining ? "IPV6_JOIN_GROUP" : "IPV6_LEAVE_GROUP")
  }
}

/// Concrete addresses seen in a run and the symbolic names they stand for.
public struct AddressNames: Sendable {
  public private(set) var table: [String: String] = [:]

  /// The first name given to an address keeps it: a listening socket and the
  /// connections it accepts share one local address, and the listener (named
  /// first) must win in every run, whatever order sockets are visited in.
  mutating func add(_ address: SocketAddress, as name: String) {
    if table[address.description] == nil { table[address.description] = name }
  }

  public func name(for address: SocketAddress) -> String? {
    table[address.description]
  }
}

extension StepExecutor {
  /// Every concrete address each name stands for now: open sockets (a wildcard
  /// bind stands for each of its host's addresses and loopback) and remembered
  /// addresses. The name table keeps only the first name of an address; this
  /// keeps them all, so an accepted socket is found by its own name too.
  func addressAliases() -> [String: [String]] {
    var aliases: [String: [String]] = [:]
    for (name, address) in remembered { aliases[name, default: []].append(address.description) }
    for (name, open) in sockets where !open.socket.isClosed {
      guard case .success(let address?) = open.socket.localAddress(), address.port != 0 else { continue }
      var concrete = [address]
      if address.isWildcard {
        concrete.append(.loopback(address.family, port: address.port))
        concrete += network.interfaceAddresses(of: open.host, family: address.family).compactMap {
          SocketAddress(ip: $0, port: address.port)
        }
      }
      aliases[name, default: []] += concrete.map(\.description)
    }
    return aliases
  }
}
