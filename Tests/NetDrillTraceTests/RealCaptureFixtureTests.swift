import Foundation
import Testing

@testable import NetDrillTrace

/// Reads every capture in `Fixtures/captures/` — made by real programs (dig,
/// tftp, sntp, curl) in private namespaces by `make-captures.sh` — with
/// ``TraceReader`` and ``PacketDecoder``, and holds each packet against what
/// Wireshark's tshark makes of the same file: count, network and transport
/// protocol, ports (also those quoted by ICMP errors), ICMP type, truncation.
@Suite("Real-world captures against tshark")
struct RealCaptureFixtureTests {
  static let directory = TestFiles.fixtures.appendingPathComponent("captures")

  /// Every pcap/pcapng file in the folder, so a new fixture is checked without editing this list.
  static let names: [String] =
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
    .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }
    .sorted()

  static func path(_ name: String) -> String {
    directory.appendingPathComponent(name).path
  }

  static func read(_ name: String) throws -> (TraceSection?, [LinkType], [TracePacket]) {
    var section: TraceSection?
    var linkTypes: [LinkType] = []
    var packets: [TracePacket] = []
    let reader = try TraceReader(path: path(name))
    while let record = try reader.next() {
      switch record {
      case .section(let value): section = value
      case .interface(let value): linkTypes.append(value.linkType)
      case .packet(let value): packets.append(value)
      default: break
      }
    }
    return (section, linkTypes, packets)
  }

  /// What tshark says about one frame.
  struct TsharkFrame {
    /// `frame.protocols`, split: `["sll", "ethertype", "ip", "udp", "tftp"]`.
    var protocols: [String]
    var wireLength: Int
    var capturedLength: Int
    /// The first occurrence of `udp.*`/`tcp.*` ports: for an ICMP error, the quoted datagram's.
    var udpPorts: (UInt16, UInt16)?
    var tcpPorts: (UInt16, UInt16)?
    var icmpType: UInt8?
    var malformed: Bool

    /// The first IP-level protocol tshark found: `ip`, `ipv6`, `arp` or nil.
    var network: String? { protocols.first { ["ip", "ipv6", "arp"].contains($0) } }
    /// The outer transport protocol: the first of `udp`, `tcp`, `icmp`, `icmpv6`.
    var transport: String? { protocols.first { ["udp", "tcp", "icmp", "icmpv6"].contains($0) } }
    var truncated: Bool { capturedLength < wireLength || malformed }
  }

  static func tsharkFrames(_ name: String) throws -> [TsharkFrame] {
    let fields = [
      "frame.protocols", "frame.len", "frame.cap_len", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport",
      "icmp.type", "icmpv6.type", "_ws.malformed",
    ]
    let output = try TsharkTests.tshark(
      ["-r", path(name), "-T", "fields", "-E", "occurrence=f"] + fields.flatMap { ["-e", $0] })
    #expect(output.status == 0, "tshark failed on \(name): \(output.error)")
    return output.lines.map { line in
      let column = line.components(separatedBy: "\t")
      func number<T: FixedWidthInteger>(_ index: Int) -> T? { index < column.count ? T(column[index]) : nil }
      func pair(_ index: Int) -> (UInt16, UInt16)? {
        guard let source: UInt16 = number(index), let destination: UInt16 = number(index + 1) else { return nil }
        return (source, destination)
      }
      return TsharkFrame(
        protocols: column[0].components(separatedBy: ":"),
        wireLength: number(1) ?? 0, capturedLength: number(2) ?? 0,
        udpPorts: pair(3), tcpPorts: pair(5),
        icmpType: number(7) ?? number(8),
        malformed: column.count > 9 && !column[9].isEmpty)
    }
  }

  static func network(_ packet: DecodedPacket) -> String? {
    switch packet.network {
    case .ipv4: "ip"
    case .ipv6: "ipv6"
    case .arp: "arp"
    case .other, nil: nil
    }
  }

  static func transport(_ packet: DecodedPacket) -> String? {
    switch packet.transport {
    case .udp: "udp"
    case .tcp: "tcp"
    case .icmpv4: "icmp"
    case .icmpv6: "icmpv6"
    case .other, nil: nil
    }
  }

  static func ports(_ udp: UDPHeader?) -> [UInt16]? { udp.map { [$0.sourcePort, $0.destinationPort] } }
  static func ports(_ tcp: TCPHeader?) -> [UInt16]? { tcp.map { [$0.sourcePort, $0.destinationPort] } }
  static func ports(_ pair: (UInt16, UInt16)?) -> [UInt16]? { pair.map { [$0.0, $0.1] } }

  @Test("the fixture set covers both formats, every Linux link type, IPv4 and IPv6")
  func coverage() throws {
    #expect(Self.names.count == 10, "\(Self.names)")
    var formats: Set<TraceFormat> = []
    var linkTypes: Set<LinkType> = []
    var networks: Set<String> = []
    for name in Self.names {
      let (section, interfaceLinkTypes, packets) = try Self.read(name)
      if let section { formats.insert(section.format) }
      linkTypes.formUnion(interfaceLinkTypes)
      networks.formUnion(packets.compactMap { Self.network(PacketDecoder.decode($0)) })
    }
    #expect(formats == [.pcap, .pcapng])
    #expect(linkTypes == [.ethernet, .linuxSLL, .linuxSLL2, .raw])
    #expect(networks == ["ip", "ipv6", "arp"])
  }

  @Test("every fixture reads to the end and decodes without truncation", arguments: names)
  func readsCompletely(name: String) throws {
    let (section, linkTypes, packets) = try Self.read(name)
    #expect(section?.format == (name.hasSuffix(".pcapng") ? .pcapng : .pcap))
    #expect(linkTypes.count == 1)
    #expect(!packets.isEmpty)
    let decoded = packets.map(PacketDecoder.decode)
    #expect(decoded.allSatisfy { !$0.truncated }, "\(decoded.filter(\.truncated).map(\.notes))")
    // Each capture holds the exchange its README line names: at least one UDP or TCP packet.
    #expect(decoded.contains { $0.udp != nil || $0.tcp != nil })
  }

  @Test(
    "every packet decodes as tshark decodes it",
    .enabled(
      if: TsharkTests.tsharkPath != nil,
      "tshark not installed (apt-get install -y tshark); set CI=true to make this a failure"),
    arguments: names)
  func matchesTshark(name: String) throws {
    let (_, _, packets) = try Self.read(name)
    let frames = try Self.tsharkFrames(name)
    #expect(packets.count == frames.count, "netdrill read \(packets.count) packets, tshark \(frames.count)")
    for (index, (packet, frame)) in zip(packets, frames).enumerated() {
      let decoded = PacketDecoder.decode(packet)
      let context = "\(name) packet \(index + 1) (\(frame.protocols.joined(separator: ":")))"
      #expect(packet.data.count == frame.capturedLength, "\(context)")
      #expect(Int(packet.originalLength) == frame.wireLength, "\(context)")
      #expect(Self.network(decoded) == frame.network, "\(context)")
      #expect(Self.transport(decoded) == frame.transport, "\(context)")
      #expect(!decoded.truncated || frame.truncated, "\(context): \(decoded.notes)")
      switch decoded.transport {
      case .udp(let udp):
        #expect(Self.ports(udp) == Self.ports(frame.udpPorts), "\(context)")
      case .tcp(let tcp):
        #expect(Self.ports(tcp) == Self.ports(frame.tcpPorts), "\(context)")
      case .icmpv4(let message), .icmpv6(let message):
        #expect(message.type == frame.icmpType, "\(context)")
        // tshark's first udp.* / tcp.* fields are those of the datagram the error quotes.
        #expect(Self.ports(message.quoted?.udp) == Self.ports(frame.udpPorts), "\(context)")
        #expect(Self.ports(message.quoted?.tcp) == Self.ports(frame.tcpPorts), "\(context)")
      default:
        #expect(frame.udpPorts == nil && frame.tcpPorts == nil, "\(context)")
      }
    }
  }

  /// What the README promises for the TFTP capture, and what import must cope
  /// with: the server's answer comes from a port other than 69, and the
  /// client's acknowledgement goes to that new port.
  @Test("TFTP fixture: the server answers from a new port")
  func tftpAnswersFromNewPort() throws {
    let (_, _, packets) = try Self.read("tftp-ipv4-sll2.pcapng")
    let udp = packets.compactMap { PacketDecoder.decode($0).udp }
    try #require(udp.count == 3)
    let (request, data, ack) = (udp[0], udp[1], udp[2])
    #expect(request.destinationPort == 69)
    #expect(data.destinationPort == request.sourcePort)
    #expect(data.sourcePort != 69)
    #expect(ack.destinationPort == data.sourcePort)
    #expect(Array(request.payload.prefix(2)) == [0, 1])  // RRQ
    // DATA block 1, the file in netascii (tftp-hpa's default mode): line end CR LF.
    #expect(Array(data.payload.prefix(4)) == [0, 3, 0, 1])
    #expect(Array(data.payload.dropFirst(4)) == Array("hello over tftp\r\n".utf8))
  }

  /// Both unreachable fixtures: the ICMP error quotes the datagram that provoked it.
  @Test(
    "ICMP port unreachable quotes the UDP datagram it answers",
    arguments: ["unreachable-ipv4-rawip.pcap", "unreachable-ipv6-lo.pcapng"])
  func unreachableQuotesDatagram(name: String) throws {
    let (_, _, packets) = try Self.read(name)
    let decoded = packets.map(PacketDecoder.decode)
    #expect(decoded.count == 2)
    guard decoded.count == 2, let datagram = decoded[0].udp, let error = decoded[1].icmp else {
      Issue.record("expected a UDP datagram then an ICMP error in \(name)")
      return
    }
    #expect(error.name == "port-unreachable")
    #expect(error.quoted?.udp?.sourcePort == datagram.sourcePort)
    #expect(error.quoted?.udp?.destinationPort == 5300)
    #expect(decoded[1].destination == decoded[0].source)
  }
}
