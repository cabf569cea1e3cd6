import NetDrillNetwork
import NetDrillScenario

/// The scenario's network checked with the address plan, before any
/// namespace exists. The scenario parser checks what one declaration shows
/// on its own; what needs every address decided (a gateway on none of the
/// host's links, an automatic subnet clashing) is found here, and reported
/// at the declaration it is about, like any other scenario error.
public enum TopologyCheck {
  /// Throws the plan's first problem with the file, line:column and JSON
  /// path of the host, link or route declaration it is about.
  public static func check(_ scenario: Scenario) throws(ScenarioErrors) {
    guard let topology = scenario.topology else { return }
    do {
      try spec(of: topology).validate()
    } catch {
      guard case .invalidSpec(let message, let part) = error else { return }
      let location: ScenarioLocation
      switch part {
      case .host(let index) where topology.hosts.indices.contains(index): location = topology.hosts[index].location
      case .link(let index) where topology.links.indices.contains(index): location = topology.links[index].location
      case .route(let index) where topology.routes.indices.contains(index): location = topology.routes[index].location
      default: location = ScenarioLocation(line: 1, column: 1, path: JSONPath.root)
      }
      throw ScenarioErrors([
        ScenarioError(
          file: scenario.sourcePath, line: location.line, column: location.column, path: location.path,
          message: message)
      ])
    }
  }

  /// The scenario's topology in the network layer's terms.
  static func spec(of declared: Topology) -> TopologySpec {
    TopologySpec(
      hosts: declared.hosts.map { HostSpec(name: $0.name, forwarding: $0.forwarding) },
      links: declared.links.map {
        LinkSpec(name: $0.name, hosts: $0.hosts, ipv4Subnet: $0.ipv4Subnet, ipv6Subnet: $0.ipv6Subnet, mtu: $0.mtu)
      },
      routes: declared.routes.map { RouteSpec(host: $0.host, destination: $0.destination, via: $0.via) })
  }
}
