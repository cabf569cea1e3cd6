/// Decodes captured frames into ``DecodedPacket`` values, pure Swift over
/// bytes.
///
/// Tolerant by design: a frame cut by the snap length or damaged decodes
/// as far as its bytes allow, with ``DecodedPacket/truncated`` set and a
/// note saying what is missing. It never traps.
public enum PacketDecoder {
  /// ICMP errors quoting ICMP errors are forbidden (RFC 1122 3.2.2) but a
  /// crafted packet could nest them; stop recursing after this depth.
  static let maximumQuoteDepth = 3

  /// Decodes a frame that starts with a `linkType` header.
  public static func decode(_ bytes: [UInt8], linkType: LinkType) -> DecodedPacket {
    var packet = DecodedPacket()
    let cursor = ByteCursor(bytes)
    switch linkType {
    case .ethernet:
      guard let etherType = cursor.u16(12) else {
        return cut(packet, "Ethernet header cut at \(bytes.count) of 14 bytes")
      }
      var header = EthernetHeader(
        destination: cursor.prefix(from: 0, length: 6), source: cursor.prefix(from: 6, length: 6),
        vlanID: nil, etherType: etherType)
      var offset = 14
      if etherType == 0x8100 {
        guard let tag = cursor.u16(14), let inner = cursor.u16(16) else {
          packet.link = .ethernet(header)
          return cut(packet, "802.1Q tag cut at \(bytes.count) of 18 bytes")
        }
        header.vlanID = tag & 0x0FFF
        header.etherType = inner
        offset = 18
      }
      packet.link = .ethernet(header)
      return network(packet, etherType: header.etherType, cursor.suffix(from: offset))
    case .linuxSLL:
      guard let packetType = cursor.u16(0), let hardware = cursor.u16(2),
        let addressLength = cursor.u16(4), let protocolType = cursor.u16(14)
      else {
        return cut(packet, "Linux cooked header cut at \(bytes.count) of 16 bytes")
      }
      packet.link = .linuxCooked(
        LinuxCookedHeader(
          version: 1, packetType: packetType, protocolType: protocolType,
          hardwareType: hardware, interfaceIndex: nil,
          address: cursor.prefix(from: 6, length: min(Int(addressLength), 8))))
      return network(packet, etherType: protocolType, cursor.suffix(from: 16))
    case .linuxSLL2:
      guard let protocolType = cursor.u16(0), let index = cursor.u32(4),
        let hardware = cursor.u16(8), let packetType = cursor.u8(10),
        let addressLength = cursor.u8(11), cursor.has(12, 8)
      else {
        return cut(packet, "Linux cooked v2 header cut at \(bytes.count) of 20 bytes")
      }
      packet.link = .linuxCooked(
        LinuxCookedHeader(
          version: 2, packetType: UInt16(packetType), protocolType: protocolType,
          hardwareType: hardware, interfaceIndex: index,
          address: cursor.prefix(from: 12, length: min(Int(addressLength), 8))))
      return network(packet, etherType: protocolType, cursor.suffix(from: 20))
    case .null, .loop:
      guard var family = linkType == .loop ? cursor.u32(0) : ByteCursor(bytes, bigEndian: false).u32(0)
      else {
        return cut(packet, "loopback header cut at \(bytes.count) of 4 bytes")
      }
      // NULL is in the capturing host's byte order, which the file does
      // not record; families are small, so a value with high bits set
      // came from a host of the other byte order (Wireshark does the same).
      if linkType == .null && family & 0xFFFF_0000 != 0 { family = family.byteSwapped }
      packet.link = .loopback(family: family)
      let payload = cursor.suffix(from: 4)
      switch family {
      case 2: return network(packet, etherType: 0x0800, payload)
      // AF_INET6 differs by OS: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30.
      case 10, 24, 28, 30: return network(packet, etherType: 0x86DD, payload)
      default:
        packet.notes.append("unknown loopback family \(family)")
        return packet
      }
    case .raw:
      packet.link = .raw
      return ip(packet, bytes, depth: 0)
    case .ipv4:
      packet.link = .raw
      return network(packet, etherType: 0x0800, bytes)
    case .ipv6:
      packet.link = .raw
      return network(packet, etherType: 0x86DD, bytes)
    default:
      packet.notes.append("link type \(linkType.name) is not decoded")
      return packet
    }
  }

  /// Decodes a packet read from a trace, using its link type.
  public static func decode(_ packet: TracePacket) -> DecodedPacket {
    var decoded = decode(packet.data, linkType: packet.linkType)
    if UInt64(packet.data.count) < UInt64(packet.originalLength) && !decoded.truncated {
      // The payload was cut even if every header decoded.
      decoded.truncated = true
      decoded.notes.append("captured \(packet.data.count) of \(packet.originalLength) bytes")
    }
    return decoded
  }

  /// Decodes bytes that start with an IPv4 or IPv6 header (by version nibble).
  public static func decodeIP(_ bytes: [UInt8]) -> DecodedPacket {
    ip(DecodedPacket(), bytes, depth: 0)
  }

  // MARK: - Network layer

  private static func network(_ packet: DecodedPacket, etherType: UInt16, _ bytes: [UInt8]) -> DecodedPacket {
    var packet = packet
    switch etherType {
    case 0x0800: return ipv4(packet, bytes, depth: 0)
    case 0x86DD: return ipv6(packet, bytes, depth: 0)
    case 0x0806:
      packet.network = .arp
      return packet
    default:
      packet.network = .other(etherType: etherType)
      return packet
    }
  }

  private static func ip(_ packet: DecodedPacket, _ bytes: [UInt8], depth: Int) -> DecodedPacket {
    guard let first = bytes.first else { return cut(packet, "no IP header") }
    switch first >> 4 {
    case 4: return ipv4(packet, bytes, depth: depth)
    case 6: return ipv6(packet, bytes, depth: depth)
    default:
      var packet = packet
      packet.notes.append("IP version \(first >> 4) is not decoded")
      return packet
    }
  }

  private static func ipv4(_ packet: DecodedPacket, _ bytes: [UInt8], depth: Int) -> DecodedPacket {
    var packet = packet
    let cursor = ByteCursor(bytes)
    guard bytes.count >= 20, let first = cursor.u8(0), let typeOfService = cursor.u8(1),
      let totalLength = cursor.u16(2),
      let identification = cursor.u16(4), let fragment = cursor.u16(6),
      let ttl = cursor.u8(8), let protocolNumber = cursor.u8(9), let checksum = cursor.u16(10)
    else {
      return cut(packet, "IPv4 header cut at \(bytes.count) of 20 bytes")
    }
    guard first >> 4 == 4 else {
      packet.notes.append("IPv4 header has version \(first >> 4)")
      return packet
    }
    let headerLength = Int(first & 0x0F) * 4
    let header = IPv4Header(
      source: .v4(cursor.prefix(from: 12, length: 4)),
      destination: .v4(cursor.prefix(from: 16, length: 4)),
      headerLength: headerLength, typeOfService: typeOfService, totalLength: totalLength,
      identification: identification, reservedFlag: fragment & 0x8000 != 0,
      dontFragment: fragment & 0x4000 != 0, moreFragments: fragment & 0x2000 != 0,
      fragmentOffset: Int(fragment & 0x1FFF) * 8, ttl: ttl, protocolNumber: protocolNumber,
      headerChecksum: checksum,
      headerChecksumValid: bytes.count >= headerLength && headerLength >= 20
        ? onesComplementSum(bytes, count: headerLength) == 0xFFFF : nil,
      options: headerLength > 20 ? cursor.prefix(from: 20, length: headerLength - 20) : [])
    packet.network = .ipv4(header)
    guard headerLength >= 20 else {
      packet.notes.append("IPv4 header length \(headerLength) is below 20")
      return packet
    }
    guard bytes.count >= headerLength else {
      return cut(packet, "IPv4 options cut at \(bytes.count) of \(headerLength) bytes")
    }
    var end = bytes.count
    if Int(totalLength) < headerLength {
      packet.notes.append("IPv4 total length \(totalLength) is below the header length")
    } else if Int(totalLength) <= bytes.count {
      end = Int(totalLength)  // Drop Ethernet padding.
    } else {
      packet.truncated = true
      packet.notes.append("IPv4 packet cut at \(bytes.count) of \(totalLength) bytes")
    }
    guard header.fragmentOffset == 0 else {
      packet.notes.append("non-first fragment: transport header is in the first fragment")
      return packet
    }
    return transport(
      packet, protocolNumber: protocolNumber, Array(bytes[headerLength..<end]), depth: depth,
      isIPv6: false)
  }

  private static func ipv6(_ packet: DecodedPacket, _ bytes: [UInt8], depth: Int) -> DecodedPacket {
    var packet = packet
    let cursor = ByteCursor(bytes)
    guard bytes.count >= 40, let word = cursor.u32(0), let payloadLength = cursor.u16(4),
      let nextHeader = cursor.u8(6), let hopLimit = cursor.u8(7)
    else {
      return cut(packet, "IPv6 header cut at \(bytes.count) of 40 bytes")
    }
    guard word >> 28 == 6 else {
      packet.notes.append("IPv6 header has version \(word >> 28)")
      return packet
    }
    var header = IPv6Header(
      source: .v6(cursor.prefix(from: 8, length: 16)),
      destination: .v6(cursor.prefix(from: 24, length: 16)),
      trafficClass: UInt8(truncatingIfNeeded: word >> 20), flowLabel: word & 0xF_FFFF,
      payloadLength: payloadLength, nextHeader: nextHeader, hopLimit: hopLimit,
      extensionHeaders: [], upperLayerProtocol: nextHeader)
    var end = bytes.count
    // Payload length 0 means a jumbogram (RFC 2675); use what was captured.
    if payloadLength > 0 {
      if 40 + Int(payloadLength) <= bytes.count {
        end = 40 + Int(payloadLength)
      } else {
        packet.truncated = true
        packet.notes.append("IPv6 packet cut at \(bytes.count) of \(40 + Int(payloadLength)) bytes")
      }
    }
    var offset = 40
    var next = nextHeader
    // Each extension header is at least 8 bytes, so this loop ends.
    extensions: while true {
      switch next {
      case 0, 43, 60, 51:
        guard let following = cursor.u8(offset), let length = cursor.u8(offset + 1) else {
          header.upperLayerProtocol = next
          packet.network = .ipv6(header)
          return cut(packet, "IPv6 extension header \(next) cut")
        }
        let size = next == 51 ? (Int(length) + 2) * 4 : (Int(length) + 1) * 8
        header.extensionHeaders.append(next)
        next = following
        offset += size
      case 44:
        guard let following = cursor.u8(offset), let field = cursor.u16(offset + 2),
          let identification = cursor.u32(offset + 4)
        else {
          header.upperLayerProtocol = next
          packet.network = .ipv6(header)
          return cut(packet, "IPv6 fragment header cut")
        }
        header.extensionHeaders.append(next)
        header.fragmentOffset = Int(field >> 3) * 8
        header.moreFragments = field & 1 != 0
        header.fragmentIdentification = identification
        next = following
        offset += 8
      default:
        break extensions
      }
    }
    header.upperLayerProtocol = next
    packet.network = .ipv6(header)
    guard offset <= end else {
      return cut(packet, "IPv6 extension headers run past the packet")
    }
    if let fragmentOffset = header.fragmentOffset, fragmentOffset > 0 {
      packet.notes.append("non-first fragment: transport header is in the first fragment")
      return packet
    }
    if next == 59 { return packet }  // No Next Header.
    return transport(packet, protocolNumber: next, Array(bytes[offset..<end]), depth: depth, isIPv6: true)
  }

  // MARK: - Transport layer

  private static func transport(
    _ packet: DecodedPacket, protocolNumber: UInt8, _ bytes: [UInt8], depth: Int, isIPv6: Bool
  ) -> DecodedPacket {
    var packet = packet
    let cursor = ByteCursor(bytes)
    switch protocolNumber {
    case 17:
      guard let source = cursor.u16(0), let destination = cursor.u16(2),
        let length = cursor.u16(4), let checksum = cursor.u16(6)
      else {
        return cut(packet, "UDP header cut at \(bytes.count) of 8 bytes")
      }
      var payloadEnd = bytes.count
      if length >= 8 && Int(length) <= bytes.count {
        payloadEnd = Int(length)
      } else if Int(length) > bytes.count {
        packet.truncated = true
        packet.notes.append("UDP datagram cut at \(bytes.count) of \(length) bytes")
      }
      packet.transport = .udp(
        UDPHeader(
          sourcePort: source, destinationPort: destination, length: length, checksum: checksum,
          payload: Array(bytes[8..<payloadEnd])))
      return packet
    case 6:
      guard let source = cursor.u16(0), let destination = cursor.u16(2) else {
        return cut(packet, "TCP header cut at \(bytes.count) bytes, before the ports")
      }
      guard let sequence = cursor.u32(4), let acknowledgment = cursor.u32(8),
        let offsetAndFlags = cursor.u16(12), let window = cursor.u16(14),
        let checksum = cursor.u16(16), let urgent = cursor.u16(18)
      else {
        // ICMP quotes often carry only the first 8 bytes: keep the ports.
        packet.transport = .tcp(
          TCPHeader(
            sourcePort: source, destinationPort: destination,
            sequenceNumber: cursor.u32(4) ?? 0, acknowledgmentNumber: 0, headerLength: 0,
            flags: [], window: 0, checksum: 0, urgentPointer: 0, payload: []))
        return cut(packet, "TCP header cut at \(bytes.count) of 20 bytes")
      }
      let headerLength = Int(offsetAndFlags >> 12) * 4
      var header = TCPHeader(
        sourcePort: source, destinationPort: destination, sequenceNumber: sequence,
        acknowledgmentNumber: acknowledgment, headerLength: headerLength,
        flags: TCPFlags(rawValue: offsetAndFlags & 0x0FFF), window: window, checksum: checksum,
        urgentPointer: urgent, payload: [])
      if headerLength > 20 { header.options = cursor.prefix(from: 20, length: headerLength - 20) }
      if headerLength < 20 {
        packet.notes.append("TCP data offset \(headerLength) is below 20")
      } else if headerLength > bytes.count {
        packet.transport = .tcp(header)
        return cut(packet, "TCP options cut at \(bytes.count) of \(headerLength) bytes")
      } else {
        header.payload = Array(bytes[headerLength...])
      }
      packet.transport = .tcp(header)
      return packet
    case 1, 58:
      let ipv6Message = protocolNumber == 58
      guard let type = cursor.u8(0), let code = cursor.u8(1), let checksum = cursor.u16(2) else {
        return cut(packet, "ICMP header cut at \(bytes.count) of 4 bytes")
      }
      var message = ICMPMessage(
        isIPv6: ipv6Message, type: type, code: code, checksum: checksum,
        identifier: nil, sequence: nil, mtu: nil, quoted: nil)
      message.restOfHeader = cursor.prefix(from: 4, length: 4)
      let isEcho = ipv6Message ? (type == 128 || type == 129) : (type == 0 || type == 8)
      if isEcho {
        message.identifier = cursor.u16(4)
        message.sequence = cursor.u16(6)
      }
      if ipv6Message && type == 2 { message.mtu = cursor.u32(4) }
      if !ipv6Message && type == 3 && code == 4 { message.mtu = cursor.u16(6).map(UInt32.init) }
      if !message.isError && bytes.count > 8 {
        message.payload = Array(bytes[8...])
      } else if message.isError {
        if depth >= maximumQuoteDepth {
          packet.notes.append("ICMP quotes nested too deep; not decoded")
        } else if bytes.count > 8 {
          message.quoted = ip(DecodedPacket(), Array(bytes[8...]), depth: depth + 1)
        } else {
          packet.truncated = true
          packet.notes.append("ICMP error without a quoted packet")
        }
      }
      packet.transport = ipv6Message ? .icmpv6(message) : .icmpv4(message)
      return packet
    default:
      packet.transport = .other(protocolNumber: protocolNumber)
      return packet
    }
  }

  // MARK: - Helpers

  private static func cut(_ packet: DecodedPacket, _ note: String) -> DecodedPacket {
    var packet = packet
    packet.truncated = true
    packet.notes.append(note)
    return packet
  }

  /// The folded 16-bit one's complement sum of the first `count` bytes;
  /// 0xFFFF over a header that includes its checksum means it verifies.
  private static func onesComplementSum(_ bytes: [UInt8], count: Int) -> UInt16 {
    var sum: UInt32 = 0
    var index = 0
    while index + 1 < count {
      sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
      index += 2
    }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    return UInt16(sum)
  }
}
