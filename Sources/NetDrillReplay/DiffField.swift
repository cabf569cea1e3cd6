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
    .init(
      name: "scenario", layer: .trace, header: "the scenario source embedded in the trace", treatment: .compared,
      reason: "as text; a difference is shown as a line diff"),
    .init(
      name: "interface", layer: .trace, header: "the capturing interface (`host/ifname`)", treatment: .compared,
      reason: "packets are compared per interface", adjustable: false),
    .init(
      name: "timestamp", layer: .trace, header: "packet and step timestamps", treatment: .ignored,
      reason: "the clock differs every run; `--timing 5ms` compares offsets from the run's start", adjustable: false),
    .init(
      name: "housekeeping", layer: .trace, header: "ARP, IPv6 neighbour discovery, MLD, IGMP packets",
      treatment: .ignored, reason: "the kernel sends them on its own timers: their number and timing vary"),
    // Link layer
    .init(
      name: "eth-dst", layer: .link, header: "Ethernet destination MAC", treatment: .compared,
      reason: "netdrill's topologies use fixed MACs; all zero on loopback"),
    .init(
      name: "eth-src", layer: .link, header: "Ethernet source MAC", treatment: .compared,
      reason: "netdrill's topologies use fixed MACs; all zero on loopback"),
    .init(
      name: "eth-type", layer: .link, header: "EtherType and 802.1Q VLAN id", treatment: .compared, reason: ""),
    .init(
      name: "sll-address", layer: .link, header: "Linux cooked capture (SLL, SLL2) link-layer address",
      treatment: .compared, reason: ""),
    .init(
      name: "sll-packet-type", layer: .link, header: "SLL packet type (host, outgoing, broadcast…) and ARPHRD type",
      treatment: .compared, reason: ""),
    .init(
      name: "sll-ifindex", layer: .link, header: "SLL2 interface index", treatment: .ignored,
      reason: "a number the capturing host chose; the interface name is compared"),
    // IPv4
    .init(
      name: "ip-version", layer: .ipv4, header: "version", treatment: .compared,
      reason: "IPv4 and IPv6 packets carry different fields", adjustable: false),
    .init(name: "ip-header-length", layer: .ipv4, header: "IHL", treatment: .compared, reason: ""),
    .init(name: "ip-tos", layer: .ipv4, header: "TOS: DSCP and ECN", treatment: .compared, reason: ""),
    .init(name: "ip-length", layer: .ipv4, header: "total length", treatment: .compared, reason: ""),
    .init(
      name: "ip-id", layer: .ipv4, header: "identification", treatment: .ignored,
      reason: "a per-socket counter with a random start, or a hash"),
    .init(name: "ip-flags", layer: .ipv4, header: "flags: reserved, DF, MF", treatment: .compared, reason: ""),
    .init(name: "ip-fragment-offset", layer: .ipv4, header: "fragment offset", treatment: .compared, reason: ""),
    .init(
      name: "ip-ttl", layer: .ipv4, header: "TTL", treatment: .ignored,
      reason: "set by the host's `ip_default_ttl` and the hops on the way, not by the behaviour under test"),
    .init(
      name: "ip-protocol", layer: .ipv4, header: "protocol", treatment: .compared,
      reason: "as the packet's kind (UDP, TCP, ICMP, `proto=N`)", adjustable: false),
    .init(
      name: "ip-checksum", layer: .ipv4, header: "header checksum", treatment: .ignored,
      reason: "covers the IP ID, which changes every run; the fields that matter are compared themselves"),
    .init(
      name: "ip-addresses", layer: .ipv4, header: "source and destination address", treatment: .normalized,
      reason: "with a port: the endpoint's name (`client`, `$closed`); without: the address, fixed by the address plan",
      adjustable: false),
    .init(name: "ip-options", layer: .ipv4, header: "options", treatment: .compared, reason: "byte for byte"),
    // IPv6
    .init(
      name: "ipv6-traffic-class", layer: .ipv6, header: "traffic class: DSCP and ECN", treatment: .compared, reason: ""),
    .init(
      name: "ipv6-flow-label", layer: .ipv6, header: "flow label", treatment: .ignored,
      reason: "the kernel derives it from a random per-socket hash (`net.ipv6.auto_flowlabels`)"),
    .init(name: "ipv6-payload-length", layer: .ipv6, header: "payload length", treatment: .compared, reason: ""),
    .init(
      name: "ipv6-next-header", layer: .ipv6, header: "next header and the chain of extension headers",
      treatment: .compared, reason: ""),
    .init(
      name: "ipv6-hop-limit", layer: .ipv6, header: "hop limit", treatment: .ignored,
      reason: "set by the host's `hop_limit` and the hops on the way, not by the behaviour under test"),
    .init(
      name: "ipv6-addresses", layer: .ipv6, header: "source and destination address", treatment: .normalized,
      reason: "as for IPv4", adjustable: false),
    .init(
      name: "ipv6-fragment", layer: .ipv6, header: "fragment header: offset and M flag", treatment: .compared,
      reason: ""),
    .init(
      name: "ipv6-fragment-id", layer: .ipv6, header: "fragment header: identification", treatment: .ignored,
      reason: "a hash with a random key, like the IPv4 ID"),
    // UDP and TCP
    .init(
      name: "ports", layer: .transport, header: "source and destination port", treatment: .normalized,
      reason: "the endpoint's name; an ephemeral port nobody named becomes `port#N` in order of appearance",
      adjustable: false),
    .init(
      name: "payload-length", layer: .transport, header: "payload length (`len=`)", treatment: .compared,
      reason: "UDP: from its length field; TCP: what the IP length leaves after the headers"),
    .init(
      name: "payload", layer: .transport, header: "payload bytes (also ICMP echo data)", treatment: .compared,
      reason: "byte for byte"),
    .init(name: "udp-length", layer: .udp, header: "length", treatment: .compared, reason: ""),
    .init(
      name: "udp-checksum", layer: .udp, header: "checksum", treatment: .ignored,
      reason: "left partial by checksum offload on loopback and veth; follows from what it covers"),
    // TCP
    .init(
      name: "tcp-seq", layer: .tcp, header: "sequence and acknowledgment numbers", treatment: .normalized,
      reason: "relative to each direction's initial sequence number"),
    .init(
      name: "tcp-isn", layer: .tcp, header: "initial sequence number (absolute value)", treatment: .ignored,
      reason: "random per connection (RFC 6528)"),
    .init(name: "tcp-data-offset", layer: .tcp, header: "data offset", treatment: .compared, reason: ""),
    .init(
      name: "tcp-flags", layer: .tcp, header: "flags (CWR…FIN), AE and the reserved bits", treatment: .compared,
      reason: ""),
    .init(
      name: "tcp-window", layer: .tcp, header: "window", treatment: .ignored,
      reason: "follows receive-buffer autotuning and memory"),
    .init(
      name: "tcp-checksum", layer: .tcp, header: "checksum", treatment: .ignored,
      reason: "left partial by checksum offload on loopback and veth; follows from what it covers"),
    .init(name: "tcp-urgent", layer: .tcp, header: "urgent pointer", treatment: .compared, reason: ""),
    .init(
      name: "tcp-options", layer: .tcp, header: "options present, by kind, in order (incl. SACK-permitted, NOP, EOL)",
      treatment: .compared, reason: ""),
    .init(name: "tcp-mss", layer: .tcp, header: "MSS option value", treatment: .compared, reason: ""),
    .init(
      name: "tcp-wscale", layer: .tcp, header: "window scale option value", treatment: .compared,
      reason: "follows the receive buffer limit, which depends on the kernel and the host's memory"),
    .init(
      name: "tcp-sack", layer: .tcp, header: "SACK option blocks", treatment: .normalized,
      reason: "relative to the peer's initial sequence number"),
    .init(
      name: "tcp-timestamps", layer: .tcp, header: "timestamps option values", treatment: .ignored,
      reason: "a clock with a random per-connection offset"),
    .init(
      name: "tcp-option-data", layer: .tcp, header: "other options' bytes (TFO cookie, MPTCP…)", treatment: .compared,
      reason: "byte for byte"),
    // ICMP and ICMPv6
    .init(
      name: "icmp-type", layer: .icmp, header: "type and code", treatment: .compared,
      reason: "by name and number (`port-unreachable (3/3)`)", adjustable: false),
    .init(
      name: "icmp-checksum", layer: .icmp, header: "checksum", treatment: .ignored,
      reason: "covers the quote's ephemeral port and IP ID; the fields that matter are compared themselves"),
    .init(
      name: "icmp-rest", layer: .icmp, header: "rest of header: MTU, pointer, gateway or unused bytes",
      treatment: .compared, reason: "the MTU also as `mtu=`"),
    .init(
      name: "icmp-echo-id", layer: .icmp, header: "echo identifier", treatment: .ignored,
      reason: "the ping socket's local port, or the sender's process id"),
    .init(name: "icmp-echo-seq", layer: .icmp, header: "echo sequence number", treatment: .compared, reason: ""),
    .init(
      name: "quote", layer: .icmp, header: "the datagram an error quotes", treatment: .normalized,
      reason: "every field of it by this table, its values prefixed `quote.`; the error belongs to the quoted flow"),
  ]

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
