import CNetDrillLinux
import Glibc
import NetDrillSockets
import Synchronization

/// A private network of simulated hosts, each in a network namespace of its
/// own, joined by veth pairs (two hosts) or a bridge (three or more).
///
/// Nothing is ever created in the caller's namespace: every link is created
/// by a command running inside one of this network's namespaces. The network
/// lives exactly as long as its namespace descriptors: releasing the object
/// (or the process dying, even by SIGKILL) makes the kernel tear down every
/// veth, bridge, nftables table and qdisc in it. A namespace also stays alive
/// while a thread is inside it or a socket was created in it.
public final class PrivateNetwork: Sendable {
  public let hosts: [NetworkHost]
  /// The namespaces holding the bridges of 3+-host links, by link name.
  let bridges: [String: NetworkNamespace]
  let plan: TopologyPlan
  /// Serialises changes (faults, link state, MTU) and remembers what is applied.
  let state = Mutex(ChangeState())

  struct ChangeState: Sendable {
    var faults: [InstalledFault] = []
    var nextFaultNumber = 1
    /// `link/host` ends set down with `setLink`.
    var downEnds: Set<String> = []
  }

  struct InstalledFault: Sendable {
    var fault: Fault
    /// nftables: the comment on its rules; tc: nil.
    var comment: String?
    /// tc: the interfaces whose root qdisc it replaced.
    var qdiscInterfaces: [String]
  }

  private init(plan: TopologyPlan, hosts: [NetworkHost], bridges: [String: NetworkNamespace]) {
    self.plan = plan
    self.hosts = hosts
    self.bridges = bridges
  }

  // MARK: Building

  /// Builds the whole topology: namespaces, links, addresses, routes,
  /// forwarding, with every interface up (carrier included) on return.
  ///
  /// Must run on a thread netdrill owns (see `IsolatedThread`): it moves that
  /// thread between namespaces, and on return the thread is inside the FIRST
  /// host's namespace. On failure nothing is left: every namespace made so
  /// far is dropped, and the thread goes back to the namespace it came from
  /// (or, where it may not, into a fresh empty one).
  public static func build(_ spec: TopologySpec) throws(TopologyError) -> PrivateNetwork {
    let plan = try TopologyPlan.make(spec)
    _ = try NamespaceCommand.locate("ip")
    let caller: NetworkNamespace
    do { caller = try NetworkNamespace.current(name: "caller") } catch { throw .namespace(error) }
    do throws(TopologyError) {
      let network = try create(plan)
      try network.configure()
      do { try network.hosts[0].namespace.enter() } catch { throw TopologyError.namespace(error) }
      return network
    } catch {
      // `network` and every namespace are released by now; leave the last one entered too.
      leave(to: caller)
      throw error
    }
  }

  private static func create(_ plan: TopologyPlan) throws(TopologyError) -> PrivateNetwork {
    var hosts: [NetworkHost] = []
    var bridges: [String: NetworkNamespace] = [:]
    do {
      for host in plan.hosts {
        let namespace = try NetworkNamespace.createAndEnter(name: host.name)
        hosts.append(
          NetworkHost(
            name: host.name, namespace: namespace, interfaces: plan.interfaces[host.name] ?? [],
            forwarding: host.forwarding))
      }
      for link in plan.links where link.usesBridge {
        bridges[link.name] = try NetworkNamespace.createAndEnter(name: link.bridgeNamespaceName)
      }
    } catch {
      throw .namespace(error)
    }
    return PrivateNetwork(plan: plan, hosts: hosts, bridges: bridges)
  }

  private static func leave(to caller: NetworkNamespace) {
    do {
      try caller.enter()
    } catch {
      // setns back needs CAP_SYS_ADMIN over the caller's namespace, which an
      // unprivileged user namespace does not have: park in a fresh, empty one.
      _ = nd_unshare_network()
    }
  }

  private func configure() throws(TopologyError) {
    for host in hosts {
      let forwarding = host.forwarding
      try NamespaceCommand.inside(host.namespace, what: "sysctl") {
        for (path, value) in PrivateNetwork.hostSysctls(forwarding: forwarding) {
          try NamespaceCommand.writeSysctl(path, value)
        }
      }
    }
    for namespace in bridges.values {
      // A bridge namespace carries frames only: no IPv6 link-local chatter
      // (DAD, router solicitations, MLD) from br0 or its ports onto the link.
      try NamespaceCommand.inside(namespace, what: "sysctl") {
        try NamespaceCommand.writeSysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1")
        try NamespaceCommand.writeSysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1")
      }
    }

    // Links: each created from inside the namespace of its first end.
    for (namespace, lines) in linkCreation() where !lines.isEmpty {
      try batch(lines, in: namespace)
    }
    for host in hosts {
      try batch(hostConfiguration(host), in: host.namespace)
    }
    for host in hosts {
      try waitUntilReady(host, interfaces: host.interfaces.map(\.name))
    }
  }

  /// sysctls for a host, written before any interface exists so `default`
  /// applies to every one. They make runs repeatable whatever the machine's
  /// own settings are (IPv4 `conf` values are inherited from the initial
  /// namespace, see net.core.devconf_inherit_init_net).
  static func hostSysctls(forwarding: Bool) -> [(String, String)] {
    var settings = [
      // No DAD delay or probes for link-local addresses (global ones use nodad).
      ("/proc/sys/net/ipv6/conf/all/accept_dad", "0"),
      ("/proc/sys/net/ipv6/conf/default/accept_dad", "0"),
      // No router solicitations showing up in traces seconds later.
      ("/proc/sys/net/ipv6/conf/all/router_solicitations", "0"),
      ("/proc/sys/net/ipv6/conf/default/router_solicitations", "0"),
      // IPv6 addresses survive setLink(down) (addrconf_ifdown flushes them otherwise).
      ("/proc/sys/net/ipv6/conf/all/keep_addr_on_down", "1"),
      ("/proc/sys/net/ipv4/conf/all/rp_filter", "0"),
      ("/proc/sys/net/ipv4/conf/default/rp_filter", "0"),
    ]
    if forwarding {
      settings += [("/proc/sys/net/ipv4/ip_forward", "1"), ("/proc/sys/net/ipv6/conf/all/forwarding", "1")]
    }
    return settings
  }

  /// `ip -batch` lines per namespace that create every link.
  ///
  /// Interface indexes and MAC addresses are fixed by position (see
  /// `interfaceIdentity`), so traces of two runs show the same link-layer
  /// addresses, and the two ends of a veth never share an index: the kernel
  /// treats a device whose index equals its link's index as not stacked and
  /// delays its carrier events by up to a second (linkwatch_urgent_event).
  private func linkCreation() -> [(NetworkNamespace, [String])] {
    var lines: [ObjectIdentifier: [String]] = [:]
    for link in plan.links {
      let mtu = link.mtu
      func end(_ position: Int) -> String {
        let hostName = link.hosts[position]
        let name = link.interfaceNames[position]
        // The plan made both: every link host is one of its hosts, and every
        // interface name is "eth" and a number (TopologyPlan.make).
        let identity = PrivateNetwork.interfaceIdentity(
          hostNumber: plan.hosts.firstIndex { $0.name == hostName }! + 1, interface: Int(name.dropFirst(3))!)
        return "\(name) index \(identity.index) address \(identity.mac) mtu \(mtu)"
      }
      if link.usesBridge, let bridge = bridges[link.name] {
        var commands = ["link add br0 type bridge forward_delay 0 mcast_snooping 0"]
        for (position, hostName) in link.hosts.enumerated() {
          let port = "port\(position)"
          let mac = PrivateNetwork.mac([
            0x02, 0x00, 0x01, UInt8(link.index >> 8 & 0xFF), UInt8(link.index & 0xFF), UInt8(position & 0xFF),
          ])
          commands += [
            "link add \(port) index \(10 + position) address \(mac) mtu \(mtu) type veth peer name \(end(position)) netns \(path(of: host(hostName).namespace))",
            "link set \(port) master br0",
            "link set \(port) up",
          ]
        }
        commands += ["link set br0 mtu \(mtu)", "link set br0 up"]
        lines[ObjectIdentifier(bridge), default: []] += commands
      } else {
        let first = host(link.hosts[0])
        let second = host(link.hosts[1])
        lines[ObjectIdentifier(first.namespace), default: []].append(
          "link add \(end(0)) type veth peer name \(end(1)) netns \(path(of: second.namespace))")
      }
    }
    let namespaces = hosts.map(\.namespace) + plan.links.compactMap { bridges[$0.name] }
    return namespaces.map { ($0, lines[ObjectIdentifier($0)] ?? []) }
  }

  /// Interface index and MAC of `eth<interface>` in the `hostNumber`-th host
  /// (1-based): index 100·host + k, MAC 02:00:00:HH:HH:KK (locally administered).
  static func interfaceIdentity(hostNumber: Int, interface: Int) -> (index: Int, mac: String) {
    (
      hostNumber * 100 + interface,
      mac([0x02, 0x00, 0x00, UInt8(hostNumber >> 8 & 0xFF), UInt8(hostNumber & 0xFF), UInt8(interface & 0xFF)])
    )
  }

  static func mac(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
      let hex = String(byte, radix: 16)
      return hex.count == 1 ? "0" + hex : hex
    }.joined(separator: ":")
  }

  /// Addresses, interfaces up, and routes for one host.
  private func hostConfiguration(_ host: NetworkHost) -> [String] {
    var lines = ["link set lo up"]
    for interface in host.interfaces {
      lines.append(
        "addr add \(interface.ipv4)/\(interface.ipv4Prefix) broadcast \(interface.broadcast) dev \(interface.name)")
      if !interface.ipv6.isEmpty {
        lines.append("addr add \(interface.ipv6)/\(interface.ipv6Prefix) dev \(interface.name) nodad")
      }
      lines.append("link set \(interface.name) up")
    }
    lines += plan.routes.filter { $0.host == host.name }.map { "route add \($0.destination) via \($0.via)" }
    return lines
  }

  /// A path to `namespace` that another process can open: our descriptors are
  /// close-on-exec, but /proc/PID/fd/N opens the namespace regardless.
  private func path(of namespace: NetworkNamespace) -> String { "/proc/\(getpid())/fd/\(namespace.descriptor)" }

  /// The host named `name`, which must be one of the plan's (every caller
  /// takes the name from the plan, which made a host for each): a bug otherwise.
  private func host(_ name: String) -> NetworkHost { hosts.first { $0.name == name }! }

  func batch(_ lines: [String], in namespace: NetworkNamespace) throws(TopologyError) {
    _ = try NamespaceCommand.run(["ip", "-batch", "-"], input: lines.joined(separator: "\n") + "\n", in: namespace)
  }

  /// Waits until every one of `interfaces` in `host` is operationally up
  /// and, where it has IPv6, has its link-local address.
  ///
  /// Carrier (LOWER_UP) is not enough: IPv6 configures an interface (link-local
  /// address, the ff00::/8 multicast route neighbour solicitations need) only
  /// once the operational state is UP (addrconf_link_ready), which linkwatch
  /// sets a little later. Until then a router drops solicitations (no route).
  func waitUntilReady(_ host: NetworkHost, interfaces: [String], timeout: Duration = .seconds(5))
    throws(TopologyError)
  {
    guard !interfaces.isEmpty else { return }
    let withIPv6 = Set(host.interfaces.filter { !$0.ipv6.isEmpty }.map(\.name))
    let deadline = ContinuousClock.now + timeout
    while true {
      let links = PrivateNetwork.linkStates(try NamespaceCommand.run(["ip", "-o", "link", "show"], in: host.namespace))
      var waiting = interfaces.filter { links[$0]?.operstate != "UP" }
      if waiting.isEmpty {
        let linkLocal = try NamespaceCommand.run(
          ["ip", "-6", "-o", "addr", "show", "scope", "link"], in: host.namespace)
        let configured = Set(
          linkLocal.split(separator: "\n").compactMap { $0.split(separator: " ").dropFirst().first }.map(String.init))
        waiting = interfaces.filter { withIPv6.contains($0) && !configured.contains($0) }
        if waiting.isEmpty { return }
      }
      if ContinuousClock.now > deadline {
        throw .notReady(
          "\(host.name): \(waiting.joined(separator: ", ")) did not come up within \(timeout) (ip -o link: \(links.filter { waiting.contains($0.key) }))"
        )
      }
      usleep(10_000)
    }
  }

  /// Interface name → flags and operational state, from `ip -o link show`
  /// (`2: eth0@if2: <BROADCAST,UP,LOWER_UP> mtu 1500 ... state UP ...`).
  static func linkStates(_ listing: String) -> [String: (flags: Set<String>, operstate: String)] {
    var result: [String: (flags: Set<String>, operstate: String)] = [:]
    for line in listing.split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard fields.count >= 3 else { continue }
      let name = fields[1].prefix { $0 != "@" && $0 != ":" }
      let flags = fields[2].trimmingCharacters(in: "<>")
      let state = fields.firstIndex(of: "state").flatMap { $0 + 1 < fields.count ? String(fields[$0 + 1]) : nil }
      result[String(name)] = (Set(flags.split(separator: ",").map(String.init)), state ?? "UNKNOWN")
    }
    return result
  }

  // MARK: Looking things up

  public func host(named name: String) -> NetworkHost? { hosts.first { $0.name == name } }

  /// Concrete address → symbolic name of every interface address
  /// (`192.0.2.1` → `a/eth0`, `2001:db8:1::1` → `a/eth0`), for trace display.
  public var addressNames: [String: String] {
    var names: [String: String] = [:]
    for host in hosts {
      for interface in host.interfaces {
        names[interface.ipv4] = "\(host.name)/\(interface.name)"
        if !interface.ipv6.isEmpty { names[interface.ipv6] = "\(host.name)/\(interface.name)" }
      }
    }
    return names
  }

  /// Every interface to capture on: each host's `lo` and `eth*` (none in
  /// bridge namespaces), with the host's namespace descriptor — borrowed,
  /// valid while this network lives. Its trace name is `host/interface`.
  public var captureTargets: [(host: String, interface: String, namespaceFD: Int32)] {
    hosts.flatMap { host in
      [(host.name, "lo", host.namespace.descriptor)]
        + host.interfaces.map { (host.name, $0.name, host.namespace.descriptor) }
    }
  }

  /// The namespace of a host, or of a bridge as `link-NAME`.
  func namespace(_ name: String) throws(TopologyError) -> NetworkNamespace {
    if let host = host(named: name) { return host.namespace }
    if name.hasPrefix("link-"), let bridge = bridges[String(name.dropFirst(5))] { return bridge }
    let known = hosts.map(\.name) + plan.links.filter(\.usesBridge).map(\.bridgeNamespaceName)
    throw .invalidRequest(
      "no host \"\(name)\" in this network\(TopologyPlan.suggestion(name, in: Set(known))) (hosts: \(known.joined(separator: ", ")))"
    )
  }

  func link(_ name: String) throws(TopologyError) -> PlannedLink {
    guard let link = plan.links.first(where: { $0.name == name }) else {
      let names = Set(plan.links.map(\.name))
      throw .invalidRequest(
        "no link \"\(name)\" in this network\(TopologyPlan.suggestion(name, in: names)) (links: \(plan.links.map(\.name).joined(separator: ", ")))"
      )
    }
    return link
  }

  // MARK: Running programs

  /// Runs a helper program (`ip`, `nft`, `tc`, `sysctl`, ...) inside a host's
  /// namespace (or a bridge's, as `link-NAME`) with a time bound; returns its
  /// stdout. Throws with the command, exit status and stderr when it fails.
  public func run(_ arguments: [String], in host: String, timeout: Duration = .seconds(5)) throws(TopologyError)
    -> String
  {
    try NamespaceCommand.run(arguments, in: namespace(host), timeout: timeout)
  }

  // MARK: Changing links during a run

  /// Sets one end of `link` (the interface of `host`), or every end (`host`
  /// nil), administratively down or up. Down removes the routes through it
  /// (the kernel flushes them); up waits for carrier where the other end is up
  /// and puts the host's routes through that link back.
  public func setLink(_ link: String, host: String?, up: Bool) throws(TopologyError) {
    let planned = try self.link(link)
    let ends = host.map { [$0] } ?? planned.hosts
    for end in ends where !planned.hosts.contains(end) {
      throw .invalidRequest(
        "host \"\(end)\" is not on link \"\(link)\" (its hosts: \(planned.hosts.joined(separator: ", ")))")
    }
    try state.withLock { (state: inout ChangeState) throws(TopologyError) in
      for end in ends {
        // Every end is one of the link's hosts: checked at the top.
        let interface = planned.interfaceNames[planned.hosts.firstIndex(of: end)!]
        _ = try run(["ip", "link", "set", interface, up ? "up" : "down"], in: end)
        if up { state.downEnds.remove("\(link)/\(end)") } else { state.downEnds.insert("\(link)/\(end)") }
      }
      guard up else { return }
      for end in ends {
        let position = planned.hosts.firstIndex(of: end)!  // one of the link's hosts: checked at the top
        let peerIsUp = planned.usesBridge || !state.downEnds.contains("\(link)/\(planned.hosts[1 - position])")
        if peerIsUp { try waitUntilReady(self.host(end), interfaces: [planned.interfaceNames[position]]) }
        try restoreRoutes(of: self.host(end), on: planned)
      }
    }
  }

  /// Sets the MTU of every end of `link` (and of its bridge). Below 1280 the
  /// kernel turns IPv6 off on those interfaces; going back up restores their
  /// IPv6 addresses and routes.
  public func setMTU(_ link: String, mtu: Int) throws(TopologyError) {
    let planned = try self.link(link)
    guard (68...65535).contains(mtu) else {
      throw .invalidRequest("mtu \(mtu) for link \"\(link)\" is outside 68...65535")
    }
    try state.withLock { (_: inout ChangeState) throws(TopologyError) in
      if let bridge = bridges[link] {
        let ports = planned.hosts.indices.map { "link set port\($0) mtu \(mtu)" }
        try batch(ports + ["link set br0 mtu \(mtu)"], in: bridge)
      }
      for (position, end) in planned.hosts.enumerated() {
        let host = self.host(end)
        let name = planned.interfaceNames[position]
        guard let before = host.interface(on: link) else { continue }
        var lines = ["link set \(name) mtu \(mtu)"]
        let ipv6 = IPv6Subnet.text(planned.ipv6.host(position + 1))
        let regainsIPv6 = before.mtu < TopologyPlan.ipv6MinimumMTU && mtu >= TopologyPlan.ipv6MinimumMTU
        if regainsIPv6 { lines.append("addr replace \(ipv6)/\(planned.ipv6.prefix) dev \(name) nodad") }
        try batch(lines, in: host.namespace)
        host.update { interfaces in
          guard let index = interfaces.firstIndex(where: { $0.link == link }) else { return }
          interfaces[index].mtu = mtu
          let hasIPv6 = mtu >= TopologyPlan.ipv6MinimumMTU
          interfaces[index].ipv6 = hasIPv6 ? ipv6 : ""
          interfaces[index].ipv6Prefix = hasIPv6 ? planned.ipv6.prefix : 0
        }
        if regainsIPv6 { try restoreRoutes(of: host, on: planned) }
      }
    }
  }

  /// Re-adds (`route replace`) the host's static routes whose gateway is on `link`.
  private func restoreRoutes(of host: NetworkHost, on link: PlannedLink) throws(TopologyError) {
    let hasIPv6 = (host.interface(on: link.name)?.mtu ?? 0) >= TopologyPlan.ipv6MinimumMTU
    let lines = plan.routes.filter { route in
      guard route.host == host.name, let gateway = SocketAddress(ip: route.via, port: 0) else { return false }
      // `via` parsed as an IPv4 `gateway` just above, so it parses here too.
      return gateway.family == .ipv4
        ? link.ipv4.contains(IPv4Subnet.address(route.via)!)
        : hasIPv6 && link.ipv6.contains(gateway.addressBytes)
    }.map { "route replace \($0.destination) via \($0.via)" }
    if !lines.isEmpty { try batch(lines, in: host.namespace) }
  }
}

extension Substring {
  fileprivate func trimmingCharacters(in characters: String) -> Substring {
    var slice = self
    while let first = slice.first, characters.contains(first) { slice.removeFirst() }
    while let last = slice.last, characters.contains(last) { slice.removeLast() }
    return slice
  }
}
