import NetDrillSockets

/// An IPv4 or IPv6 prefix as a scenario writes it (`192.0.2.0/24`), read the
/// way the kernel will read it, so a subnet or route the network could not
/// be built with is refused while the scenario is parsed, with its position.
struct CIDRPrefix: Equatable, CustomStringConvertible {
  /// The address as written, 4 or 16 bytes in network order.
  var bytes: [UInt8]
  var length: Int

  var isIPv6: Bool { bytes.count == 16 }
  var bitCount: Int { bytes.count * 8 }

  /// Parses `address/length`; nil unless the address is a literal of the
  /// wanted version and the length fits it.
  init?(_ text: String, ipv6: Bool) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[1].allSatisfy(\.isASCII), let length = Int(parts[1]),
      let address = SocketAddress(ip: String(parts[0]), port: 0), (address.family == .ipv6) == ipv6,
      (0...(ipv6 ? 128 : 32)).contains(length)
    else { return nil }
    self.init(bytes: address.addressBytes, length: length)
  }

  init(bytes: [UInt8], length: Int) {
    self.bytes = bytes
    self.length = length
  }

  /// The same prefix with every bit past `length` cleared.
  var network: CIDRPrefix { CIDRPrefix(bytes: Self.masked(bytes, length), length: length) }
  var hasHostBits: Bool { network.bytes != bytes }

  /// `192.0.2.0/24`, `2001:db8:1::/64`.
  var description: String {
    "\(SocketAddress(family: isIPv6 ? .ipv6 : .ipv4, addressBytes: bytes, port: 0).ipText)/\(length)"
  }

  /// True when the two share any address (one contains the other).
  func overlaps(_ other: CIDRPrefix) -> Bool {
    guard isIPv6 == other.isIPv6 else { return false }
    let shorter = min(length, other.length)
    return Self.masked(bytes, shorter) == Self.masked(other.bytes, shorter)
  }

  /// Addresses for hosts in an IPv4 subnet (network and broadcast excluded),
  /// as netdrill hands them out: `.1`, `.2`, ... A /31 or /32 has none.
  var ipv4HostCapacity: Int { length >= 31 ? 0 : (1 << (32 - length)) - 2 }

  /// Ranges a link cannot be addressed from, and why.
  static let reservedRanges: [(prefix: CIDRPrefix, what: String)] = [
    ("0.0.0.0/8", "the unspecified (\"this network\") range 0.0.0.0/8"),
    ("127.0.0.0/8", "the loopback range 127.0.0.0/8"),
    ("224.0.0.0/4", "the multicast range 224.0.0.0/4"),
    ("::/127", "the unspecified address :: and the loopback address ::1"),
    ("ff00::/8", "the multicast range ff00::/8"),
  ].map { text, what in (CIDRPrefix(text, ipv6: text.contains(":"))!, what) }  // literals above: each parses

  /// The reserved range this prefix reaches into, if any.
  var reservedRange: String? { Self.reservedRanges.first { overlaps($0.prefix) }?.what }

  private static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
    bytes.enumerated().map { index, byte in
      let bits = min(max(length - index * 8, 0), 8)
      return bits == 0 ? 0 : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
    }
  }
}
