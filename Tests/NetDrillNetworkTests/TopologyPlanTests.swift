import NetDrillTestSupport
import Testing

@testable import NetDrillNetwork

/// Address planning and fault rendering: pure, no privileges needed.
@Suite("Topology plan")
struct TopologyPlanTests {
  static func plan(_ links: [LinkSpec], hosts: [String] = ["a", "b", "c"], routes: [RouteSpec] = []) throws
    -> TopologyPlan
  {
    try TopologyPlan.make(TopologySpec(hosts: hosts.map { HostSpec(name: $0) }, links: links, routes: routes))
  }

  static func message(_ body: () throws -> Void) -> String {
    do {
      try body()
      return "no error"
    } catch {
      return "\(error)"
    }
  }

  @Test("automatic subnets follow link order and step around explicit ones")
  func automaticSubnets() throws {
    let plan = try Self.plan([
      LinkSpec(name: "one", hosts: ["a", "b"]),
      LinkSpec(name: "two", hosts: ["b", "c"], ipv4Subnet: "198.51.100.0/24"),
      LinkSpec(name: "three", hosts: ["a", "c"]),
      LinkSpec(name: "four", hosts: ["a", "b", "c"]),
    ])
    #expect(
      plan.links.map(\.ipv4.description) == ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/24"])
    #expect(
      plan.links.map(\.ipv6.description) == [
        "2001:db8:1::/64", "2001:db8:2::/64", "2001:db8:3::/64", "2001:db8:4::/64",
      ])
    #expect(plan.interfaces["a"]?.map(\.name) == ["eth0", "eth1", "eth2"])
    #expect(plan.interfaces["c"]?.map(\.ipv4) == ["198.51.100.2", "203.0.113.2", "198.18.0.3"])
    #expect(plan.interfaces["c"]?.last?.ipv6 == "2001:db8:4::3")
    #expect(plan.interfaces["c"]?.last?.broadcast == "198.18.0.255")
    #expect(plan.links[3].usesBridge)
    #expect(plan.links[3].interfaceNames == ["eth2", "eth2", "eth2"])
  }

  @Test("explicit subnets of other sizes, and IPv4-only links below MTU 1280")
  func explicitSubnets() throws {
    let plan = try Self.plan([
      LinkSpec(
        name: "small", hosts: ["a", "b"], ipv4Subnet: "10.1.2.248/30", ipv6Subnet: "2001:db8:ab::/112", mtu: 576)
    ])
    let a = try #require(plan.interfaces["a"]?.first)
    #expect(a.ipv4 == "10.1.2.249")
    #expect(a.ipv4Prefix == 30)
    #expect(a.broadcast == "10.1.2.251")
    #expect(a.ipv6 == "")
    #expect(a.mtu == 576)
  }

  @Test(
    "mistakes are reported with what to do",
    arguments: [
      (
        [LinkSpec(name: "ab", hosts: ["a", "bb"])],
        "topology: link \"ab\" names host \"bb\", which is not defined; did you mean \"b\"?"
      ),
      (
        [LinkSpec(name: "ab", hosts: ["a", "b"], ipv4Subnet: "192.0.2.1/24")],
        "topology: link \"ab\": ipv4Subnet \"192.0.2.1/24\" has host bits set: did you mean 192.0.2.0/24?"
      ),
      (
        [LinkSpec(name: "ab", hosts: ["a", "b"], ipv4Subnet: "192.0.2.0/33")],
        "topology: link \"ab\": ipv4Subnet \"192.0.2.0/33\" is not an IPv4 CIDR like 192.0.2.0/24"
      ),
      (
        [LinkSpec(name: "abc", hosts: ["a", "b", "c"], ipv4Subnet: "192.0.2.0/30")],
        "topology: link \"abc\": ipv4Subnet 192.0.2.0/30 has room for 2 host(s), the link has 3"
      ),
      (
        [LinkSpec(name: "x", hosts: ["a"])],
        "topology: link \"x\" has 1 host(s): a link joins at least 2"
      ),
      (
        [
          LinkSpec(name: "x", hosts: ["a", "b"], ipv4Subnet: "10.0.0.0/16"),
          LinkSpec(name: "y", hosts: ["b", "c"], ipv4Subnet: "10.0.5.0/24"),
        ],
        "topology: link \"y\": ipv4Subnet 10.0.5.0/24 overlaps 10.0.0.0/16 of link \"x\""
      ),
    ])
  func mistakes(links: [LinkSpec], expected: String) {
    #expect(Self.message { _ = try Self.plan(links) } == expected)
  }

  @Test("routes must name a host and a gateway on one of its links")
  func routes() throws {
    let links = [LinkSpec(name: "ab", hosts: ["a", "b"])]
    _ = try Self.plan(links, routes: [RouteSpec(host: "a", destination: "10.0.0.0/8", via: "192.0.2.2")])
    _ = try Self.plan(links, routes: [RouteSpec(host: "a", destination: "default", via: "2001:db8:1::2")])
    #expect(
      Self.message { _ = try Self.plan(links, routes: [RouteSpec(host: "a", destination: "default", via: "10.9.9.9")]) }
        == "topology: route in \"a\" to default via 10.9.9.9: the gateway is on none of the host's links (ab: 192.0.2.0/24, 2001:db8:1::/64)"
    )
    #expect(
      Self.message {
        _ = try Self.plan(links, routes: [RouteSpec(host: "a", destination: "2001:db8:9::/64", via: "192.0.2.2")])
      }.contains("different IP versions"))
  }

  @Test("the automatic range holds 3 documentation and 512 benchmarking /24s")
  func automaticRange() {
    #expect(TopologyPlan.automaticIPv4.count == 515)
    #expect(TopologyPlan.automaticIPv4.last?.description == "198.19.255.0/24")
  }

  @Test("nft rules for each kind of packet fault")
  func faultRules() throws {
    let drop = Fault(host: "b", link: "ab", direction: .input, protocolName: "udp", port: 9, action: .dropEveryNth(3))
    let dropRules = try FaultRules.rules(for: drop, interface: "eth0", comment: "c1")
    #expect(
      dropRules == [
        "add rule inet netdrill input iifname \"eth0\" meta l4proto udp udp dport 9 numgen inc mod 3 2 drop comment \"c1\""
      ])
    let reject = Fault(host: "r", link: "ar", direction: .forward, action: .reject(icmp: "host-unreachable"))
    #expect(
      try FaultRules.rules(for: reject, interface: "eth0", comment: "c2") == [
        "add rule inet netdrill forward iifname \"eth0\" meta nfproto ipv4 reject with icmp type host-unreachable comment \"c2\"",
        "add rule inet netdrill forward iifname \"eth0\" meta nfproto ipv6 reject with icmpv6 type addr-unreachable comment \"c2\"",
        "add rule inet netdrill forward oifname \"eth0\" meta nfproto ipv4 reject with icmp type host-unreachable comment \"c2\"",
        "add rule inet netdrill forward oifname \"eth0\" meta nfproto ipv6 reject with icmpv6 type addr-unreachable comment \"c2\"",
      ])
    let random = Fault(host: "a", direction: .output, port: 53, action: .dropRandomPercent(30))
    #expect(
      try FaultRules.rules(for: random, interface: nil, comment: "c3") == [
        "add rule inet netdrill output meta l4proto { tcp, udp } th dport 53 numgen random mod 100 < 30 drop comment \"c3\""
      ])
    #expect(throws: TopologyError.self) {
      try FaultRules.rules(
        for: Fault(host: "a", direction: .input, action: .reject(icmp: "bogus")), interface: nil, comment: "x")
    }
    #expect(throws: TopologyError.self) {
      try FaultRules.rules(
        for: Fault(host: "a", direction: .input, protocolName: "icmp", port: 1, action: .drop), interface: nil,
        comment: "x")
    }
  }

  @Test("rule handles are found by comment in an nft -a listing")
  func handles() {
    let listing = """
      table inet netdrill {
      \tchain input { # handle 1
      \t\ttype filter hook input priority filter; policy accept;
      \t\tudp dport 9 drop comment "netdrill-fault-1" # handle 2
      \t\tudp dport 9 drop comment "netdrill-fault-12" # handle 3
      \t\tmeta nfproto ipv6 drop comment "netdrill-fault-1" # handle 7
      \t}
      }
      """
    #expect(FaultRules.handles(in: listing, comment: "netdrill-fault-1") == [2, 7])
  }

  @Test("interface identities are fixed by position and differ between veth ends")
  func identities() {
    #expect(PrivateNetwork.interfaceIdentity(hostNumber: 1, interface: 0) == (100, "02:00:00:00:01:00"))
    #expect(PrivateNetwork.interfaceIdentity(hostNumber: 300, interface: 2) == (30002, "02:00:00:01:2c:02"))
  }

  @Test("link flags and state are read from ip -o link")
  func linkFlags() {
    let listing = """
      1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
      2: eth0@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN mode DEFAULT group default qlen 1000\\    link/ether e6:f7:14:63:53:07 brd ff:ff:ff:ff:ff:ff link-netnsid 0
      """
    let states = PrivateNetwork.linkStates(listing)
    #expect(states["lo"]?.flags.contains("LOWER_UP") == true)
    #expect(states["lo"]?.operstate == "UNKNOWN")
    #expect(states["eth0"]?.flags.contains("LOWER_UP") == false)
    #expect(states["eth0"]?.flags.contains("UP") == true)
    #expect(states["eth0"]?.operstate == "DOWN")
  }

  @Test("a missing helper program names its package")
  func missingTool() {
    #expect(
      Self.message { _ = try NamespaceCommand.locate("/nonexistent/nft") }.hasPrefix(
        "/nonexistent/nft not found: install nftables"))
    #expect(
      TopologyError.toolNotFound(tool: "ip", package: "iproute2").description.hasPrefix(
        "ip not found: install iproute2"))
  }
}
