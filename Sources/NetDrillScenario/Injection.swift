/// A packet an `inject` step delivers to a host as if it had arrived from
/// the wire: netdrill builds it (headers, checksums) from the step and from
/// what the run's sockets really did, and hands it to the host's loopback
/// interface, whose receive path then treats it like any packet from a peer.
public struct InjectStep: Sendable, Equatable {
  public enum Packet: Sendable, Equatable {
    /// A datagram from `from` (any address and port; no such peer needs to
    /// exist) to `to`.
    case udp(from: AddressSpec, to: AddressSpec, data: Payload)
    /// An ICMP (ICMPv6 for an IPv6 datagram) error quoting the first datagram
    /// sent by step `quoting` (0-based index), sent by `offender` (an IP
    /// literal; nil: the quoted datagram's destination).
    case icmp(ICMPErrorKind, quoting: Int, offender: String?, mtu: Int?)
    /// A TCP segment from the peer of connected socket `into`. `seq` and
    /// `ack` count from where the connection stands when the step runs: 0 is
    /// the next byte the socket expects (its rcv_nxt) and the end of what it
    /// has sent (its snd_nxt).
    case tcp(into: String, flags: [TCPFlag], seq: Int64, ack: Int64, window: Int, data: Payload?)
  }

  /// The MTU a frag-needed (packet too big) carries when the step names none.
  public static let defaultMTU = 1280

  public var packet: Packet
  /// The host that receives it; nil: the host of the socket the packet is
  /// for (the quoted step's socket, `into`, or a socket named by `to`).
  public var host: String?

  public init(packet: Packet, host: String? = nil) {
    self.packet = packet
    self.host = host
  }

  /// The inject kind as written (`"udp"`, `"icmp"`, `"tcp"`).
  public var kind: InjectKind {
    switch packet {
    case .udp: return .udp
    case .icmp: return .icmp
    case .tcp: return .tcp
    }
  }
}

public enum InjectKind: String, Sendable, Equatable, CaseIterable {
  case udp, icmp, tcp
}

/// The TCP header flags an injected segment may carry.
public enum TCPFlag: String, Sendable, Equatable, CaseIterable {
  case FIN, SYN, RST, PSH, ACK, URG

  /// The bit in the TCP header's flags byte.
  public var bit: UInt8 {
    switch self {
    case .FIN: return 0x01
    case .SYN: return 0x02
    case .RST: return 0x04
    case .PSH: return 0x08
    case .ACK: return 0x10
    case .URG: return 0x20
    }
  }
}

/// ICMP errors an `inject` step can build, with their ICMP (IPv4) and ICMPv6
/// type and code.
public enum ICMPErrorKind: String, Sendable, Equatable, CaseIterable {
  case portUnreachable = "port-unreachable"
  case hostUnreachable = "host-unreachable"
  case netUnreachable = "net-unreachable"
  case protocolUnreachable = "protocol-unreachable"
  case adminProhibited = "admin-prohibited"
  /// IPv4 fragmentation needed (type 3 code 4); ICMPv6 packet too big (type 2).
  case fragNeeded = "frag-needed"
  case timeExceeded = "time-exceeded"

  /// ICMP type and code.
  public var icmpTypeCode: (type: UInt8, code: UInt8) {
    switch self {
    case .netUnreachable: return (3, 0)
    case .hostUnreachable: return (3, 1)
    case .protocolUnreachable: return (3, 2)
    case .portUnreachable: return (3, 3)
    case .fragNeeded: return (3, 4)
    case .adminProhibited: return (3, 13)
    case .timeExceeded: return (11, 0)
    }
  }

  /// ICMPv6 type and code (RFC 4443). ICMPv6 has no protocol unreachable: its
  /// parameter problem "unrecognized next header" (type 4 code 1, pointing at
  /// the quoted header's next-header field) says the same.
  public var icmpv6TypeCode: (type: UInt8, code: UInt8) {
    switch self {
    case .netUnreachable: return (1, 0)  // no route to destination
    case .hostUnreachable: return (1, 3)  // address unreachable
    case .protocolUnreachable: return (4, 1)  // parameter problem: unrecognized next header
    case .portUnreachable: return (1, 4)
    case .fragNeeded: return (2, 0)  // packet too big
    case .adminProhibited: return (1, 1)
    case .timeExceeded: return (3, 0)
    }
  }
}
