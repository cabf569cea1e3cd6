/// A packet decoded as far as its bytes allow, layer by layer.
///
/// Produced by ``PacketDecoder``. A layer is `nil` when the bytes stop
/// before it or it is not one the decoder knows; ``truncated`` and
/// ``notes`` say why decoding stopped early.
public struct DecodedPacket: Sendable, Hashable {
  /// The link-layer header, `nil` for packets that start at the IP header.
  public var link: LinkHeader?
  /// The network layer (IP, or ARP as a named kind).
  public var network: NetworkHeader?
  /// The transport layer or ICMP message.
  public var transport: TransportHeader?
  /// `true` when the bytes end before a header or a length field says
  /// they should (snap length, ICMP quotes, damage).
  public var truncated: Bool = false
  /// What could not be decoded and why, e.g. `IPv4 header cut at 12 of 20 bytes`.
  public var notes: [String] = []

  public init(
    link: LinkHeader? = nil, network: NetworkHeader? = nil, transport: TransportHeader? = nil,
    truncated: Bool = false, notes: [String] = []
  ) {
    self.link = link
    self.network = network
    self.transport = transport
    self.truncated = truncated
    self.notes = notes
  }

  /// The IP source address, if there is an IP layer.
  public var source: IPAddress? {
    switch network {
    case .ipv4(let header): header.source
    case .ipv6(let header): header.source
    default: nil
    }
  }

  /// The IP destination address, if there is an IP layer.
  public var destination: IPAddress? {
    switch network {
    case .ipv4(let header): header.destination
    case .ipv6(let header): header.destination
    default: nil
    }
  }

  /// The UDP header, if the packet is UDP.
  public var udp: UDPHeader? {
    if case .udp(let header) = transport { return header }
    return nil
  }

  /// The TCP header, if the packet is TCP.
  public var tcp: TCPHeader? {
    if case .tcp(let header) = transport { return header }
    return nil
  }

  /// The ICMP or ICMPv6 message, if the packet is one.
  public var icmp: ICMPMessage? {
    switch transport {
    case .icmpv4(let message), .icmpv6(let message): message
    default: nil
    }
  }

  /// One line for logs and diffs, e.g.
  /// `UDP 127.0.0.1:41234 → 127.0.0.1:9 len=5` or
  /// `ICMP port-unreachable (3/3) quoting UDP 127.0.0.1:41234 → 127.0.0.1:9`.
  /// The kernel's own link chatter (ARP, neighbour discovery, MLD, IGMP), sent on
  /// timers and not caused by any step: its count and timing vary from run to run.
  public var isHousekeeping: Bool {
    if case .arp? = network { return true }
    if let message = icmp, message.isIPv6, [130, 131, 132, 133, 134, 135, 136, 137, 143].contains(message.type) {
      return true
    }
    if case .other(let number)? = transport, number == 2 { return true }  // IGMP
    return false
  }

  public var summary: String {
    var text = describe(detailed: true)
    if truncated { text += " (truncated)" }
    return text
  }

  /// Protocol and endpoints only; used for quoted packets inside ICMP errors.
  public var flowDescription: String {
    describe(detailed: false)
  }

  private func describe(detailed: Bool) -> String {
    let from = source.map(\.withPortBrackets) ?? "?"
    let to = destination.map(\.withPortBrackets) ?? "?"
    switch transport {
    case .udp(let udp):
      var text = "UDP \(from):\(udp.sourcePort) → \(to):\(udp.destinationPort)"
      if detailed { text += " len=\(udp.payloadLength)" }
      return text
    case .tcp(let tcp):
      var text = "TCP \(from):\(tcp.sourcePort) → \(to):\(tcp.destinationPort)"
      if detailed {
        text += " [\(tcp.flags.names.joined(separator: ","))] seq=\(tcp.sequenceNumber)"
        if tcp.flags.contains(.ack) { text += " ack=\(tcp.acknowledgmentNumber)" }
        text += " win=\(tcp.window)"
        if !tcp.payload.isEmpty { text += " len=\(tcp.payload.count)" }
      }
      return text
    case .icmpv4(let message), .icmpv6(let message):
      var text = "\(message.isIPv6 ? "ICMPv6" : "ICMP") \(message.name) (\(message.type)/\(message.code))"
      if detailed, let identifier = message.identifier, let sequence = message.sequence {
        text += " id=\(identifier) seq=\(sequence)"
      }
      if detailed, let mtu = message.mtu { text += " mtu=\(mtu)" }
      if let quoted = message.quoted { text += " quoting \(quoted.flowDescription)" }
      return text
    case .other(let number):
      return "\(ipName) \(source?.description ?? "?") → \(destination?.description ?? "?") proto=\(number)"
    case nil:
      break
    }
    switch network {
    case .ipv4(let header) where header.fragmentOffset > 0:
      return
        "IPv4 \(header.source) → \(header.destination) fragment offset=\(header.fragmentOffset) proto=\(header.protocolNumber)"
    case .ipv4(let header):
      return "IPv4 \(header.source) → \(header.destination) proto=\(header.protocolNumber)"
    case .ipv6(let header):
      return "IPv6 \(header.source) → \(header.destination) next=\(header.upperLayerProtocol)"
    case .arp:
      return "ARP"
    case .other(let etherType):
      return "ethertype 0x\(String(etherType, radix: 16))"
    case nil:
      return notes.first ?? "undecoded"
    }
  }

  private var ipName: String {
    if case .ipv6 = network { return "IPv6" }
    return "IPv4"
  }
}

/// The link-layer header of a captured frame.
public enum LinkHeader: Sendable, Hashable {
  case ethernet(EthernetHeader)
  /// Linux cooked capture, v1 (`LINUX_SLL`) or v2 (`LINUX_SLL2`).
  case linuxCooked(LinuxCookedHeader)
  /// BSD loopback (`NULL`/`LOOP`) with its protocol family value.
  case loopback(family: UInt32)
  /// No link header: the frame starts with the IP header.
  case raw
}

/// An Ethernet II header with at most one 802.1Q tag.
public struct EthernetHeader: Sendable, Hashable {
  public var destination: [UInt8]
  public var source: [UInt8]
  /// The VLAN id from an 802.1Q tag, if there was one.
  public var vlanID: UInt16?
  /// The EtherType after the optional tag (0x0800 IPv4, 0x86DD IPv6, 0x0806 ARP).
  public var etherType: UInt16
}

/// A Linux "cooked" capture header (`tcpdump -i any`).
public struct LinuxCookedHeader: Sendable, Hashable {
  /// 1 for `LINUX_SLL`, 2 for `LINUX_SLL2`.
  public var version: Int
  /// `PACKET_HOST` (0), `PACKET_BROADCAST` (1), `PACKET_MULTICAST` (2),
  /// `PACKET_OTHERHOST` (3) or `PACKET_OUTGOING` (4), from `<linux/if_packet.h>`.
  public var packetType: UInt16
  /// The protocol, usually an EtherType.
  public var protocolType: UInt16
  /// The `ARPHRD_` device type (772 is loopback).
  public var hardwareType: UInt16
  /// The interface index (`LINUX_SLL2` only).
  public var interfaceIndex: UInt32?
  /// The link-layer source address.
  public var address: [UInt8]

  /// `host`, `broadcast`, `multicast`, `other-host`, `outgoing`.
  public var packetTypeName: String {
    switch packetType {
    case 0: "host"
    case 1: "broadcast"
    case 2: "multicast"
    case 3: "other-host"
    case 4: "outgoing"
    default: "type-\(packetType)"
    }
  }
}

/// The network layer of a packet.
public enum NetworkHeader: Sendable, Hashable {
  case ipv4(IPv4Header)
  case ipv6(IPv6Header)
  /// ARP, recognised but not decoded.
  case arp
  /// Another EtherType.
  case other(etherType: UInt16)
}

/// An IPv4 header.
public struct IPv4Header: Sendable, Hashable {
  public var source: IPAddress
  public var destination: IPAddress
  public var headerLength: Int
  /// The Type of Service byte: DSCP (high six bits) and ECN (low two).
  public var typeOfService: UInt8
  public var totalLength: UInt16
  public var identification: UInt16
  /// The reserved flag bit (must be zero; RFC 3514's "evil bit").
  public var reservedFlag: Bool
  public var dontFragment: Bool
  public var moreFragments: Bool
  /// Fragment offset in bytes (the header field times 8).
  public var fragmentOffset: Int
  public var ttl: UInt8
  /// 1 ICMP, 6 TCP, 17 UDP…
  public var protocolNumber: UInt8
  public var headerChecksum: UInt16
  /// Whether the header checksum verifies; `nil` when the header is cut.
  public var headerChecksumValid: Bool?
  /// The options between byte 20 and the header length, as captured.
  public var options: [UInt8] = []
}

/// An IPv6 header and the extension headers the decoder walked past.
public struct IPv6Header: Sendable, Hashable {
  public var source: IPAddress
  public var destination: IPAddress
  public var trafficClass: UInt8
  public var flowLabel: UInt32
  public var payloadLength: UInt16
  /// The Next Header field of the fixed header.
  public var nextHeader: UInt8
  public var hopLimit: UInt8
  /// Extension header types skipped, in order (0, 43, 44, 60, 51).
  public var extensionHeaders: [UInt8]
  /// The protocol after the extension headers (17 UDP, 58 ICMPv6…).
  public var upperLayerProtocol: UInt8
  /// Fragment header fields, when there was one.
  public var fragmentOffset: Int?
  public var moreFragments: Bool?
  public var fragmentIdentification: UInt32?
}

/// The transport layer of an IP packet.
public indirect enum TransportHeader: Sendable, Hashable {
  case udp(UDPHeader)
  case tcp(TCPHeader)
  case icmpv4(ICMPMessage)
  case icmpv6(ICMPMessage)
  /// Another IP protocol, not decoded.
  case other(protocolNumber: UInt8)
}

/// A UDP header and payload.
public struct UDPHeader: Sendable, Hashable {
  public var sourcePort: UInt16
  public var destinationPort: UInt16
  /// The Length field (header plus payload).
  public var length: UInt16
  public var checksum: UInt16
  /// The captured payload, possibly shorter than the Length field says.
  public var payload: [UInt8]

  /// The payload length the header claims, or the captured length when
  /// the field is impossible.
  public var payloadLength: Int {
    length >= 8 ? Int(length) - 8 : payload.count
  }
}

/// TCP header flags.
public struct TCPFlags: OptionSet, Sendable, Hashable {
  public var rawValue: UInt16
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  public static let fin = TCPFlags(rawValue: 0x01)
  public static let syn = TCPFlags(rawValue: 0x02)
  public static let rst = TCPFlags(rawValue: 0x04)
  public static let psh = TCPFlags(rawValue: 0x08)
  public static let ack = TCPFlags(rawValue: 0x10)
  public static let urg = TCPFlags(rawValue: 0x20)
  public static let ece = TCPFlags(rawValue: 0x40)
  public static let cwr = TCPFlags(rawValue: 0x80)
  /// Accurate ECN (RFC 9768; was NS, RFC 3540), the lowest of the four bits before the flags.
  public static let ae = TCPFlags(rawValue: 0x100)

  /// Flag names in the order people read them: `["SYN", "ACK"]`.
  public var names: [String] {
    let order: [(TCPFlags, String)] = [
      (.syn, "SYN"), (.fin, "FIN"), (.rst, "RST"), (.psh, "PSH"),
      (.ack, "ACK"), (.urg, "URG"), (.ece, "ECE"), (.cwr, "CWR"), (.ae, "AE"),
    ]
    var names = order.filter { contains($0.0) }.map(\.1)
    // The three reserved bits have no name; a set one must still show.
    if rawValue & 0x0E00 != 0 { names.append("reserved-\(rawValue >> 9 & 0x7)") }
    return names
  }
}

/// A TCP header and payload.
public struct TCPHeader: Sendable, Hashable {
  public var sourcePort: UInt16
  public var destinationPort: UInt16
  public var sequenceNumber: UInt32
  public var acknowledgmentNumber: UInt32
  /// Header length in bytes including options.
  public var headerLength: Int
  public var flags: TCPFlags
  public var window: UInt16
  public var checksum: UInt16
  public var urgentPointer: UInt16
  /// The options between byte 20 and the data offset, as captured.
  public var options: [UInt8] = []
  public var payload: [UInt8]

  /// The options one by one, in order; see ``TCPOption``.
  public var parsedOptions: [TCPOption] { TCPOption.parse(options) }
}

/// One TCP option (RFC 9293 3.1 and the IANA registry).
public enum TCPOption: Sendable, Hashable {
  /// Kind 0: end of the option list.
  case end
  /// Kind 1: padding.
  case noOperation
  /// Kind 2: maximum segment size.
  case maximumSegmentSize(UInt16)
  /// Kind 3: window scale shift count.
  case windowScale(UInt8)
  /// Kind 4: SACK permitted.
  case sackPermitted
  /// Kind 5: selective acknowledgment blocks (left edge, right edge).
  case sack([SACKBlock])
  /// Kind 8: timestamps value and echo reply.
  case timestamps(value: UInt32, echoReply: UInt32)
  /// Any other kind with its data bytes (the kind and length bytes left out).
  case other(kind: UInt8, data: [UInt8])
  /// Bytes that do not form an option (a length byte below 2 or past the end).
  case malformed([UInt8])

  /// A short name: `mss`, `wscale`, `sackOK`, `sack`, `ts`, `nop`, `eol`, `kind-N`, `malformed`.
  public var name: String {
    switch self {
    case .end: "eol"
    case .noOperation: "nop"
    case .maximumSegmentSize: "mss"
    case .windowScale: "wscale"
    case .sackPermitted: "sackOK"
    case .sack: "sack"
    case .timestamps: "ts"
    case .other(let kind, _): "kind-\(kind)"
    case .malformed: "malformed"
    }
  }

  /// Splits an option area into options. Never traps: bytes that do not
  /// form an option end the list as `.malformed`.
  public static func parse(_ bytes: [UInt8]) -> [TCPOption] {
    var options: [TCPOption] = []
    let cursor = ByteCursor(bytes)
    var offset = 0
    while offset < bytes.count {
      let kind = bytes[offset]
      if kind == 0 {
        options.append(.end)
        break  // The rest is padding.
      }
      if kind == 1 {
        options.append(.noOperation)
        offset += 1
        continue
      }
      guard let length = cursor.u8(offset + 1), length >= 2, offset + Int(length) <= bytes.count else {
        options.append(.malformed(Array(bytes[offset...])))
        break
      }
      let data = Array(bytes[(offset + 2)..<(offset + Int(length))])
      let body = ByteCursor(data)
      // Each case matches the option's exact length, so every read below is
      // inside `data` and the unwraps cannot fail.
      switch (kind, data.count) {
      case (2, 2): options.append(.maximumSegmentSize(body.u16(0)!))
      case (3, 1): options.append(.windowScale(data[0]))
      case (4, 0): options.append(.sackPermitted)
      case (5, let count) where count % 8 == 0:
        options.append(
          .sack(stride(from: 0, to: count, by: 8).map { SACKBlock(left: body.u32($0)!, right: body.u32($0 + 4)!) }))
      case (8, 8): options.append(.timestamps(value: body.u32(0)!, echoReply: body.u32(4)!))
      default: options.append(.other(kind: kind, data: data))
      }
      offset += Int(length)
    }
    return options
  }
}

/// One SACK block: the sequence numbers of a received range (right edge exclusive).
public struct SACKBlock: Sendable, Hashable {
  public var left: UInt32
  public var right: UInt32
}

/// An ICMP (IPv4) or ICMPv6 message.
public struct ICMPMessage: Sendable, Hashable {
  /// `true` for ICMPv6.
  public var isIPv6: Bool
  public var type: UInt8
  public var code: UInt8
  public var checksum: UInt16
  /// Echo request/reply identifier.
  public var identifier: UInt16?
  /// Echo request/reply sequence number.
  public var sequence: UInt16?
  /// Next-hop MTU of ICMP frag-needed or ICMPv6 packet-too-big.
  public var mtu: UInt32?
  /// Bytes 4 to 7, the "rest of header": echo id and sequence, next-hop
  /// MTU, parameter-problem pointer, redirect gateway, or unused.
  public var restOfHeader: [UInt8] = []
  /// What follows byte 8 when it is not a quoted datagram (echo data).
  public var payload: [UInt8] = []
  /// The offending packet an error message quotes, decoded from its IP
  /// header; usually cut short (and marked truncated).
  public var quoted: DecodedPacket?

  /// A name for the type and code, e.g. `port-unreachable`, `echo-request`,
  /// `time-exceeded`; `type-N` / `unreachable-code-N` for unknown values.
  public var name: String {
    isIPv6 ? ICMPNames.icmpv6(type: type, code: code) : ICMPNames.icmpv4(type: type, code: code)
  }

  /// Whether this is an error message that quotes a packet
  /// (ICMP 3, 4, 5, 11, 12; ICMPv6 1–4).
  public var isError: Bool {
    isIPv6 ? (1...4).contains(type) : [3, 4, 5, 11, 12].contains(type)
  }

  /// ICMPv6 Neighbor Discovery (router/neighbor solicitation and
  /// advertisement, redirect: types 133–137); not decoded further.
  public var isNeighborDiscovery: Bool {
    isIPv6 && (133...137).contains(type)
  }
}
