import NetDrillNetwork
import NetDrillScenario

// The network family: faults, links and programs under test.
extension StepExecutor {
  /// Installs or removes a declared fault.
  func performFaultChange(_ name: String, _ step: Step) throws(RunError) -> StepOutcome {
    let enabling = step.action.verb == .enable
    guard let fault = scenario.faults.first(where: { $0.name == name }) else {
      throw .environment("\(step.location): no fault named \(name)")
    }
    return try networkChange(
      step, call: "\(enabling ? "enable" : "disable") fault \(name): \(Self.describe(fault))"
    ) {
      if enabling { try network.apply(fault) } else { try network.remove(fault) }
    }
  }

  /// Takes a link down or up, at one host or every end.
  func performLinkState(_ link: String, host: String?, up: Bool, _ step: Step) throws(RunError) -> StepOutcome {
    return try networkChange(step, call: "link \(link)\(host.map { " at " + $0 } ?? "") \(up ? "up" : "down")") {
      try network.setLink(link, host: host, up: up)
    }
  }

  /// Sets a link's MTU.
  func performSetMTU(_ link: String, mtu: Int, _ step: Step) throws(RunError) -> StepOutcome {
    return try networkChange(step, call: "link \(link) mtu \(mtu)") { try network.setMTU(link, mtu: mtu) }
  }

  /// Stops a program under test now and records how it ended.
  /// Starts a deferred program and waits for its ready check, as set-up does.
  func performStart(_ name: String, _ step: Step) throws(RunError) -> StepOutcome {
    guard let program = scenario.programs.first(where: { $0.name == name }) else {
      throw .environment("\(step.location): no program named \(name)")
    }
    var outcome = begin(step: step.phase, verb: .start, socket: nil, call: startCall(program))
    do {
      try network.start(program)
    } catch let error as RunError {
      throw error
    } catch {
      throw .environment("\(step.location): \(error)")
    }
    outcome.returned = 0
    finish(&outcome)
    return outcome
  }

  /// `start echo on local: python3 echo.py`, the call text of a program's start.
  func startCall(_ program: ProgramDeclaration) -> String {
    "start \(program.name) on \(program.host ?? scenario.topology?.defaultHost ?? "local"): \(program.command.joined(separator: " "))"
  }

  func performStop(_ name: String, _ step: Step) throws(RunError) -> StepOutcome {
    var outcome = begin(step: step.phase, verb: .stop, socket: nil, call: "stop \(name)")
    // With a timeout, a program that ends on its own (a client under test) is given that long first.
    if let timeout = step.timeout { network.waitForExit(name, within: timeout) }
    guard let result = network.stop(name) else {
      throw .environment("\(step.location): program \(name) is not running")
    }
    record(result, into: &outcome)
    return outcome
  }

  /// A step that changes the network (a fault, a link): it either takes
  /// effect or the run cannot go on — a missing tool or kernel feature is an
  /// environment problem (exit 2), not an outcome.
  private func networkChange(_ step: Step, call: String, _ change: () throws -> Void) throws(RunError) -> StepOutcome {
    var outcome = begin(step: step.phase, verb: step.action.verb, socket: nil, call: call)
    do {
      try change()
    } catch {
      throw .environment("\(step.location): \(error)")
    }
    outcome.returned = 0
    finish(&outcome)
    return outcome
  }

  /// How a program ended: its exit status, what stopped it, and its output.
  func record(_ result: ProgramResult, into outcome: inout StepOutcome) {
    finish(&outcome)
    outcome.returned = result.exitStatus.map(Int.init)
    outcome.value =
      result.stoppedBy == "exited" ? "exited with status \(result.exitStatus ?? -1)" : "stopped by \(result.stoppedBy)"
    if !result.standardOutput.isEmpty { outcome.data = OutcomeBytes(Array(result.standardOutput.utf8)) }
    if !result.standardError.isEmpty { outcome.note = "stderr: " + result.standardError }
  }

  /// A fault in words, for the call text: `drop udp port 9 on a/eth0 egress`.
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
}
