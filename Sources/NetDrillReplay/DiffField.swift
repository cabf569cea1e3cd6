/// One row of the diff's field table: a header field (or packet class, or
/// part of the trace) and how a comparison treats it.
///
/// ``DiffField/table`` is the one source of truth: the normalizer writes a
/// field's value only when the table (adjusted by `--ignore`/`--compare`)
/// says it is compared, the command line accepts exactly its names, and
/// README.md's "Comparing runs" table is ``DiffField/markdownTable``
/// (a test checks they agree).
public struct DiffField: Sendable, Hashable {
  public enum Layer: String, Sendable, CaseIterable {
    case trace = "trace"
    case link = "link"
    case ipv4 = "IPv4"
    case ipv6 = "IPv6"
    case udp = "UDP"
    case tcp = "TCP"
    case transport = "UDP, TCP"
    case icmp = "ICMP, ICMPv6"
  }

  public enum Treatment: String, Sendable {
    /// Compared as captured.
    case compared
    /// Compared in a form that is the same in every run of the same behaviour.
    case normalized = "compared after normalization"
    /// Left out: it changes from run to run on its own.
    case ignored
  }

  /// The name `--ignore` and `--compare` take, and the key of its value in a normalized packet.
  public var name: String
  public var layer: Layer
  /// The header field(s), as the RFCs name them.
  public var header: String
  public var treatment: Treatment
  /// How it is normalized, or why it is ignored.
  public var reason: String
  /// False for what identifies a packet's flow (protocol, endpoints, interface): it cannot be left out.
  public var adjustable: Bool = true

  /// Whether the comparison looks at this field by default.
  public var comparedByDefault: Bool { treatment != .ignored }
}

extension DiffField {
  /// Every field, in the order of the README table.
  public static let table: [DiffField] = [
    // The trace as a whole
    .compared(
      "scenario", .trace, "the scenario source embedded in the trace", "as text; a difference is shown as a line diff"),
    .compared(
      "interface", .trace, "the capturing interface (`host/ifname`)", "packets are compared per interface",
      adjustable: false),
    .ignored(
      "timestamp", .trace, "packet and step timestamps",
      "the clock differs every run; `--timing 5ms` compares offsets from the run's start", adjustable: false),
    .ignored(
      "housekeeping", .trace, "ARP, IPv6 neighbour discovery, MLD, IGMP packets",
      "the kernel sends them on its own timers: their number and timing vary"),
    // Link layer
    .compared(
      "eth-dst", .link, "Ethernet destination MAC", "netdrill's topologies use fixed MACs; all zero on loopback"),
    .compared("eth-src", .link, "Ethernet source MAC", "netdrill's topologies use fixed MACs; all zero on loopback"),
    .compared("eth-type", .link, "EtherType and 802.1Q VLAN id"),
    .compared("sll-address", .link, "Linux cooked capture (SLL, SLL2) link-layer address"),
    .compared("sll-packet-type", .link, "SLL packet type (host, outgoing, broadcast…) and ARPHRD type"),
    .ignored(
      "sll-ifindex", .link, "SLL2 interface index", "a number the capturing host chose; the interface name is compared"),
    // IPv4
    .compared("ip-version", .ipv4, "version", "IPv4 and IPv6 packets carry different fields", adjustable: false),
    .compared("ip-header-length", .ipv4, "IHL"),
    .compared("ip-tos", .ipv4, "TOS: DSCP and ECN"),
    .compared("ip-length", .ipv4, "total length"),
    .ignored("ip-id", .ipv4, "identification", "a per-socket counter with a random start, or a hash"),
    .compared("ip-flags", .ipv4, "flags: reserved, DF, MF"),
    .compared("ip-fragment-offset", .ipv4, "fragment offset"),
    .ignored(
      "ip-ttl", .ipv4, "TTL",
      "set by the host's `ip_default_ttl` and the hops on the way, not by the behaviour under test"),
    .compared("ip-protocol", .ipv4, "protocol", "as the packet's kind (UDP, TCP, ICMP, `proto=N`)", adjustable: false),
    .ignored(
      "ip-checksum", .ipv4, "header checksum",
      "covers the IP ID, which changes every run; the fields that matter are compared themselves"),
    .normalized(
      "ip-addresses", .ipv4, "source and destination address",
      "with a port: the endpoint's name (`client`, `$closed`); without: the address, fixed by the address plan",
      adjustable: false),
    .compared("ip-options", .ipv4, "options", "byte for byte"),
    // IPv6
    .compared("ipv6-traffic-class", .ipv6, "traffic class: DSCP and ECN"),
    .ignored(
      "ipv6-flow-label", .ipv6, "flow label",
      "the kernel derives it from a random per-socket hash (`net.ipv6.auto_flowlabels`)"),
    .compared("ipv6-payload-length", .ipv6, "payload length"),
    .compared("ipv6-next-header", .ipv6, "next header and the chain of extension headers"),
    .ignored(
      "ipv6-hop-limit", .ipv6, "hop limit",
      "set by the host's `hop_limit` and the hops on the way, not by the behaviour under test"),
    .normalized("ipv6-addresses", .ipv6, "source and destination address", "as for IPv4", adjustable: false),
    .compared("ipv6-fragment", .ipv6, "fragment header: offset and M flag"),
    .ignored(
      "ipv6-fragment-id", .ipv6, "fragment header: identification", "a hash with a random key, like the IPv4 ID"),
    // UDP and TCP
    .normalized(
      "ports", .transport, "source and destination port",
      "the endpoint's name; an ephemeral port nobody named becomes `port#N` in order of appearance", adjustable: false),
    .compared(
      "payload-length", .transport, "payload length (`len=`)",
      "UDP: from its length field; TCP: what the IP length leaves after the headers"),
    .compared("payload", .transport, "payload bytes (also ICMP echo data)", "byte for byte"),
    .compared("udp-length", .udp, "length"),
    .ignored(
      "udp-checksum", .udp, "checksum",
      "left partial by checksum offload on loopback and veth; follows from what it covers"),
    // TCP
    .normalized(
      "tcp-seq", .tcp, "sequence and acknowledgment numbers", "relative to each direction's initial sequence number"),
    .ignored("tcp-isn", .tcp, "initial sequence number (absolute value)", "random per connection (RFC 6528)"),
    .compared("tcp-data-offset", .tcp, "data offset"),
    .compared("tcp-flags", .tcp, "flags (CWR…FIN), AE and the reserved bits"),
    .ignored("tcp-window", .tcp, "window", "follows receive-buffer autotuning and memory"),
    .ignored(
      "tcp-checksum", .tcp, "checksum",
      "left partial by checksum offload on loopback and veth; follows from what it covers"),
    .compared("tcp-urgent", .tcp, "urgent pointer"),
    .compared("tcp-options", .tcp, "options present, by kind, in order (incl. SACK-permitted, NOP, EOL)"),
    .compared("tcp-mss", .tcp, "MSS option value"),
    .compared(
      "tcp-wscale", .tcp, "window scale option value",
      "follows the receive buffer limit, which depends on the kernel and the host's memory"),
    .normalized("tcp-sack", .tcp, "SACK option blocks", "relative to the peer's initial sequence number"),
    .ignored("tcp-timestamps", .tcp, "timestamps option values", "a clock with a random per-connection offset"),
    .compared("tcp-option-data", .tcp, "other options' bytes (TFO cookie, MPTCP…)", "byte for byte"),
    // ICMP and ICMPv6
    .compared("icmp-type", .icmp, "type and code", "by name and number (`port-unreachable (3/3)`)", adjustable: false),
    .ignored(
      "icmp-checksum", .icmp, "checksum",
      "covers the quote's ephemeral port and IP ID; the fields that matter are compared themselves"),
    .compared("icmp-rest", .icmp, "rest of header: MTU, pointer, gateway or unused bytes", "the MTU also as `mtu=`"),
    .ignored("icmp-echo-id", .icmp, "echo identifier", "the ping socket's local port, or the sender's process id"),
    .compared("icmp-echo-seq", .icmp, "echo sequence number"),
    .normalized(
      "quote", .icmp, "the datagram an error quotes",
      "every field of it by this table, its values prefixed `quote.`; the error belongs to the quoted flow"),
  ]

  /// A row whose field is compared as captured; `reason` says how, if it needs saying.
  static func compared(
    _ name: String, _ layer: Layer, _ header: String, _ reason: String = "", adjustable: Bool = true
  ) -> DiffField {
    DiffField(name: name, layer: layer, header: header, treatment: .compared, reason: reason, adjustable: adjustable)
  }

  /// A row whose field is compared after normalization; `reason` says how it is normalized.
  static func normalized(
    _ name: String, _ layer: Layer, _ header: String, _ reason: String, adjustable: Bool = true
  ) -> DiffField {
    DiffField(name: name, layer: layer, header: header, treatment: .normalized, reason: reason, adjustable: adjustable)
  }

  /// A row whose field is left out by default; `reason` says why it changes from run to run.
  static func ignored(
    _ name: String, _ layer: Layer, _ header: String, _ reason: String, adjustable: Bool = true
  ) -> DiffField {
    DiffField(name: name, layer: layer, header: header, treatment: .ignored, reason: reason, adjustable: adjustable)
  }

  /// Older and shorter names for several fields at once.
  public static let groups: [String: [String]] = [
    "length": ["ip-length", "ipv6-payload-length", "udp-length", "payload-length"],
    "ttl": ["ip-ttl", "ipv6-hop-limit"],
  ]

  public static let byName: [String: DiffField] = Dictionary(uniqueKeysWithValues: table.map { ($0.name, $0) })

  /// Names `--ignore` accepts: compared fields that can be left out, and the groups.
  public static var ignorableNames: [String] {
    table.filter { $0.adjustable && $0.comparedByDefault }.map(\.name) + groups.keys.sorted()
  }

  /// Names `--compare` accepts: ignored fields that can be compared after all, and the groups.
  public static var comparableNames: [String] {
    table.filter { $0.adjustable && !$0.comparedByDefault }.map(\.name) + groups.keys.sorted()
  }

  /// The fields a name stands for: itself, or a group's members.
  public static func expand(_ name: String) -> [String] {
    groups[name] ?? [name]
  }

  /// The table as README.md shows it.
  public static var markdownTable: String {
    var lines = ["| layer | field | name | treatment |", "|---|---|---|---|"]
    for field in table {
      var treatment = field.treatment.rawValue
      if !field.reason.isEmpty { treatment += ": " + field.reason }
      let name = field.adjustable ? "`\(field.name)`" : "`\(field.name)` (not adjustable)"
      lines.append("| \(field.layer.rawValue) | \(field.header) | \(name) | \(treatment) |")
    }
    return lines.joined(separator: "\n")
  }
}
