import NetDrillSockets

/// An IPv4 network in CIDR form, host bits zero.
struct IPv4Subnet: Equatable, Sendable, CustomStringConvertible {
  var network: UInt32
  var prefix: Int

  /// Parses `192.0.2.0/24`; nil with a reason when it is not a network address.
  static func parse(_ text: String) -> Result<IPv4Subnet, ParseFailure> {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let prefix = Int(parts[1]), (0...32).contains(prefix),
      let address = IPv4Subnet.address(String(parts[0]))
    else { return .failure(ParseFailure("\"\(text)\" is not an IPv4 CIDR like 192.0.2.0/24")) }
    let subnet = IPv4Subnet(network: address & mask(prefix), prefix: prefix)
    guard subnet.network == address else {
      return .failure(ParseFailure("\"\(text)\" has host bits set: did you mean \(subnet)?"))
    }
    return .success(subnet)
  }

  static func address(_ text: String) -> UInt32? {
    guard let parsed = SocketAddress(ip: text, port: 0), parsed.family == .ipv4 else { return nil }
    return parsed.addressBytes.reduce(0) { $0 << 8 | UInt32($1) }
  }

  static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }

  static func text(_ address: UInt32) -> String {
    "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
  }

  /// Usable host addresses (network and broadcast excluded; /31 and /32 have none here).
  var hostCapacity: Int { prefix >= 31 ? 0 : (1 << (32 - prefix)) - 2 }
  var broadcast: UInt32 { network | ~IPv4Subnet.mask(prefix) }
  /// The `index`-th host address, 1-based: `.1`, `.2`, ...
  func host(_ index: Int) -> UInt32 { network + UInt32(index) }
  func contains(_ address: UInt32) -> Bool { address & IPv4Subnet.mask(prefix) == network }
  func overlaps(_ other: IPv4Subnet) -> Bool {
    let shorter = min(prefix, other.prefix)
    return network & IPv4Subnet.mask(shorter) == other.network & IPv4Subnet.mask(shorter)
  }
  var description: String { "\(IPv4Subnet.text(network))/\(prefix)" }
}

/// An IPv6 network in CIDR form, host bits zero.
struct IPv6Subnet: Equatable, Sendable, CustomStringConvertible {
  var network: [UInt8]
  var prefix: Int

  static func parse(_ text: String) -> Result<IPv6Subnet, ParseFailure> {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let prefix = Int(parts[1]), (0...128).contains(prefix),
      let address = SocketAddress(ip: String(parts[0]), port: 0), address.family == .ipv6
    else { return .failure(ParseFailure("\"\(text)\" is not an IPv6 CIDR like 2001:db8:1::/64")) }
    let subnet = IPv6Subnet(network: IPv6Subnet.masked(address.addressBytes, prefix), prefix: prefix)
    guard subnet.network == address.addressBytes else {
      return .failure(ParseFailure("\"\(text)\" has host bits set: did you mean \(subnet)?"))
    }
    return .success(subnet)
  }

  static func masked(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
    bytes.enumerated().map { index, byte in
      let bits = min(max(prefix - index * 8, 0), 8)
      return bits == 0 ? 0 : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
    }
  }

  static func text(_ bytes: [UInt8]) -> String { SocketAddress(family: .ipv6, addressBytes: bytes, port: 0).ipText }

  /// The `index`-th host address (`::1`, `::2`, ...), added to the low 32 bits.
  func host(_ index: Int) -> [UInt8] {
    var bytes = network
    var carry = UInt32(index)
    for position in stride(from: 15, through: 12, by: -1) {
      let sum = UInt32(bytes[position]) + (carry & 0xFF)
      bytes[position] = UInt8(sum & 0xFF)
      carry = (carry >> 8) + (sum >> 8)
    }
    return bytes
  }

  func contains(_ bytes: [UInt8]) -> Bool { IPv6Subnet.masked(bytes, prefix) == network }
  func overlaps(_ other: IPv6Subnet) -> Bool {
    let shorter = min(prefix, other.prefix)
    return IPv6Subnet.masked(network, shorter) == IPv6Subnet.masked(other.network, shorter)
  }
  var description: String { "\(IPv6Subnet.text(network))/\(prefix)" }
}

struct ParseFailure: Error {
  let message: String
  init(_ message: String) { self.message = message }
}

/// One link as it will be built: its subnets and which interface each host gets.
struct PlannedLink: Sendable, Equatable {
  var name: String
  var index: Int
  var hosts: [String]
  var ipv4: IPv4Subnet
  /// Unused while the MTU is below IPv6's minimum of 1280 (the kernel turns IPv6 off).
  var ipv6: IPv6Subnet
  var mtu: Int
  /// The interface name of each host on this link, in `hosts` order.
  var interfaceNames: [String]

  var usesBridge: Bool { hosts.count > 2 }
  /// The namespace holding this link's bridge.
  var bridgeNamespaceName: String { "link-\(name)" }
}

/// A validated topology with every address decided, before anything is built.
/// Pure: computing it touches no kernel state, so it is tested without root.
struct TopologyPlan: Sendable, Equatable {
  var hosts: [HostSpec]
  var links: [PlannedLink]
  /// Each host's interfaces in link order (`eth0`, `eth1`, ...).
  var interfaces: [String: [HostInterface]]
  var routes: [RouteSpec]

  static let vethDefaultMTU = 1500
  static let ipv6MinimumMTU = 1280

  /// The automatic IPv4 subnets, in order: the three RFC 5737 documentation
  /// ranges, then the /24s of the RFC 2544 benchmarking range 198.18.0.0/15.
  static let automaticIPv4: [IPv4Subnet] = {
    // Literal dotted quads: each parses, so the unwraps below cannot fail.
    let documentation = ["192.0.2.0", "198.51.100.0", "203.0.113.0"].map {
      IPv4Subnet(network: IPv4Subnet.address($0)!, prefix: 24)
    }
    let benchmarking = IPv4Subnet.address("198.18.0.0")!
    return documentation + (0..<512).map { IPv4Subnet(network: benchmarking + UInt32($0) << 8, prefix: 24) }
  }()

  static func make(_ spec: TopologySpec) throws(TopologyError) -> TopologyPlan {
    guard !spec.hosts.isEmpty else {
      throw .invalidSpec("no hosts: a topology needs at least one host", part: .topology)
    }
    var hostNames = Set<String>()
    for (hostIndex, host) in spec.hosts.enumerated() {
      try checkName(host.name, what: "host", part: .host(hostIndex))
      guard hostNames.insert(host.name).inserted else {
        throw .invalidSpec("host \"\(host.name)\" is defined twice", part: .host(hostIndex))
      }
    }

    // Explicit subnets first, so automatic ones can step around them.
    var explicitIPv4: [(link: String, subnet: IPv4Subnet)] = []
    var linkNames = Set<String>()
    for (linkIndex, link) in spec.links.enumerated() {
      try checkName(link.name, what: "link", part: .link(linkIndex))
      guard linkNames.insert(link.name).inserted else {
        throw .invalidSpec("link \"\(link.name)\" is defined twice", part: .link(linkIndex))
      }
      guard link.hosts.count >= 2 else {
        throw .invalidSpec(
          "link \"\(link.name)\" has \(link.hosts.count) host(s): a link joins at least 2", part: .link(linkIndex))
      }
      for host in link.hosts where !hostNames.contains(host) {
        throw .invalidSpec(
          "link \"\(link.name)\" names host \"\(host)\", which is not defined\(suggestion(host, in: hostNames))",
          part: .link(linkIndex))
      }
      guard Set(link.hosts).count == link.hosts.count else {
        throw .invalidSpec("link \"\(link.name)\" lists a host twice: \(link.hosts)", part: .link(linkIndex))
      }
      if let mtu = link.mtu, !(68...65535).contains(mtu) {
        throw .invalidSpec(
          "link \"\(link.name)\": mtu \(mtu) is outside 68...65535 (IPv4 minimum to veth maximum)",
          part: .link(linkIndex))
      }
      if let text = link.ipv4Subnet {
        let subnet: IPv4Subnet
        switch IPv4Subnet.parse(text) {
        case .success(let parsed): subnet = parsed
        case .failure(let failure):
          throw .invalidSpec("link \"\(link.name)\": ipv4Subnet \(failure.message)", part: .link(linkIndex))
        }
        guard subnet.hostCapacity >= link.hosts.count else {
          throw .invalidSpec(
            "link \"\(link.name)\": ipv4Subnet \(subnet) has room for \(subnet.hostCapacity) host(s), the link has \(link.hosts.count)",
            part: .link(linkIndex))
        }
        if let clash = explicitIPv4.first(where: { $0.subnet.overlaps(subnet) }) {
          throw .invalidSpec(
            "link \"\(link.name)\": ipv4Subnet \(subnet) overlaps \(clash.subnet) of link \"\(clash.link)\"",
            part: .link(linkIndex))
        }
        explicitIPv4.append((link.name, subnet))
      }
    }

    var candidates = automaticIPv4.filter { candidate in !explicitIPv4.contains { $0.subnet.overlaps(candidate) } }[...]
    var links: [PlannedLink] = []
    var interfaces: [String: [HostInterface]] = [:]
    var usedIPv6: [(link: String, subnet: IPv6Subnet)] = []
    for (index, link) in spec.links.enumerated() {
      let ipv4: IPv4Subnet
      if let explicit = explicitIPv4.first(where: { $0.link == link.name }) {
        ipv4 = explicit.subnet
      } else {
        guard let next = candidates.popFirst() else {
          throw .invalidSpec(
            "link \"\(link.name)\": no automatic IPv4 subnet left; give it an ipv4Subnet", part: .link(index))
        }
        ipv4 = next
      }
      let mtu = link.mtu ?? vethDefaultMTU
      let ipv6Text = link.ipv6Subnet ?? "2001:db8:\(String(index + 1, radix: 16))::/64"
      let ipv6: IPv6Subnet
      switch IPv6Subnet.parse(ipv6Text) {
      case .success(let parsed): ipv6 = parsed
      case .failure(let failure):
        throw .invalidSpec("link \"\(link.name)\": ipv6Subnet \(failure.message)", part: .link(index))
      }
      guard ipv6.prefix <= 120 else {
        throw .invalidSpec("link \"\(link.name)\": ipv6Subnet \(ipv6) is too small; use a /64", part: .link(index))
      }
      if let clash = usedIPv6.first(where: { $0.subnet.overlaps(ipv6) }) {
        throw .invalidSpec(
          "link \"\(link.name)\": ipv6Subnet \(ipv6) overlaps \(clash.subnet) of link \"\(clash.link)\"",
          part: .link(index))
      }
      usedIPv6.append((link.name, ipv6))
      let hasIPv6 = mtu >= ipv6MinimumMTU

      var names: [String] = []
      for (position, host) in link.hosts.enumerated() {
        let name = "eth\(interfaces[host, default: []].count)"
        names.append(name)
        interfaces[host, default: []].append(
          HostInterface(
            name: name, link: link.name, ipv4: IPv4Subnet.text(ipv4.host(position + 1)), ipv4Prefix: ipv4.prefix,
            ipv6: hasIPv6 ? IPv6Subnet.text(ipv6.host(position + 1)) : "", ipv6Prefix: hasIPv6 ? ipv6.prefix : 0,
            mtu: mtu, broadcast: IPv4Subnet.text(ipv4.broadcast)))
      }
      links.append(
        PlannedLink(
          name: link.name, index: index, hosts: link.hosts, ipv4: ipv4, ipv6: ipv6, mtu: mtu,
          interfaceNames: names))
    }

    for (hostIndex, host) in spec.hosts.enumerated() where interfaces[host.name, default: []].count > 99 {
      throw .invalidSpec(
        "host \"\(host.name)\" is on \(interfaces[host.name, default: []].count) links; at most 99 are supported",
        part: .host(hostIndex))
    }
    for (routeIndex, route) in spec.routes.enumerated() {
      try checkRoute(route, hostNames: hostNames, links: links, part: .route(routeIndex))
    }
    return TopologyPlan(hosts: spec.hosts, links: links, interfaces: interfaces, routes: spec.routes)
  }

  private static func checkName(_ name: String, what: String, part: TopologyPart) throws(TopologyError) {
    let allowed = name.utf8.allSatisfy { byte in
      (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == 0x2D || byte == 0x5F || byte == 0x2E
    }
    guard !name.isEmpty, name.utf8.count <= 32, allowed else {
      throw .invalidSpec("\(what) name \"\(name)\" must be 1-32 characters of A-Z a-z 0-9 . _ -", part: part)
    }
  }

  private static func checkRoute(
    _ route: RouteSpec, hostNames: Set<String>, links: [PlannedLink], part: TopologyPart
  ) throws(TopologyError) {
    let label = "route in \"\(route.host)\" to \(route.destination) via \(route.via)"
    guard hostNames.contains(route.host) else {
      throw .invalidSpec(
        "\(label): host \"\(route.host)\" is not defined\(suggestion(route.host, in: hostNames))", part: part)
    }
    guard let gateway = SocketAddress(ip: route.via, port: 0) else {
      throw .invalidSpec("\(label): via must be an IP address literal", part: part)
    }
    if route.destination != "default" {
      let family: SocketAddress.Family?
      switch (IPv4Subnet.parse(route.destination), IPv6Subnet.parse(route.destination)) {
      case (.success, _): family = .ipv4
      case (_, .success): family = .ipv6
      case (.failure(let v4), .failure(let v6)):
        let message = route.destination.contains(":") ? v6.message : v4.message
        throw .invalidSpec("\(label): destination must be \"default\" or a CIDR: \(message)", part: part)
      }
      guard family == gateway.family else {
        throw .invalidSpec("\(label): the destination and the gateway are of different IP versions", part: part)
      }
    }
    let own = links.filter { $0.hosts.contains(route.host) }
    let onLink = own.contains { link in
      // `via` parsed as an IPv4 `gateway` just above, so it parses here too.
      gateway.family == .ipv4
        ? link.ipv4.contains(IPv4Subnet.address(route.via)!)
        : link.mtu >= ipv6MinimumMTU && link.ipv6.contains(gateway.addressBytes)
    }
    guard onLink else {
      let subnets = own.map { "\($0.name): \($0.ipv4)\($0.mtu >= ipv6MinimumMTU ? ", \($0.ipv6)" : "")" }
      throw .invalidSpec(
        "\(label): the gateway is on none of the host's links (\(subnets.isEmpty ? "it has none" : subnets.joined(separator: "; ")))",
        part: part)
    }
  }

  /// ", did you mean "x"?" for the closest name by edit distance, if close.
  static func suggestion(_ name: String, in names: Set<String>) -> String {
    let best = names.map { ($0, editDistance(name, $0)) }.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
    guard let best, best.1 <= max(1, name.count / 3) else { return "" }
    return "; did you mean \"\(best.0)\"?"
  }

  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...max(b.count, 1) where !b.isEmpty {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
  }
}

extension TopologySpec {
  /// Checks the spec as `PrivateNetwork.build` will, without touching the
  /// kernel: names, subnets (explicit and automatic), routes and their
  /// gateways. Lets a caller refuse a bad topology before any namespace exists.
  public func validate() throws(TopologyError) {
    _ = try TopologyPlan.make(self)
  }
}
