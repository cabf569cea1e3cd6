/// The simulated network of a scenario: hosts (each its own network
/// namespace), links between them, routes, faults and programs under test.
/// A scenario without `hosts` runs on one host, `local`, with loopback only.
public struct Topology: Sendable, Equatable {
  public var hosts: [HostDeclaration]
  public var links: [LinkDeclaration]
  public var routes: [RouteDeclaration]

  public init(hosts: [HostDeclaration] = [], links: [LinkDeclaration] = [], routes: [RouteDeclaration] = []) {
    self.hosts = hosts
    self.links = links
    self.routes = routes
  }

  /// The host sockets and programs live on when they name none.
  public var defaultHost: String { hosts.first?.name ?? "local" }
}

public struct HostDeclaration: Sendable, Equatable {
  public var name: String
  /// Forwards packets between its links (a router).
  public var forwarding: Bool
  public var location: ScenarioLocation
  public init(name: String, forwarding: Bool = false, location: ScenarioLocation) {
    self.name = name
    self.forwarding = forwarding
    self.location = location
  }
}

/// Two hosts: a veth pair. Three or more: a shared segment (a bridge) where broadcast works.
public struct LinkDeclaration: Sendable, Equatable {
  public var name: String
  public var hosts: [String]
  /// `"192.0.2.0/24"`; nil: assigned from the documentation ranges in link order.
  public var ipv4Subnet: String?
  public var ipv6Subnet: String?
  public var mtu: Int?
  public var location: ScenarioLocation
  public init(
    name: String, hosts: [String], ipv4Subnet: String? = nil, ipv6Subnet: String? = nil, mtu: Int? = nil,
    location: ScenarioLocation
  ) {
    self.name = name
    self.hosts = hosts
    self.ipv4Subnet = ipv4Subnet
    self.ipv6Subnet = ipv6Subnet
    self.mtu = mtu
    self.location = location
  }
}

public struct RouteDeclaration: Sendable, Equatable {
  public var host: String
  /// `"default"` or a CIDR prefix.
  public var destination: String
  /// The gateway, an IP literal on one of the host's links.
  public var via: String
  public var location: ScenarioLocation
  public init(host: String, destination: String, via: String, location: ScenarioLocation) {
    self.host = host
    self.destination = destination
    self.via = via
    self.location = location
  }
}

/// A fault installed on a host: packets dropped, rejected with an ICMP error,
/// lost deterministically, rate limited or delayed.
public struct FaultDeclaration: Sendable, Equatable {
  public enum Direction: String, Sendable, Equatable, CaseIterable { case input, output, forward }

  public enum Action: Sendable, Equatable {
    case drop
    /// Reject with this ICMP error (`host-unreachable`, `port-unreachable`, `net-unreachable`, `admin-prohibited`).
    case reject(String)
    /// Drop every Nth matching packet (deterministic).
    case lossEvery(Int)
    /// Drop this percentage at random (the kernel's generator: not reproducible).
    case lossPercent(Int)
    /// Token bucket rate limit on the host's interface(s): rate, burst, latency (tc-tbf syntax).
    case rateLimit(rate: String, burst: String, latency: String)
    /// netem delay; needs the sch_netem kernel module.
    case delay(String)
  }

  public var name: String
  public var host: String
  public var link: String?
  public var direction: Direction
  public var protocolName: String?
  public var port: UInt16?
  public var action: Action
  /// Installed before the first step (`true`) or only by an `enable` step.
  public var active: Bool
  public var location: ScenarioLocation

  public init(
    name: String, host: String, link: String? = nil, direction: Direction = .input, protocolName: String? = nil,
    port: UInt16? = nil, action: Action, active: Bool = true, location: ScenarioLocation
  ) {
    self.name = name
    self.host = host
    self.link = link
    self.direction = direction
    self.protocolName = protocolName
    self.port = port
    self.action = action
    self.active = active
    self.location = location
  }
}

/// A real program started inside a host before the first step (or, `deferred`,
/// by a `start` step) and stopped after the last.
public struct ProgramDeclaration: Sendable, Equatable {
  public enum Readiness: Sendable, Equatable {
    case udpPort(UInt16)
    case tcpPort(UInt16)
    case output(String)
  }

  public var name: String
  public var host: String?
  public var command: [String]
  public var environment: [String: String]
  public var workingDirectory: String?
  public var ready: Readiness?
  public var readyTimeout: Duration
  public var stopGrace: Duration
  /// Started by a `{"start": name}` step instead of at set-up.
  public var deferred: Bool
  public var location: ScenarioLocation

  public init(
    name: String, host: String? = nil, command: [String], environment: [String: String] = [:],
    workingDirectory: String? = nil, ready: Readiness? = nil, readyTimeout: Duration = .seconds(5),
    stopGrace: Duration = .seconds(2), deferred: Bool = false, location: ScenarioLocation
  ) {
    self.deferred = deferred
    self.name = name
    self.host = host
    self.command = command
    self.environment = environment
    self.workingDirectory = workingDirectory
    self.ready = ready
    self.readyTimeout = readyTimeout
    self.stopGrace = stopGrace
    self.location = location
  }
}
