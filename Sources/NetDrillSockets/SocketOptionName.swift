import CNetDrillLinux
import Glibc

/// How a socket option's value is written in a scenario and passed to the kernel.
public enum SocketOptionValueKind: String, Sendable, Codable {
  /// A C `int` (also accepts `true`/`false`, which become 1/0).
  case integer
  /// A C `int` used as a flag: `true`/`false` or 0/1.
  case boolean
  /// `struct linger`: `{"onoff": 1, "linger": 0}`.
  case linger
  /// An interface name (`"eth0"`), as for SO_BINDTODEVICE.
  case interface
  /// An IPv4 address (`"10.0.0.1"`), as for IP_MULTICAST_IF.
  case ipv4Address
  /// `struct timeval`, written as a duration (`"200ms"`), as for SO_RCVTIMEO.
  case duration
  /// Read-only: a pending socket error, reported by errno name (SO_ERROR).
  case errno
}

/// A socket option netdrill knows by name, with the level and option number
/// the kernel wants and the shape of its value.
public struct SocketOptionName: Hashable, Sendable, CustomStringConvertible {
  public let name: String
  public let level: Int32
  public let option: Int32
  public let kind: SocketOptionValueKind
  /// Named constants accepted in place of a number (IP_MTU_DISCOVER's modes).
  public let symbols: [String: Int]
  /// False for options the kernel only reports (SO_ERROR, SO_TYPE, IP_MTU).
  public let settable: Bool

  public var description: String { name }

  init(
    _ name: String, _ level: Int32, _ option: Int32, _ kind: SocketOptionValueKind,
    symbols: [String: Int] = [:], settable: Bool = true
  ) {
    self.name = name
    self.level = level
    self.option = option
    self.kind = kind
    self.symbols = symbols
    self.settable = settable
  }

  public init?(name: String) {
    guard let found = SocketOptionName.all.first(where: { $0.name == name }) else { return nil }
    self = found
  }

  private static let ipLevel = Int32(IPPROTO_IP)
  private static let ipv6Level = Int32(IPPROTO_IPV6)
  private static let tcpLevel = Int32(IPPROTO_TCP)
  private static let pmtuModes = [
    "IP_PMTUDISC_DONT": 0, "IP_PMTUDISC_WANT": 1, "IP_PMTUDISC_DO": 2, "IP_PMTUDISC_PROBE": 3,
  ]

  /// Every option a scenario may name.
  public static let all: [SocketOptionName] = [
    .init("SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR, .boolean),
    .init("SO_REUSEPORT", SOL_SOCKET, SO_REUSEPORT, .boolean),
    .init("SO_BROADCAST", SOL_SOCKET, SO_BROADCAST, .boolean),
    .init("SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, .boolean),
    .init("SO_LINGER", SOL_SOCKET, SO_LINGER, .linger),
    .init("SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, .integer),
    // SO_RCVBUF beyond net.core.rmem_max (root only): a burst receiver that must not drop on a busy machine.
    .init("SO_RCVBUFFORCE", SOL_SOCKET, SO_RCVBUFFORCE, .integer),
    .init("SO_SNDBUF", SOL_SOCKET, SO_SNDBUF, .integer),
    .init("SO_PRIORITY", SOL_SOCKET, SO_PRIORITY, .integer),
    .init("SO_BINDTODEVICE", SOL_SOCKET, SO_BINDTODEVICE, .interface),
    .init("SO_RCVTIMEO", SOL_SOCKET, SO_RCVTIMEO, .duration),
    .init("SO_SNDTIMEO", SOL_SOCKET, SO_SNDTIMEO, .duration),
    .init("SO_RXQ_OVFL", SOL_SOCKET, SO_RXQ_OVFL, .boolean),
    .init("SO_TIMESTAMPNS", SOL_SOCKET, SO_TIMESTAMPNS, .boolean),
    .init("SO_ERROR", SOL_SOCKET, SO_ERROR, .errno, settable: false),
    .init("SO_TYPE", SOL_SOCKET, SO_TYPE, .integer, settable: false),
    .init("IP_RECVERR", ipLevel, IP_RECVERR, .boolean),
    .init("IP_TOS", ipLevel, IP_TOS, .integer),
    .init("IP_TTL", ipLevel, IP_TTL, .integer),
    .init("IP_PKTINFO", ipLevel, IP_PKTINFO, .boolean),
    .init("IP_RECVTTL", ipLevel, IP_RECVTTL, .boolean),
    .init("IP_RECVTOS", ipLevel, IP_RECVTOS, .boolean),
    .init("IP_MTU_DISCOVER", ipLevel, IP_MTU_DISCOVER, .integer, symbols: pmtuModes),
    .init("IP_MTU", ipLevel, IP_MTU, .integer, settable: false),
    .init("IP_MULTICAST_LOOP", ipLevel, IP_MULTICAST_LOOP, .boolean),
    .init("IP_MULTICAST_TTL", ipLevel, IP_MULTICAST_TTL, .integer),
    .init("IP_MULTICAST_IF", ipLevel, IP_MULTICAST_IF, .ipv4Address),
    .init("IP_MULTICAST_ALL", ipLevel, IP_MULTICAST_ALL, .boolean),
    .init("IPV6_RECVERR", ipv6Level, IPV6_RECVERR, .boolean),
    .init("IPV6_RECVPKTINFO", ipv6Level, IPV6_RECVPKTINFO, .boolean),
    .init("IPV6_RECVHOPLIMIT", ipv6Level, IPV6_RECVHOPLIMIT, .boolean),
    .init("IPV6_RECVTCLASS", ipv6Level, IPV6_RECVTCLASS, .boolean),
    .init("IPV6_V6ONLY", ipv6Level, IPV6_V6ONLY, .boolean),
    .init("IPV6_UNICAST_HOPS", ipv6Level, IPV6_UNICAST_HOPS, .integer),
    .init("IPV6_MULTICAST_LOOP", ipv6Level, IPV6_MULTICAST_LOOP, .boolean),
    .init("IPV6_MULTICAST_HOPS", ipv6Level, IPV6_MULTICAST_HOPS, .integer),
    .init("IPV6_MULTICAST_IF", ipv6Level, IPV6_MULTICAST_IF, .interface),
    .init("TCP_NODELAY", tcpLevel, TCP_NODELAY, .boolean),
  ]
}
