import Testing

@testable import NetDrillTrace

@Suite("PacketDecoder")
struct PacketDecoderTests {
  // MARK: Packet builders (network byte order)

  static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
  static func be32(_ value: UInt32) -> [UInt8] { be16(UInt16(value >> 16)) + be16(UInt16(value & 0xFFFF)) }

  static func ethernet(etherType: UInt16, _ payload: [UInt8]) -> [UInt8] {
    [UInt8](repeating: 0, count: 12) + be16(etherType) + payload
  }

  static func udp(sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8]) -> [UInt8] {
    be16(sourcePort) + be16(destinationPort) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
  }

  static func ipv4(
    protocolNumber: UInt8, source: [UInt8] = [127, 0, 0, 1], destination: [UInt8] = [127, 0, 0, 1], ttl: UInt8 = 64,
    flags: UInt16 = 0x4000, _ payload: [UInt8]
  ) -> [UInt8] {
    var header: [UInt8] = [0x45, 0] + be16(UInt16(20 + payload.count)) + be16(0x1234) + be16(flags)
    header += [ttl, protocolNumber, 0, 0] + source + destination
    var sum: UInt32 = 0
    for i in stride(from: 0, to: 20, by: 2) { sum += UInt32(header[i]) << 8 | UInt32(header[i + 1]) }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    let checksum = ~UInt16(sum)
    header[10] = UInt8(checksum >> 8)
    header[11] = UInt8(checksum & 0xFF)
    return header + payload
  }

  static func ipv4UDP(sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8]) -> [UInt8] {
    ipv4(protocolNumber: 17, udp(sourcePort: sourcePort, destinationPort: destinationPort, payload: payload))
  }

  static let loopback6: [UInt8] = [UInt8](repeating: 0, count: 15) + [1]

  static func ipv6(nextHeader: UInt8, source: [UInt8] = loopback6, destination: [UInt8] = loopback6, _ payload: [UInt8])
    -> [UInt8]
  {
    [0x60, 0, 0, 0] + be16(UInt16(payload.count)) + [nextHeader, 64] + source + destination + payload
  }

  static func tcp(
    sourcePort: UInt16, destinationPort: UInt16, sequence: UInt32, ack: UInt32, flags: UInt8, window: UInt16,
    payload: [UInt8] = []
  ) -> [UInt8] {
    be16(sourcePort) + be16(destinationPort) + be32(sequence) + be32(ack) + [0x50, flags] + be16(window) + [0, 0, 0, 0]
      + payload
  }

  // MARK: Tests

  @Test func ipv4UDPOverEthernet() {
    let frame = Self.ethernet(
      etherType: 0x0800, Self.ipv4UDP(sourcePort: 41234, destinationPort: 9, payload: Array("hello".utf8)))
    let packet = PacketDecoder.decode(frame, linkType: .ethernet)
    #expect(!packet.truncated)
    guard case .ipv4(let ip) = packet.network else {
      Issue.record("no IPv4 layer: \(packet)")
      return
    }
    #expect(ip.source == IPAddress("127.0.0.1"))
    #expect(ip.ttl == 64)
    #expect(ip.identification == 0x1234)
    #expect(ip.dontFragment && !ip.moreFragments && ip.fragmentOffset == 0)
    #expect(ip.protocolNumber == 17)
    #expect(ip.totalLength == 33)
    #expect(ip.headerChecksumValid == true)
    #expect(packet.udp?.sourcePort == 41234)
    #expect(packet.udp?.destinationPort == 9)
    #expect(packet.udp?.payload == Array("hello".utf8))
    #expect(packet.summary == "UDP 127.0.0.1:41234 → 127.0.0.1:9 len=5")
  }

  @Test func ethernetPaddingIsDropped() {
    let frame =
      Self.ethernet(etherType: 0x0800, Self.ipv4UDP(sourcePort: 1, destinationPort: 2, payload: [9])) + [0, 0, 0, 0]
    let packet = PacketDecoder.decode(frame, linkType: .ethernet)
    #expect(packet.udp?.payload == [9])
  }

  @Test func vlanTaggedFrame() {
    let inner = Self.ipv4UDP(sourcePort: 1, destinationPort: 2, payload: [])
    let frame = [UInt8](repeating: 0, count: 12) + [0x81, 0x00, 0x00, 0x2A, 0x08, 0x00] + inner
    let packet = PacketDecoder.decode(frame, linkType: .ethernet)
    guard case .ethernet(let header) = packet.link else {
      Issue.record("no Ethernet header")
      return
    }
    #expect(header.vlanID == 42)
    #expect(header.etherType == 0x0800)
    #expect(packet.udp?.destinationPort == 2)
  }

  @Test func ipv6UDPWithExtensionHeaders() {
    // Hop-by-hop (8 bytes) then a destination-options header (8 bytes), then UDP.
    let udp = Self.udp(sourcePort: 41235, destinationPort: 9, payload: Array("hi6".utf8))
    let hopByHop: [UInt8] = [60, 0, 1, 4, 0, 0, 0, 0]
    let destination: [UInt8] = [17, 0, 1, 4, 0, 0, 0, 0]
    let packet = PacketDecoder.decode(Self.ipv6(nextHeader: 0, hopByHop + destination + udp), linkType: .raw)
    guard case .ipv6(let ip) = packet.network else {
      Issue.record("no IPv6 layer")
      return
    }
    #expect(ip.nextHeader == 0)
    #expect(ip.extensionHeaders == [0, 60])
    #expect(ip.upperLayerProtocol == 17)
    #expect(ip.hopLimit == 64)
    #expect(packet.udp?.sourcePort == 41235)
    #expect(packet.udp?.payload == Array("hi6".utf8))
    #expect(packet.summary == "UDP [::1]:41235 → [::1]:9 len=3")
    #expect(!packet.truncated)
  }

  @Test func icmpv6PortUnreachableQuotesUDP() {
    let offending = Self.ipv6(
      nextHeader: 17, Self.udp(sourcePort: 41235, destinationPort: 9, payload: Array("hi6".utf8)))
    let icmp: [UInt8] = [1, 4, 0xAB, 0xCD, 0, 0, 0, 0] + offending
    let packet = PacketDecoder.decode(Self.ipv6(nextHeader: 58, icmp), linkType: .ipv6)
    let message = packet.icmp
    #expect(message?.isIPv6 == true)
    #expect(message?.type == 1)
    #expect(message?.code == 4)
    #expect(message?.name == "port-unreachable")
    #expect(message?.quoted?.udp?.sourcePort == 41235)
    #expect(message?.quoted?.udp?.destinationPort == 9)
    #expect(message?.quoted?.source == IPAddress("::1"))
    #expect(packet.summary == "ICMPv6 port-unreachable (1/4) quoting UDP [::1]:41235 → [::1]:9")
  }

  @Test func icmpv4PortUnreachableWithShortQuote() {
    // Routers may quote only the IP header and 8 bytes (RFC 792).
    let offending = Self.ipv4UDP(sourcePort: 41234, destinationPort: 9, payload: Array("hello".utf8))
    let icmp: [UInt8] = [3, 3, 0, 0, 0, 0, 0, 0] + offending.prefix(28)
    let packet = PacketDecoder.decode(Self.ipv4(protocolNumber: 1, icmp), linkType: .ipv4)
    #expect(packet.icmp?.name == "port-unreachable")
    #expect(packet.icmp?.quoted?.truncated == true)
    #expect(packet.icmp?.quoted?.udp?.destinationPort == 9)
    #expect(packet.summary == "ICMP port-unreachable (3/3) quoting UDP 127.0.0.1:41234 → 127.0.0.1:9")
    #expect(!packet.truncated)
  }

  @Test(arguments: [
    (UInt8(3), UInt8(0), "net-unreachable"), (3, 1, "host-unreachable"), (3, 4, "frag-needed"),
    (3, 13, "admin-prohibited"), (11, 0, "time-exceeded"), (8, 0, "echo-request"), (0, 0, "echo-reply"),
  ])
  func icmpv4Names(type: UInt8, code: UInt8, name: String) {
    #expect(ICMPNames.icmpv4(type: type, code: code) == name)
  }

  @Test func icmpv6EchoAndNeighborDiscovery() {
    let echo = PacketDecoder.decode(Self.ipv6(nextHeader: 58, [128, 0, 0, 0, 0, 7, 0, 1]), linkType: .raw)
    #expect(echo.icmp?.identifier == 7)
    #expect(echo.icmp?.sequence == 1)
    #expect(echo.summary == "ICMPv6 echo-request (128/0) id=7 seq=1")
    let solicitation = PacketDecoder.decode(Self.ipv6(nextHeader: 58, [135, 0, 0, 0, 0, 0, 0, 0]), linkType: .raw)
    #expect(solicitation.icmp?.isNeighborDiscovery == true)
    #expect(solicitation.icmp?.name == "neighbor-solicitation")
    let arp = PacketDecoder.decode(Self.ethernet(etherType: 0x0806, [0, 1]), linkType: .ethernet)
    #expect(arp.network == .arp)
    #expect(arp.summary == "ARP")
  }

  @Test func tcpFlags() {
    let synAck = Self.tcp(sourcePort: 5000, destinationPort: 41000, sequence: 100, ack: 201, flags: 0x12, window: 65483)
    let packet = PacketDecoder.decode(Self.ipv4(protocolNumber: 6, synAck), linkType: .raw)
    #expect(packet.tcp?.flags == [.syn, .ack])
    #expect(packet.tcp?.flags.names == ["SYN", "ACK"])
    #expect(packet.summary == "TCP 127.0.0.1:5000 → 127.0.0.1:41000 [SYN,ACK] seq=100 ack=201 win=65483")
    let all = TCPFlags(rawValue: 0xFF)
    #expect(all.names == ["SYN", "FIN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"])
    let push = Self.tcp(
      sourcePort: 1, destinationPort: 2, sequence: 1, ack: 1, flags: 0x18, window: 64, payload: Array("ping".utf8))
    let data = PacketDecoder.decode(Self.ipv4(protocolNumber: 6, push), linkType: .raw)
    #expect(data.tcp?.payload == Array("ping".utf8))
    #expect(data.summary.hasSuffix("[PSH,ACK] seq=1 ack=1 win=64 len=4"))
  }

  @Test("TCP options by kind; bytes that do not form an option end the list, never trap")
  func tcpOptions() {
    let syn: [UInt8] = [2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 10]
    #expect(
      TCPOption.parse(syn) == [
        .maximumSegmentSize(65495), .sackPermitted, .timestamps(value: 1, echoReply: 2), .noOperation, .windowScale(10),
      ])
    #expect(TCPOption.parse([5, 10, 0, 0, 0, 1, 0, 0, 0, 9]) == [.sack([SACKBlock(left: 1, right: 9)])])
    #expect(TCPOption.parse([254, 4, 7, 7, 0, 9]) == [.other(kind: 254, data: [7, 7]), .end])
    #expect(TCPOption.parse([1, 8, 10, 0]) == [.noOperation, .malformed([8, 10, 0])])
    #expect(TCPOption.parse([2, 1]) == [.malformed([2, 1])])
    #expect(TCPOption.parse([2]) == [.malformed([2])])
    // A segment with options: they are kept, the payload starts after them.
    var segment = Self.tcp(sourcePort: 1, destinationPort: 2, sequence: 1, ack: 0, flags: 0x02, window: 64)
    segment[12] = 0x60
    segment.insert(contentsOf: [2, 4, 5, 0xb4], at: 20)
    let decoded = PacketDecoder.decode(Self.ipv4(protocolNumber: 6, segment + [0xaa]), linkType: .raw)
    #expect(decoded.tcp?.parsedOptions == [.maximumSegmentSize(1460)])
    #expect(decoded.tcp?.payload == [0xaa])
  }

  @Test("IPv4 TOS, flags and options, the ICMP rest of header and TCP's AE bit are decoded")
  func headerFieldsForDiff() {
    var packet = Self.ipv4(protocolNumber: 17, flags: 0x8000, Self.udp(sourcePort: 1, destinationPort: 2, payload: []))
    packet[1] = 0xb8
    let decoded = PacketDecoder.decode(packet, linkType: .raw)
    guard case .ipv4(let header)? = decoded.network else {
      Issue.record("no IPv4 header")
      return
    }
    #expect(header.typeOfService == 0xb8)
    #expect(header.reservedFlag && !header.dontFragment)
    #expect(header.options.isEmpty)
    var withOptions = packet
    withOptions[0] = 0x46
    withOptions.insert(contentsOf: [1, 1, 1, 0], at: 20)
    withOptions[3] += 4
    if case .ipv4(let longer)? = PacketDecoder.decode(withOptions, linkType: .raw).network {
      #expect(longer.options == [1, 1, 1, 0])
    }
    let unreachable = Self.ipv4(protocolNumber: 1, [3, 4, 0, 0, 0, 0, 0x05, 0xdc] + packet)
    #expect(PacketDecoder.decode(unreachable, linkType: .raw).icmp?.restOfHeader == [0, 0, 0x05, 0xdc])
    #expect(TCPFlags(rawValue: 0x118).names == ["PSH", "ACK", "AE"])
    #expect(TCPFlags(rawValue: 0x200).names == ["reserved-1"])
  }

  @Test func truncatedPacketsDecodeAsFarAsPossible() {
    let frame = Self.ethernet(
      etherType: 0x0800, Self.ipv4UDP(sourcePort: 41234, destinationPort: 9, payload: Array("hello".utf8)))
    // Cut inside the UDP payload: ports survive, marked truncated.
    let payloadCut = PacketDecoder.decode(Array(frame.prefix(44)), linkType: .ethernet)
    #expect(payloadCut.truncated)
    #expect(payloadCut.udp?.destinationPort == 9)
    // Cut inside the IP header: no network layer, a note says why.
    let headerCut = PacketDecoder.decode(Array(frame.prefix(20)), linkType: .ethernet)
    #expect(headerCut.truncated)
    #expect(headerCut.network == nil)
    #expect(headerCut.notes.contains { $0.contains("IPv4 header cut") })
    // Every prefix of every builder packet decodes without trapping.
    let samples = [
      frame,
      Self.ethernet(
        etherType: 0x86DD,
        Self.ipv6(
          nextHeader: 58,
          [1, 4, 0, 0, 0, 0, 0, 0]
            + Self.ipv6(nextHeader: 17, Self.udp(sourcePort: 1, destinationPort: 2, payload: [1])))),
      Self.ethernet(
        etherType: 0x0800,
        Self.ipv4(
          protocolNumber: 6, Self.tcp(sourcePort: 1, destinationPort: 2, sequence: 3, ack: 4, flags: 2, window: 5))),
    ]
    for sample in samples {
      for length in 0...sample.count {
        let decoded = PacketDecoder.decode(Array(sample.prefix(length)), linkType: .ethernet)
        #expect(decoded.truncated == (length < sample.count), "length \(length): \(decoded.summary)")
        _ = decoded.summary
      }
    }
  }

  @Test func nullAndLoopLinkTypes() {
    let ip = Self.ipv4UDP(sourcePort: 7, destinationPort: 8, payload: [])
    let little = PacketDecoder.decode([2, 0, 0, 0] + ip, linkType: .null)
    let big = PacketDecoder.decode([0, 0, 0, 2] + ip, linkType: .null)
    let loop = PacketDecoder.decode([0, 0, 0, 2] + ip, linkType: .loop)
    #expect([little, big, loop].map { $0.udp?.sourcePort } == [7, 7, 7])
    let six = PacketDecoder.decode(
      [30, 0, 0, 0] + Self.ipv6(nextHeader: 17, Self.udp(sourcePort: 3, destinationPort: 4, payload: [])),
      linkType: .null)
    #expect(six.udp?.destinationPort == 4)
  }

  @Test func nonFirstFragmentStopsAtIP() {
    let fragment = Self.ipv4(protocolNumber: 17, flags: 0x0001, [1, 2, 3, 4, 5, 6, 7, 8])
    let packet = PacketDecoder.decode(fragment, linkType: .raw)
    #expect(packet.transport == nil)
    #expect(packet.summary == "IPv4 127.0.0.1 → 127.0.0.1 fragment offset=8 proto=17")
  }
}
