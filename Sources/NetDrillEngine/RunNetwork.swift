import NetDrillNetwork
import NetDrillScenario
import NetDrillSockets

/// The network a run happens in — one private host with loopback, a built
/// topology, or the host's own network — and what the scenario does to it
/// (faults, link state, programs under test). Lives on the run's thread.
final class RunNetwork {
  /// Each host's namespace; empty on the host's own network.
  private(set) var namespaces: [String: NetworkNamespace] = [:]
  /// Host names in declaration order.
  private(set) var hostOrder: [String] = []
  private var topology: PrivateNetwork?
  private var programs: [String: ProgramUnderTest] = [:]
  private var programOrder: [String] = []
  private let scenario: Scenario

  /// Builds the network; on return the calling thread is inside the first host.
  init(scenario: Scenario, hostNetwork: Bool) throws {
    self.scenario = scenario
    guard !hostNetwork else {
      if scenario.topology != nil {
        throw RunError.environment("--host-network cannot run a scenario that declares hosts and links")
      }
      return
    }
    if let declared = scenario.topology {
      let spec = TopologyCheck.spec(of: declared)
      let built = try PrivateNetwork.build(spec)
      topology = built
      for host in built.hosts {
        namespaces[host.name] = host.namespace
        hostOrder.append(host.name)
      }
      try enter(hostOrder[0])
    } else {
      namespaces["local"] = try NetworkNamespace.createAndEnter(name: "local")
      hostOrder = ["local"]
    }
  }

  /// Every interface to capture on, `host/interface`, in a stable order.
  var captureTargets: [(host: String, interface: String, namespaceFD: Int32)] {
    if let topology { return topology.captureTargets }
    return hostOrder.compactMap { host in namespaces[host].map { (host, "lo", $0.descriptor) } }
  }

  /// Interface addresses by name (`192.0.2.1` → `a/eth0`) for reading traces.
  var addressNames: [String: String] { topology?.addressNames ?? [:] }

  var isPrivate: Bool { !namespaces.isEmpty }

  /// The addresses of a host's interfaces (IPv4 first), for a socket bound to the wildcard.
  func interfaceAddresses(of host: String, family: SocketAddress.Family) -> [String] {
    guard let interfaces = topology?.host(named: host)?.interfaces else { return [] }
    return interfaces.map { family == .ipv4 ? $0.ipv4 : $0.ipv6 }.filter { !$0.isEmpty }
  }

  /// Moves the calling thread into `host`'s namespace (sockets are created where their host is).
  func enter(_ host: String) throws {
    guard let namespace = namespaces[host] else {
      if namespaces.isEmpty { return }
      throw RunError.environment("no host named \(host) in this network")
    }
    try namespace.enter()
  }

  // MARK: Faults and links

  func apply(_ fault: FaultDeclaration) throws {
    guard let topology else { throw RunError.environment("faults need a scenario with \"hosts\" and \"links\"") }
    try topology.apply(Self.fault(fault))
  }

  func remove(_ fault: FaultDeclaration) throws {
    guard let topology else { return }
    try topology.remove(Self.fault(fault))
  }

  func setLink(_ link: String, host: String?, up: Bool) throws {
    guard let topology else { throw RunError.environment("links need a scenario with \"hosts\" and \"links\"") }
    try topology.setLink(link, host: host, up: up)
  }

  func setMTU(_ link: String, mtu: Int) throws {
    guard let topology else { throw RunError.environment("links need a scenario with \"hosts\" and \"links\"") }
    try topology.setMTU(link, mtu: mtu)
  }

  /// A scenario fault in the network layer's terms.
  static func fault(_ declaration: FaultDeclaration) -> Fault {
    let action: Fault.Action
    switch declaration.action {
    case .drop: action = .drop
    case .reject(let icmp): action = .reject(icmp: icmp)
    case .lossEvery(let n): action = .dropEveryNth(n)
    case .lossPercent(let percent): action = .dropRandomPercent(percent)
    case .rateLimit(let rate, let burst, let latency): action = .rateLimit(rate: rate, burst: burst, latency: latency)
    case .delay(let delay): action = .delay(delay)
    }
    let direction: Fault.Direction
    switch declaration.direction {
    case .input: direction = .input
    case .output: direction = .output
    case .forward: direction = .forward
    }
    return Fault(
      host: declaration.host, link: declaration.link, direction: direction, protocolName: declaration.protocolName,
      port: declaration.port, action: action)
  }

  // MARK: Programs under test

  /// Starts a program in its host and waits until it is ready.
  func start(_ program: ProgramDeclaration) throws {
    let host = program.host ?? scenario.topology?.defaultHost ?? "local"
    guard let namespace = namespaces[host] else {
      throw RunError.environment("programs under test run inside a private network: drop --host-network")
    }
    let ready: ReadyCheck?
    switch program.ready {
    case .udpPort(let port)?: ready = .udpPort(port)
    case .tcpPort(let port)?: ready = .tcpPort(port)
    case .output(let text)?: ready = .outputLine(text)
    case nil: ready = nil
    }
    let spec = ProgramSpec(
      name: program.name, command: program.command, environment: program.environment,
      workingDirectory: program.workingDirectory, ready: ready, readyTimeout: program.readyTimeout,
      stopGrace: program.stopGrace)
    let process = try ProgramUnderTest.start(spec, in: namespace)
    programs[program.name] = process
    programOrder.append(program.name)
    try process.waitUntilReady()
  }

  /// Waits at most `timeout` for a running program to end on its own.
  func waitForExit(_ name: String, within timeout: Duration) {
    _ = programs[name]?.waitForExit(within: timeout)
  }

  /// Stops a program (SIGTERM, then SIGKILL) and says how it ended; nil if it was never started.
  func stop(_ name: String) -> ProgramResult? {
    programs[name]?.stop()
  }

  /// Stops every program still running, in reverse start order.
  func stopAll() -> [ProgramResult] {
    programOrder.reversed().compactMap { programs[$0]?.stop() }
  }
}
