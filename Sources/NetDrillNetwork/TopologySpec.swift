/// One simulated host: a network namespace of its own.
public struct HostSpec: Sendable, Equatable {
  public var name: String
  /// Routes between its links: `net.ipv4.ip_forward=1` and
  /// `net.ipv6.conf.all.forwarding=1` inside the host's namespace.
  public var forwarding: Bool

  public init(name: String, forwarding: Bool = false) {
    self.name = name
    self.forwarding = forwarding
  }
}

/// A link between hosts. Two hosts get a veth pair; three or more share a
/// bridge (a segment where broadcast reaches everyone) that lives in a
/// namespace of its own, `link-NAME`, with one veth per host.
public struct LinkSpec: Sendable, Equatable {
  /// `lan`, `wan`, ...
  public var name: String
  /// Addresses are given in this order: `.1`, `.2`, ... and `::1`, `::2`, ...
  public var hosts: [String]
  /// `192.0.2.0/24`; nil takes the next free documentation range in link order
  /// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, then /24s of 198.18.0.0/15).
  public var ipv4Subnet: String?
  /// `2001:db8:7::/64`; nil gives `2001:db8:<link index + 1, hex>::/64`.
  public var ipv6Subnet: String?
  /// nil keeps the veth default, 1500. Below 1280 the kernel turns IPv6 off on
  /// the interface (IPv6 needs 1280, RFC 8200), so such a link is IPv4 only.
  public var mtu: Int?

  public init(name: String, hosts: [String], ipv4Subnet: String? = nil, ipv6Subnet: String? = nil, mtu: Int? = nil) {
    self.name = name
    self.hosts = hosts
    self.ipv4Subnet = ipv4Subnet
    self.ipv6Subnet = ipv6Subnet
    self.mtu = mtu
  }
}

/// A static route in one host.
public struct RouteSpec: Sendable, Equatable {
  public var host: String
  /// `default` or a CIDR (`198.51.100.0/24`, `2001:db8:2::/64`).
  public var destination: String
  /// The gateway, an IP literal on one of the host's links.
  public var via: String

  public init(host: String, destination: String, via: String) {
    self.host = host
    self.destination = destination
    self.via = via
  }
}

/// A whole private network: hosts, the links between them and static routes.
public struct TopologySpec: Sendable, Equatable {
  public var hosts: [HostSpec]
  public var links: [LinkSpec]
  public var routes: [RouteSpec]

  public init(hosts: [HostSpec], links: [LinkSpec] = [], routes: [RouteSpec] = []) {
    self.hosts = hosts
    self.links = links
    self.routes = routes
  }
}

/// One configured interface of a host, as built.
public struct HostInterface: Sendable, Equatable {
  /// `eth<k>` for the host's k-th link.
  public var name: String
  public var link: String
  /// `192.0.2.1`.
  public var ipv4: String
  public var ipv4Prefix: Int
  /// `2001:db8:1::1`; empty when the link's MTU is below 1280 (no IPv6 there).
  public var ipv6: String
  public var ipv6Prefix: Int
  public var mtu: Int
  /// `192.0.2.255`.
  public var broadcast: String

  public init(
    name: String, link: String, ipv4: String, ipv4Prefix: Int, ipv6: String, ipv6Prefix: Int, mtu: Int,
    broadcast: String
  ) {
    self.name = name
    self.link = link
    self.ipv4 = ipv4
    self.ipv4Prefix = ipv4Prefix
    self.ipv6 = ipv6
    self.ipv6Prefix = ipv6Prefix
    self.mtu = mtu
    self.broadcast = broadcast
  }
}
