/// Ancillary data a scenario sends with sendmsg or expects from recvmsg
/// (cmsg(3)), by the name of the control message the kernel uses.
public enum ControlMessageName: String, Sendable, Equatable, CaseIterable {
  /// Datagrams dropped because the receive buffer was full (enable with SO_RXQ_OVFL).
  case SO_RXQ_OVFL
  /// The receive time (enable with SO_TIMESTAMPNS); only its presence is checked.
  case SO_TIMESTAMPNS
  /// Destination address and interface (enable with IP_PKTINFO); on sendmsg, source address and interface.
  case IP_PKTINFO
  /// The datagram's TTL (enable with IP_RECVTTL); on sendmsg, this datagram's TTL.
  case IP_TTL
  /// The datagram's TOS byte (enable with IP_RECVTOS); on sendmsg, this datagram's TOS.
  case IP_TOS
  /// Destination address and interface (enable with IPV6_RECVPKTINFO); on sendmsg, source and interface.
  case IPV6_PKTINFO
  /// The hop limit (enable with IPV6_RECVHOPLIMIT); on sendmsg, this datagram's.
  case IPV6_HOPLIMIT
  /// The traffic class (enable with IPV6_RECVTCLASS); on sendmsg, this datagram's.
  case IPV6_TCLASS

  /// Messages sendmsg can carry (ip(7), ipv6(7)); the others only come from the kernel.
  public static let sendable: [ControlMessageName] = [
    .IP_PKTINFO, .IP_TTL, .IP_TOS, .IPV6_PKTINFO, .IPV6_HOPLIMIT, .IPV6_TCLASS,
  ]

  public var isPacketInfo: Bool { self == .IP_PKTINFO || self == .IPV6_PKTINFO }
  /// Presence is all that can be checked (a receive time differs in every run).
  public var isPresenceOnly: Bool { self == .SO_TIMESTAMPNS }
  /// The largest value (IP_TOS and IPV6_TCLASS are a byte, TTL and hop limit up to 255).
  public var maximumValue: Int { self == .SO_RXQ_OVFL ? Int(UInt32.max) : 255 }
}

/// `struct in_pktinfo` / `struct in6_pktinfo` as written in a scenario.
/// Received: `addr` is the datagram's destination (a broadcast, multicast or
/// unicast address), `spec_dst` the local address a reply would come from
/// (IPv4 only), `ifindex`/`interface` where it arrived. Sent: `spec_dst`
/// (IPv4) or `addr` (IPv6) picks the source address, `ifindex`/`interface` the
/// outgoing interface.
public struct PacketInfo: Sendable, Equatable {
  public var address: String?
  public var specificDestination: String?
  public var interfaceIndex: Int?
  public var interface: String?

  public init(
    address: String? = nil, specificDestination: String? = nil, interfaceIndex: Int? = nil, interface: String? = nil
  ) {
    self.address = address
    self.specificDestination = specificDestination
    self.interfaceIndex = interfaceIndex
    self.interface = interface
  }
}

/// One control message in a scenario: sent with sendmsg, or expected from recvmsg.
public struct ControlEntry: Sendable, Equatable {
  public enum Value: Sendable, Equatable {
    case integer(Int)
    case packetInfo(PacketInfo)
    /// Expected only: the message is there, whatever it holds.
    case present
    /// Expected only: the message is not there.
    case absent
  }

  public var name: ControlMessageName
  public var value: Value

  public init(name: ControlMessageName, value: Value) {
    self.name = name
    self.value = value
  }
}
