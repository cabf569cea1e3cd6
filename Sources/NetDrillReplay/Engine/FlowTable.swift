import NetDrillTrace

/// One end of a conversation: an IP address and a port (0 for ICMP).
public struct Endpoint: Hashable, Sendable, Comparable {
  public var address: IPAddress
  public var port: UInt16

  public init(address: IPAddress, port: UInt16) {
    self.address = address
    self.port = port
  }

  public static func < (a: Endpoint, b: Endpoint) -> Bool {
    if a.address.bytes != b.address.bytes { return a.address.bytes.lexicographicallyPrecedes(b.address.bytes) }
    return a.port < b.port
  }

  /// `127.0.0.1:9`, `[::1]:9`: the form netdrill's manifests name endpoints by.
  public var text: String { "\(address.withPortBrackets):\(port)" }
}

/// The transport of a conversation.
public enum FlowProtocol: String, Sendable, CaseIterable, Codable {
  case udp = "UDP", tcp = "TCP", icmp = "ICMP", icmpv6 = "ICMPv6"
}

/// One conversation: both directions of a UDP or TCP 5-tuple, or an ICMP
/// echo exchange (by identifier).
public struct Flow: Sendable {
  /// Counted from 1 in order of first appearance.
  public var id: Int
  public var flowProtocol: FlowProtocol
  /// The side that spoke first, unless the ports say otherwise (see ``FlowTable``).
  public var client: Endpoint
  public var server: Endpoint
  public var clientName: String
  public var serverName: String
  public var packets = 0
  public var bytes: UInt64 = 0
  /// ICMP errors quoting a packet of this flow.
  public var icmpErrors = 0
  /// First sequence number seen from the client and from the server (TCP).
  public var clientSequence: UInt32?
  public var serverSequence: UInt32?
}

/// Where the flow table put a packet.
public enum PacketPlacement: Sendable {
  /// A packet of flow `id`, sent by its client (or by its server).
  case flow(id: Int, fromClient: Bool)
  /// An ICMP error quoting a packet of flow `id`.
  case icmpError(id: Int)
  /// Anything else, counted under this name (`ARP`, `IPv4 proto=2`, `ethertype 0x88cc`).
  case other(String)
}

/// The flow table: each packet to its conversation in O(1) (one hash lookup
/// on the canonical 5-tuple), ICMP errors to the flow they quote, endpoints
/// named once per flow.
///
/// Memory grows with the number of flows and hosts, never with packets.
///
/// Who is the server, decided on a flow's first packet and never changed:
/// 1. TCP: the receiver of a SYN without ACK, or the sender of a SYN+ACK.
/// 2. The side on a well-known port (below 1024) or on a common service
///    port (``servicePorts``), when the other side is not.
/// 3. Otherwise the receiver of the first packet: who speaks first is the client.
public struct FlowTable {
  /// An endpoint as the index keys it: hashed without arrays.
  private struct Point: Hashable, Comparable {
    var address: PacketHeaders.Address
    var port: UInt16

    init(_ address: PacketHeaders.Address, _ port: UInt16) {
      self.address = address
      self.port = port
    }

    init(_ address: IPAddress, _ port: UInt16) {
      self.init(PacketHeaders.Address(address), port)
    }

    static func < (a: Point, b: Point) -> Bool { (a.address, a.port) < (b.address, b.port) }

    var endpoint: Endpoint { Endpoint(address: address.ipAddress, port: port) }
  }

  private struct Key: Hashable {
    var flowProtocol: FlowProtocol
    var low: Point
    var high: Point
  }

  private var index: [Key: Int] = [:]
  /// Each flow's client, as keyed (by flow id - 1).
  private var clients: [Point] = []
  public private(set) var flows: [Flow] = []
  public var names: EndpointNames
  /// Packets that are not part of a UDP, TCP or ICMP conversation, by kind.
  public private(set) var others: [String: Int] = [:]

  /// Service ports at or above 1024 that mark a server.
  public static let servicePorts: Set<UInt16> = [
    1194, 1433, 1812, 1900, 2049, 3306, 3478, 3389, 5060, 5353, 5355, 5432, 6379, 8000, 8080, 8443, 9000,
    11211, 27017,
  ]

  public init(names: EndpointNames = EndpointNames()) {
    self.names = names
  }

  /// Places a packet, creating its flow on first sight. `wireLength` is
  /// counted in the flow's bytes.
  public mutating func place(_ packet: DecodedPacket, wireLength: Int) -> PacketPlacement {
    guard let source = packet.source, let destination = packet.destination else {
      return other(packet)
    }
    switch packet.transport {
    case .udp(let udp):
      return conversation(
        .udp, Point(source, udp.sourcePort), Point(destination, udp.destinationPort), syn: nil,
        wireLength: wireLength)
    case .tcp(let tcp):
      return segment(
        Point(source, tcp.sourcePort), Point(destination, tcp.destinationPort), flags: tcp.flags,
        sequence: tcp.sequenceNumber, headerLength: tcp.headerLength, wireLength: wireLength)
    case .icmpv4(let message), .icmpv6(let message):
      let kind: FlowProtocol = message.isIPv6 ? .icmpv6 : .icmp
      if message.isError, let quoted = message.quoted, let quotedSource = quoted.source,
        let quotedDestination = quoted.destination
      {
        let ports: (UInt16, UInt16, FlowProtocol)?
        switch quoted.transport {
        case .udp(let udp): ports = (udp.sourcePort, udp.destinationPort, .udp)
        case .tcp(let tcp): ports = (tcp.sourcePort, tcp.destinationPort, .tcp)
        default: ports = nil
        }
        if let (from, to, quotedProtocol) = ports {
          return error(
            quotedProtocol, Point(quotedSource, from), Point(quotedDestination, to), wireLength: wireLength)
        }
        return other(packet)
      }
      if message.isError || packet.isHousekeeping { return other(packet) }
      // Echo and other queries: a conversation per address pair and identifier.
      let identifier = message.identifier ?? 0
      return conversation(
        kind, Point(source, identifier), Point(destination, identifier), syn: nil, wireLength: wireLength)
    default:
      return other(packet)
    }
  }

  /// Places a packet read by the fast path (``PacketHeaders``), exactly as
  /// ``place(_:wireLength:)`` places the same packet decoded in full.
  public mutating func place(_ headers: PacketHeaders, wireLength: Int) -> PacketPlacement {
    let source = headers.source
    let destination = headers.destination
    switch headers.transport {
    case .udp(let from, let to):
      return conversation(.udp, Point(source, from), Point(destination, to), syn: nil, wireLength: wireLength)
    case .tcp(let from, let to, let flags, let sequence, let headerLength):
      return segment(
        Point(source, from), Point(destination, to), flags: TCPFlags(rawValue: flags), sequence: sequence,
        headerLength: headerLength, wireLength: wireLength)
    case .icmpQuery(let isIPv6, let identifier):
      return conversation(
        isIPv6 ? .icmpv6 : .icmp, Point(source, identifier), Point(destination, identifier), syn: nil,
        wireLength: wireLength)
    case .icmpError(_, let quoted):
      return error(
        quoted.isTCP ? .tcp : .udp, Point(quoted.source, quoted.sourcePort),
        Point(quoted.destination, quoted.destinationPort), wireLength: wireLength)
    }
  }

  private mutating func segment(
    _ from: Point, _ to: Point, flags: TCPFlags, sequence: UInt32, headerLength: Int, wireLength: Int
  ) -> PacketPlacement {
    let syn: Bool? = flags.contains(.syn) ? !flags.contains(.ack) : nil
    let placement = conversation(.tcp, from, to, syn: syn, wireLength: wireLength)
    if case .flow(let id, let fromClient) = placement, headerLength >= 20 {
      if fromClient, flows[id - 1].clientSequence == nil { flows[id - 1].clientSequence = sequence }
      if !fromClient, flows[id - 1].serverSequence == nil { flows[id - 1].serverSequence = sequence }
    }
    return placement
  }

  /// An ICMP error quoting a packet that went `from` → `to`: if the flow is
  /// new, that is its first packet (0 bytes: the error's bytes are counted
  /// on the flow too, once, here).
  private mutating func error(_ flowProtocol: FlowProtocol, _ from: Point, _ to: Point, wireLength: Int)
    -> PacketPlacement
  {
    let placement = conversation(flowProtocol, from, to, syn: nil, wireLength: 0, countPacket: false)
    guard case .flow(let id, _) = placement else { return placement }
    flows[id - 1].icmpErrors += 1
    flows[id - 1].packets += 1
    flows[id - 1].bytes += UInt64(wireLength)
    return .icmpError(id: id)
  }

  private mutating func other(_ packet: DecodedPacket) -> PacketPlacement {
    let name = Self.kindName(packet)
    others[name, default: 0] += 1
    return .other(name)
  }

  /// `ARP`, `IPv4 proto=2`, `ICMPv6 neighbor-solicitation`, `ethertype 0x88cc`, `undecoded`.
  static func kindName(_ packet: DecodedPacket) -> String {
    switch packet.transport {
    case .other(let number): return "\(packet.network.map(Self.networkName) ?? "IP") proto=\(number)"
    case .icmpv4(let message), .icmpv6(let message):
      return "\(message.isIPv6 ? "ICMPv6" : "ICMP") \(message.name)"
    case .udp: return "UDP"
    case .tcp: return "TCP"
    case nil: break
    }
    switch packet.network {
    case .arp: return "ARP"
    case .other(let etherType): return "ethertype 0x" + String(etherType, radix: 16)
    case .ipv4(let header) where header.fragmentOffset > 0: return "IPv4 fragment"
    case .ipv6(let header) where (header.fragmentOffset ?? 0) > 0: return "IPv6 fragment"
    case .some(let network): return "\(networkName(network)) (undecoded transport)"
    case nil:
      if case .linuxCooked? = packet.link { return "undecoded" }
      return packet.link == nil ? "undecoded" : "undecoded link"
    }
  }

  private static func networkName(_ network: NetworkHeader) -> String {
    switch network {
    case .ipv4: "IPv4"
    case .ipv6: "IPv6"
    case .arp: "ARP"
    case .other: "other"
    }
  }

  private mutating func conversation(
    _ flowProtocol: FlowProtocol, _ from: Point, _ to: Point, syn: Bool?, wireLength: Int,
    countPacket: Bool = true
  ) -> PacketPlacement {
    let key =
      from < to
      ? Key(flowProtocol: flowProtocol, low: from, high: to) : Key(flowProtocol: flowProtocol, low: to, high: from)
    if let id = index[key] {
      if countPacket {
        flows[id - 1].packets += 1
        flows[id - 1].bytes += UInt64(wireLength)
      }
      return .flow(id: id, fromClient: clients[id - 1] == from)
    }
    let fromIsServer: Bool
    if let syn {
      fromIsServer = !syn
    } else {
      let fromService = Self.isServicePort(from.port, flowProtocol)
      let toService = Self.isServicePort(to.port, flowProtocol)
      fromIsServer = fromService && !toService
    }
    let clientPoint = fromIsServer ? to : from
    let client = clientPoint.endpoint
    let server = (fromIsServer ? from : to).endpoint
    let id = flows.count + 1
    clients.append(clientPoint)
    let names = self.names.name(client: client, server: server)
    flows.append(
      Flow(
        id: id, flowProtocol: flowProtocol, client: client, server: server, clientName: names.client,
        serverName: names.server, packets: countPacket ? 1 : 0, bytes: countPacket ? UInt64(wireLength) : 0))
    index[key] = id
    return .flow(id: id, fromClient: !fromIsServer)
  }

  private static func isServicePort(_ port: UInt16, _ flowProtocol: FlowProtocol) -> Bool {
    switch flowProtocol {
    case .udp, .tcp: return port < 1024 || servicePorts.contains(port)
    case .icmp, .icmpv6: return false
    }
  }
}

/// Names for endpoints: the manifest's for netdrill's own traces, else
/// made up for a foreign capture, per host address in order of appearance.
///
/// The first conversation's client address is `client` and its server
/// address `server` (`local` when both are one address, as on loopback);
/// each later address is `host-N`, N counting the addresses named before it
/// plus one (so the third address is `host-3`). An endpoint is
/// `name:port` (`client:41234`, `server:53`, `host-3:5353`); for ICMP echo
/// the number after the colon is the echo identifier.
public struct EndpointNames {
  private var manifest: [Endpoint: String] = [:]
  private var hosts: [IPAddress: String] = [:]

  /// `manifest` maps `address:port` text (as in a netdrill manifest) to names.
  public init(manifest: [String: String] = [:]) {
    for (text, name) in manifest {
      guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { continue }
      var host = String(text[..<colon])
      if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
      if let address = IPAddress(host) { self.manifest[Endpoint(address: address, port: port)] = name }
    }
  }

  /// The name of a host address, given on first sight.
  public func host(_ address: IPAddress) -> String? { hosts[address] }

  mutating func name(client: Endpoint, server: Endpoint) -> (client: String, server: String) {
    if hosts.isEmpty {
      if client.address == server.address {
        hosts[client.address] = "local"
      } else {
        hosts[client.address] = "client"
        hosts[server.address] = "server"
      }
    }
    for address in [client.address, server.address] where hosts[address] == nil {
      hosts[address] = "host-\(hosts.count + 1)"
    }
    return (endpoint(client), endpoint(server))
  }

  private func endpoint(_ endpoint: Endpoint) -> String {
    if let name = manifest[endpoint] { return name }
    return "\(hosts[endpoint.address] ?? endpoint.address.description):\(endpoint.port)"
  }
}
