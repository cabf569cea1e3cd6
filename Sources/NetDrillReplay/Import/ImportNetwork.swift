import NetDrillTrace

/// Where a capture's addresses live in the replay's private network.
///
/// A capture made on one machine's loopback replays on the one-host default
/// (every 127.0.0.0/8 address and ::1 is local there). Otherwise each
/// captured address is a host of its own keeping its address: the addresses
/// are grouped by /24 (IPv4) or /64 (IPv6), each group is a link with its
/// captured subnet (hosts listed so netdrill's `.1`, `.2`, … numbering gives
/// each its captured address, placeholder hosts taking the numbers between,
/// up to `.64`), and one router joins every link, so hosts in different
/// subnets reach each other the way they did in the capture (each host's
/// default route points at the router).
struct ImportNetwork {
  struct Link {
    var name: String
    var subnet: String
    var isIPv6: Bool
    /// Host → address, in the order netdrill numbers them (`.1`, `.2`, …):
    /// placeholders fill the numbers no captured address has; the router is last.
    var addresses: [(host: String, address: String)]
  }

  /// Address → host name (`client`, `server`, `host-3`); empty for loopback.
  var hosts: [IPAddress: String] = [:]
  var hostOrder: [String] = []
  var links: [Link] = []
  static let router = "router"
  /// Hosts that only hold a number between captured addresses on a link.
  static let placeholderPrefix = "unused"

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

  /// The largest host number a captured address may have in its subnet:
  /// netdrill numbers a link's hosts `.1`, `.2`, … in list order, so the
  /// numbers below a captured one are taken by placeholder hosts.
  static let highestHostNumber = 64

  /// The host number of an address in its /24 or /64, when the replay can give it.
  static func hostNumber(_ address: IPAddress) -> Int? {
    let bytes = address.bytes
    if address.isIPv6, bytes[8..<15].contains(where: { $0 != 0 }) { return nil }
    let number = Int(bytes[bytes.count - 1])
    return (1...highestHostNumber).contains(number) ? number : nil
  }

  static func groupPrefix(_ address: IPAddress) -> [UInt8] { Array(address.bytes.prefix(address.isIPv6 ? 8 : 3)) }

  init(addresses: [IPAddress], names: (IPAddress) -> String) {
    guard !addresses.allSatisfy(Self.isLoopback) else { return }
    var groups: [[UInt8]: [IPAddress]] = [:]
    var groupOrder: [[UInt8]] = []
    for address in addresses {
      let name = names(address)
      hosts[address] = name
      hostOrder.append(name)
      let prefix = Self.groupPrefix(address)
      if groups[prefix] == nil { groupOrder.append(prefix) }
      groups[prefix, default: []].append(address)
    }
    for (index, prefix) in groupOrder.enumerated() {
      let members = groups[prefix] ?? []
      let isIPv6 = members[0].isIPv6
      let width = isIPv6 ? 16 : 4
      var byNumber: [Int: IPAddress] = [:]
      for member in members { if let number = Self.hostNumber(member) { byNumber[number] = member } }
      let highest = byNumber.keys.max() ?? 0
      let linkName = "net\(index + 1)"
      var entries: [(host: String, address: String)] = []
      for number in 1...(highest + 1) {
        var bytes = prefix + [UInt8](repeating: 0, count: width - prefix.count)
        bytes[width - 1] = UInt8(number)
        let text = IPAddress(bytes: bytes)?.description ?? ""
        if let member = byNumber[number] {
          entries.append((hosts[member] ?? "", text))
        } else if number == highest + 1 {
          entries.append((Self.router, text))
        } else {
          // At most 12 characters, as every host name (`unused2_64`).
          let placeholder = "\(Self.placeholderPrefix)\(index + 1)_\(number)"
          hostOrder.append(placeholder)
          entries.append((placeholder, text))
        }
      }
      let network = prefix + [UInt8](repeating: 0, count: width - prefix.count)
      let subnet = (IPAddress(bytes: network)?.description ?? "") + (isIPv6 ? "/64" : "/24")
      links.append(Link(name: linkName, subnet: subnet, isIPv6: isIPv6, addresses: entries))
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
      ])
    }
    var routes: [OrderedJSON] = []
    for family in [false, true] {
      let familyLinks = links.filter { $0.isIPv6 == family }
      guard familyLinks.count > 1 else { continue }
      for link in familyLinks {
        for (host, _) in link.addresses where host != Self.router && !host.hasPrefix(Self.placeholderPrefix) {
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
