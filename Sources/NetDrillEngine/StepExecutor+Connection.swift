import Glibc
import NetDrillScenario
import NetDrillSockets

// The connection family: socket, bind, connect, disconnect, listen, accept, shutdown, close.
extension StepExecutor {
  func create(_ declaration: SocketDeclaration, step: StepPhase) throws(RunError) -> [StepOutcome] {
    let host = scenario.host(ofSocket: declaration.name)
    try enter(host)
    let family: SocketAddress.Family = declaration.family == .ipv4 ? .ipv4 : .ipv6
    var flags: [String] = []
    if declaration.nonBlocking { flags.append("SOCK_NONBLOCK") }
    if declaration.closeOnExec { flags.append("SOCK_CLOEXEC") }
    let type = ([declaration.kind == .udp ? "SOCK_DGRAM" : "SOCK_STREAM"] + flags).joined(separator: "|")
    let call = "socket(\(family == .ipv4 ? "AF_INET" : "AF_INET6"), \(type), 0) → \(declaration.name)"
    var outcome = begin(step: step, verb: .socket, socket: declaration.name, call: call)
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
    if step == .setUp { outcome.checks.append(mustSucceed(outcome)) }
    var outcomes = [outcome]
    guard sockets[declaration.name] != nil, outcome.error == nil else { return outcomes }
    for setting in declaration.options {
      var optionOutcome = setOption(setting, on: declaration.name, step: step)
      if step == .setUp { optionOutcome.checks.append(mustSucceed(optionOutcome)) }
      outcomes.append(optionOutcome)
    }
    return outcomes
  }

  private func mustSucceed(_ outcome: StepOutcome) -> ExpectationCheck {
    ExpectationCheck(field: "set-up", expected: "success", actual: outcome.resultText, passed: outcome.error == nil)
  }

  /// close(2).
  func performClose(_ name: String, _ step: Step) throws(RunError) -> StepOutcome {
    let open = try socket(name, step)
    var outcome = begin(step: step.phase, verb: .close, socket: name, call: "close(\(name))")
    record(open.socket.close().map { 0 }, into: &outcome)
    return outcome
  }

  /// bind(2); no address binds the family's wildcard address, port 0.
  func performBind(_ name: String, to spec: AddressSpec?, _ step: Step) throws(RunError) -> StepOutcome {
    let open = try socket(name, step)
    let address =
      try spec.map { spec throws(RunError) in try resolve(spec, for: name, step) }
      ?? .wildcard(open.socket.family)
    var outcome = begin(step: step.phase, verb: .bind, socket: name, call: "bind(\(name), \(address))")
    record(open.socket.bind(address).map { 0 }, into: &outcome)
    return outcome
  }

  /// connect(2), bounded for a blocking TCP socket.
  func performConnect(_ name: String, to spec: AddressSpec, _ step: Step, bound: Duration) throws(RunError)
    -> StepOutcome
  {
    let open = try socket(name, step)
    let address = try resolve(spec, for: name, step)
    var outcome = begin(step: step.phase, verb: .connect, socket: name, call: "connect(\(name), \(address))")
    // Only a TCP connect waits (for the handshake); a UDP connect just sets the peer.
    if open.kind == .tcp, !open.nonBlocking {
      let limit = CallBound(socket: open.socket, bound: bound, timeoutOption: SO_SNDTIMEO)
      record(limit.connect(address).map { 0 }, into: &outcome)
      markTimeout(&outcome, limit)
    } else {
      record(open.socket.connect(address).map { 0 }, into: &outcome)
    }
    return outcome
  }

  /// connect(2) with AF_UNSPEC: dissolves a UDP association.
  func performDisconnect(_ name: String, _ step: Step) throws(RunError) -> StepOutcome {
    let open = try socket(name, step)
    var outcome = begin(step: step.phase, verb: .disconnect, socket: name, call: "connect(\(name), AF_UNSPEC)")
    record(open.socket.disconnect().map { 0 }, into: &outcome)
    return outcome
  }

  /// listen(2).
  func performListen(_ name: String, backlog: Int, _ step: Step) throws(RunError) -> StepOutcome {
    let open = try socket(name, step)
    var outcome = begin(step: step.phase, verb: .listen, socket: name, call: "listen(\(name), \(backlog))")
    record(open.socket.listen(backlog: Int32(clamping: backlog)).map { 0 }, into: &outcome)
    return outcome
  }

  /// accept(2), bounded unless the socket is nonblocking; the connection
  /// becomes the socket `newName`.
  func performAccept(_ name: String, as newName: String, _ step: Step, bound: Duration) throws(RunError) -> StepOutcome
  {
    let open = try socket(name, step)
    var outcome = begin(step: step.phase, verb: .accept, socket: name, call: "accept(\(name)) → \(newName)")
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
  }

  /// shutdown(2).
  func performShutdown(_ name: String, how: ShutdownHow, _ step: Step) throws(RunError) -> StepOutcome {
    let open = try socket(name, step)
    var outcome = begin(
      step: step.phase, verb: .shutdown, socket: name,
      call: "shutdown(\(name), SHUT_\(how == .read ? "RD" : how == .write ? "WR" : "RDWR"))")
    record(open.socket.shutdown(how: how.value).map { 0 }, into: &outcome)
    return outcome
  }
}
