import NetDrillTrace

/// Where a capture's addresses live in the replay's private network.
///
/// A capture made on one machine's loopback replays on the one-host default
/// (every 127.0.0.0/8 address and ::1 is local there). Otherwise each
/// captured address is a host of its own keeping its address: the addresses
/// are grouped by /24 (IPv4) or /64 (IPv6), each group is a link with its
/// captured subnet, and one router joins every link, so hosts in different
/// subnets reach each other the way they did in the capture (each host's
/// default route points at the router).
struct ImportNetwork {
  struct Link {
    var name: String
    var subnet: String
    var isIPv6: Bool
    /// Host → address, the router last.
    var addresses: [(host: String, address: String)]
  }

  /// Address → host name (`client`, `server`, `host-3`); empty for loopback.
  var hosts: [IPAddress: String] = [:]
  var hostOrder: [String] = []
  var links: [Link] = []
  static let router = "router"

  var isLoopback: Bool { hosts.isEmpty }

  /// Whether an address can be a host's in the replay (unicast, not link-local).
  static func replayable(_ address: IPAddress) -> Bool {
    let bytes = address.bytes
    if address.isIPv6 {
      if bytes[0] == 0xFF { return false }  // multicast
      if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return false }  // link-local: scoped to a link
      return bytes != [UInt8](repeating: 0, count: 16)
    }
    if bytes[0] == 0 || bytes[0] >= 224 { return false }  // unspecified, multicast, broadcast
    return bytes[3] != 0 && bytes[3] != 255  // the /24's network and broadcast addresses
  }

  static func isLoopback(_ address: IPAddress) -> Bool {
    address.isIPv6 ? address.bytes == [UInt8](repeating: 0, count: 15) + [1] : address.bytes[0] == 127
  }

  init(addresses: [IPAddress], names: (IPAddress) -> String) {
    guard !addresses.allSatisfy(Self.isLoopback) else { return }
    var groups: [[UInt8]: [IPAddress]] = [:]
    var groupOrder: [[UInt8]] = []
    for address in addresses {
      let name = names(address)
      hosts[address] = name
      hostOrder.append(name)
      let prefix = Array(address.bytes.prefix(address.isIPv6 ? 8 : 3))
      if groups[prefix] == nil { groupOrder.append(prefix) }
      groups[prefix, default: []].append(address)
    }
    for (index, prefix) in groupOrder.enumerated() {
      let members = groups[prefix] ?? []
      let isIPv6 = members[0].isIPv6
      let used = Set(members.map { $0.bytes.last ?? 0 })
      // The router takes the highest free host number of the subnet.
      let routerLast = (UInt8(1)...UInt8(254)).reversed().first { !used.contains($0) } ?? 254
      var routerBytes = prefix + [UInt8](repeating: 0, count: (isIPv6 ? 16 : 4) - prefix.count)
      routerBytes[routerBytes.count - 1] = routerLast
      let network = prefix + [UInt8](repeating: 0, count: (isIPv6 ? 16 : 4) - prefix.count)
      let subnet = (IPAddress(bytes: network)?.description ?? "") + (isIPv6 ? "/64" : "/24")
      links.append(
        Link(
          name: "net\(index + 1)", subnet: subnet, isIPv6: isIPv6,
          addresses: members.map { (hosts[$0] ?? "", $0.description) }
            + [(Self.router, IPAddress(bytes: routerBytes)?.description ?? "")]))
    }
  }

  /// `hosts`, `links` and `routes` of the scenario; nothing on loopback.
  var members: [(String, OrderedJSON)] {
    guard !isLoopback else { return [] }
    let hostObjects: [(String, OrderedJSON)] =
      hostOrder.map { ($0, .object([])) } + [(Self.router, .object([("forwarding", .bool(true))]))]
    let linkObjects: [OrderedJSON] = links.map { link in
      .object([
        ("name", .string(link.name)),
        ("hosts", .array(link.addresses.map { .string($0.host) })),
        (link.isIPv6 ? "ipv6" : "ipv4", .string(link.subnet)),
        ("addresses", .object(link.addresses.map { ($0.host, .string($0.address)) })),
      ])
    }
    var routes: [OrderedJSON] = []
    for family in [false, true] {
      let familyLinks = links.filter { $0.isIPv6 == family }
      guard familyLinks.count > 1 else { continue }
      for link in familyLinks {
        for (host, _) in link.addresses where host != Self.router {
          routes.append(
            .object([
              ("host", .string(host)), ("to", .string("default")),
              ("via", .string(link.addresses.last?.address ?? "")),
            ]))
        }
      }
    }
    var result: [(String, OrderedJSON)] = [("hosts", .object(hostObjects)), ("links", .lines(linkObjects))]
    if !routes.isEmpty { result.append(("routes", .lines(routes))) }
    return result
  }
}
