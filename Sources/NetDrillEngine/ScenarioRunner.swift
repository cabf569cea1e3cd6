import Glibc
import NetDrillNetwork
import NetDrillScenario
import NetDrillSockets

/// How a run is set up.
public struct RunOptions: Sendable {
  /// Run on the host's own network instead of a fresh private namespace (explicit opt-in).
  public var hostNetwork: Bool
  /// Reported in the run's environment and in traces.
  public var toolVersion: String

  public init(hostNetwork: Bool = false, toolVersion: String = NetDrillVersion.current) {
    self.hostNetwork = hostNetwork
    self.toolVersion = toolVersion
  }
}

public enum NetDrillVersion {
  public static let current = "0.1.0"
}

/// Watches a run from its own thread: told when the network exists (before
/// the first call) and when each call starts, so a capture can open on every
/// interface first and tie packets to steps. Called on the run's thread.
public protocol RunObserver: AnyObject, Sendable {
  func networkReady(_ interfaces: [NetworkInterfaceTarget]) throws
  func stepStarting(step: StepPhase, atNanoseconds: UInt64, call: String)
  func stepsFinished()
}

/// An interface of a run's network, to capture on: `host/interface` and the host's namespace.
public struct NetworkInterfaceTarget: Sendable {
  public var host: String
  public var interface: String
  public var namespaceFD: Int32
}

/// Runs scenarios: each in a fresh private network namespace (unless
/// `hostNetwork`), on a thread of its own, every step a real syscall.
public enum ScenarioRunner {
  /// Runs `scenario` and returns every outcome. Throws `RunError` when the
  /// environment or the scenario makes it impossible to go on (exit code 2);
  /// failed expectations are not errors: see `RunResult.passed`.
  public static func run(_ scenario: Scenario, options: RunOptions = .init(), observer: RunObserver? = nil)
    throws(RunError)
    -> RunResult
  {
    do {
      try TopologyCheck.check(scenario)
    } catch {
      throw .invalidScenario(error)
    }
    let bound = overallBound(of: scenario)
    do {
      return try IsolatedThread.run(name: "netdrill-run \(scenario.name)", timeout: bound) {
        try runHere(scenario, options: options, observer: observer)
      }
    } catch let error as RunError {
      throw error
    } catch let error as NetworkError {
      throw .network(error)
    } catch {
      throw .environment(String(describing: error))
    }
  }

  /// The whole run's bound: every step's own bound plus slack for set-up and capture.
  static func overallBound(of scenario: Scenario) -> Duration {
    scenario.steps.reduce(Duration.seconds(30)) { total, step in
      if case .wait(let duration) = step.action { return total + duration }
      if case .repetition(let repetition) = step.action {
        return total + repetition.runBound(scenario.defaults.timeout)
      }
      return total + (step.timeout ?? scenario.defaults.timeout) * 2
    }
  }

  /// Runs on the calling thread, which must be one netdrill owns.
  private static func runHere(_ scenario: Scenario, options: RunOptions, observer: RunObserver?) throws -> RunResult {
    let start = realtimeNanoseconds()
    let network = try RunNetwork(scenario: scenario, hostNetwork: options.hostNetwork)
    let closedPort = try ClosedPort.find(avoiding: literalPorts(in: scenario))
    var namedClosedPorts: [String: UInt16] = [:]
    var taken = literalPorts(in: scenario).union([closedPort])
    for label in scenario.closedPortNames {
      let port = try ClosedPort.find(avoiding: taken)
      namedClosedPorts[label] = port
      taken.insert(port)
    }
    try observer?.networkReady(
      network.captureTargets.map {
        NetworkInterfaceTarget(host: $0.host, interface: $0.interface, namespaceFD: $0.namespaceFD)
      })

    let executor = StepExecutor(
      scenario: scenario, closedPort: closedPort, namedClosedPorts: namedClosedPorts, network: network)
    if let observer {
      executor.onStepStart = { step, time, call in observer.stepStarting(step: step, atNanoseconds: time, call: call) }
    }
    var outcomes: [StepOutcome] = []
    do {
      outcomes = try executor.setUp()
      for step in scenario.steps {
        outcomes += try executor.execute(step)
      }
    } catch {
      _ = network.stopAll()
      throw error
    }
    // Programs stop while the capture still runs, so their last packets are in the trace.
    outcomes += executor.tearDown()
    observer?.stepsFinished()
    var names = executor.names.table
    for (address, name) in network.addressNames where names[address] == nil { names[address] = name }
    return RunResult(
      scenarioName: scenario.name, scenarioPath: scenario.sourcePath, outcomes: outcomes, names: names,
      closedPort: closedPort, namedClosedPorts: namedClosedPorts.isEmpty ? nil : namedClosedPorts,
      environment: RunEnvironment(
        kernelRelease: kernelRelease(), toolVersion: options.toolVersion,
        network: options.hostNetwork ? "host" : "private"),
      startNanoseconds: start, endNanoseconds: realtimeNanoseconds(),
      aliases: scenario.expectedPackets.isEmpty ? nil : executor.addressAliases())
  }

  private static func literalPorts(in scenario: Scenario) -> Set<UInt16> {
    var ports = Set<UInt16>()
    func add(_ spec: AddressSpec?) {
      if case .literal(_, .number(let port))? = spec { ports.insert(port) }
    }
    let steps = scenario.steps.flatMap { step -> [Step] in
      if case .repetition(let repetition) = step.action { return repetition.body }
      return [step]
    }
    for step in steps {
      switch step.action {
      case .bind(_, let address): add(address)
      case .connect(_, let address): add(address)
      case .send(let send): add(send.to)
      default: break
      }
    }
    return ports
  }

  static func kernelRelease() -> String {
    var name = utsname()
    uname(&name)
    return withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
  }
}

/// `$closed`: a port with no listener. Below the ephemeral range
/// (ip_local_port_range starts at 32768), so no implicit bind can take it
/// during the run, and checked free for UDP and TCP in both families.
enum ClosedPort {
  static func find(avoiding used: Set<UInt16>) throws(RunError) -> UInt16 {
    // 9 is "discard": fitting, and the same in every run so traces diff clean.
    for port in UInt16(9)..<UInt16(1024) where !used.contains(port) && isFree(port) {
      return port
    }
    throw .noClosedPort
  }

  private static func isFree(_ port: UInt16) -> Bool {
    for family in [SocketAddress.Family.ipv4, .ipv6] {
      for stream in [false, true] {
        guard case .success(let probe) = Socket.open(family: family, stream: stream, closeOnExec: true) else {
          continue
        }
        defer { probe.close() }
        if case .failure(let errno) = probe.bind(.wildcard(family, port: port)), errno.name == "EADDRINUSE" {
          return false
        }
      }
    }
    return true
  }
}
