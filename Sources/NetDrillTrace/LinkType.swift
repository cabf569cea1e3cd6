/// A pcap/pcapng link-layer header type (a `LINKTYPE_` value from
/// <https://www.tcpdump.org/linktypes.html>).
///
/// A struct rather than an enum so that a trace with a link type netdrill
/// does not know is still carried through unchanged.
public struct LinkType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
  /// The `LINKTYPE_` number as stored in pcap and pcapng headers.
  public var rawValue: UInt16

  /// Creates a link type from its `LINKTYPE_` number.
  public init(rawValue: UInt16) {
    self.rawValue = rawValue
  }

  /// `LINKTYPE_NULL`: BSD loopback, a 4-byte protocol family in the
  /// byte order of the host that captured it.
  public static let null = LinkType(rawValue: 0)
  /// `LINKTYPE_ETHERNET`: Ethernet II (Linux `lo` captures use this).
  public static let ethernet = LinkType(rawValue: 1)
  /// `LINKTYPE_RAW`: a bare IPv4 or IPv6 packet, told apart by the version nibble.
  public static let raw = LinkType(rawValue: 101)
  /// `LINKTYPE_LOOP`: like ``null`` but the family is in network byte order.
  public static let loop = LinkType(rawValue: 108)
  /// `LINKTYPE_LINUX_SLL`: Linux "cooked" capture v1 (16-byte header).
  public static let linuxSLL = LinkType(rawValue: 113)
  /// `LINKTYPE_IPV4`: a bare IPv4 packet.
  public static let ipv4 = LinkType(rawValue: 228)
  /// `LINKTYPE_IPV6`: a bare IPv6 packet.
  public static let ipv6 = LinkType(rawValue: 229)
  /// `LINKTYPE_LINUX_SLL2`: Linux "cooked" capture v2 (20-byte header,
  /// with the interface index), what `tcpdump -i any` writes by default.
  public static let linuxSLL2 = LinkType(rawValue: 276)

  /// A short display name, e.g. `EN10MB` or `LINUX_SLL2`, matching the
  /// names tcpdump accepts for `-y`; unknown values show as `LINKTYPE_<n>`.
  public var name: String {
    switch self {
    case .null: "NULL"
    case .ethernet: "EN10MB"
    case .raw: "RAW"
    case .loop: "LOOP"
    case .linuxSLL: "LINUX_SLL"
    case .linuxSLL2: "LINUX_SLL2"
    case .ipv4: "IPV4"
    case .ipv6: "IPV6"
    default: "LINKTYPE_\(rawValue)"
    }
  }

  public var description: String { name }

  // Encoded as the bare number so manifests stay readable and stable.
  public init(from decoder: any Decoder) throws {
    rawValue = try decoder.singleValueContainer().decode(UInt16.self)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(rawValue)
  }
}
