import NetDrillCapture
import NetDrillEngine
import NetDrillTrace

/// What a capture's conversations did, in captured order, as a replay needs
/// it: datagrams, TCP byte streams (reassembled: segmentation is the
/// kernel's), handshakes, FINs, resets and ICMP port unreachables — and what
/// could not be replayed, counted by reason.
///
/// Payloads are kept (they are what the scenario will send), so memory grows
/// with the payload bytes of the replayable conversations, like the scenario
/// written from them.
public struct CaptureConversations: Sendable {
  public enum Event: Sendable, Equatable {
    /// A UDP datagram; `refused` when an ICMP port unreachable quoted it.
    case datagram(flow: Int, from: Endpoint, to: Endpoint, payload: [UInt8], refused: Bool)
    /// A TCP connection attempt (the client's SYN); `refused` when the answer was a RST.
    case connect(flow: Int, client: Endpoint, server: Endpoint, refused: Bool)
    /// Bytes of a TCP stream, in order, sent by one side.
    case stream(flow: Int, from: Endpoint, to: Endpoint, bytes: [UInt8])
    /// A FIN (the sender will send no more).
    case finish(flow: Int, from: Endpoint, to: Endpoint)
    /// A RST after the handshake.
    case reset(flow: Int, from: Endpoint, to: Endpoint)

    public var flow: Int {
      switch self {
      case .datagram(let flow, _, _, _, _), .connect(let flow, _, _, _), .stream(let flow, _, _, _),
        .finish(let flow, _, _), .reset(let flow, _, _):
        flow
      }
    }
  }

  public struct TimedEvent: Sendable, Equatable {
    public var event: Event
    public var timestampNanoseconds: UInt64
  }

  public var path: String
  /// Replayable events in captured order (events of flows found unreplayable removed).
  public var events: [TimedEvent] = []
  /// The conversations by id (``FlowTable`` numbering, names as `show` gives them).
  public var flows: [Flow] = []
  /// Packets not replayed, by reason (`ARP`, `truncated UDP`, `TCP flow with missing segments`…).
  public var unsupported: [String: Int] = [:]
  public var packetsRead = 0
  /// Packets already seen on another interface (a multi-host trace), read once.
  public var copiesOnOtherInterfaces = 0
  /// Payload bytes held so far: what the scenario will carry, at least one character each.
  private var payloadBytes = 0

  /// Counts `count` more payload bytes, refusing the capture once they can no longer fit a scenario.
  private mutating func keepPayload(_ count: Int) throws(ImportTooLarge) {
    payloadBytes += count
    if payloadBytes > ImportTooLarge.limit {
      throw ImportTooLarge(capture: path, what: "the UDP and TCP payload read so far", bytes: payloadBytes)
    }
  }

  public var unsupportedCount: Int { unsupported.values.reduce(0, +) }

  /// Every host address of the replayed conversations, in order of appearance.
  public var addresses: [IPAddress] {
    var seen = Set<IPAddress>()
    var order: [IPAddress] = []
    for id in Set(events.map(\.event.flow)).sorted() {
      for address in [flows[id - 1].client.address, flows[id - 1].server.address] where seen.insert(address).inserted {
        order.append(address)
      }
    }
    return order
  }

  /// One TCP direction being reassembled.
  private struct StreamState {
    var nextSequence: UInt32?
    var finished = false
  }

  private struct TCPState {
    var client = StreamState()
    var server = StreamState()
    var handshake = false
    var broken: String?
    var refused = false
    var connectIndex: Int?
    var packets = 0
  }

  /// Reads the capture once.
  /// - Parameter keep: which packets count (a multi-host netdrill trace shows
  ///   a packet on every interface it crossed: the replay keeps it once).
  public static func read(
    path: String, filter: PacketFilter? = nil, keep: ((StreamedPacket) -> Bool)? = nil
  ) throws -> CaptureConversations {
    var result = CaptureConversations(path: path)
    let stream = try PacketStream(path: path, filter: filter)
    var table = FlowTable()
    var tcp: [Int: TCPState] = [:]
    var broken: [Int: (reason: String, packets: Int)] = [:]
    var lastDatagram: [Int: Int] = [:]  // flow → index in events of its last datagram
    // A multi-host trace (netdrill's own) holds a packet once per interface it
    // crossed; a file without interface names has one interface, so nothing is dropped.
    var sightings = FirstSightings()
    while let packet = try stream.next() {
      if let keep, !keep(packet) { continue }
      let timestamp = packet.record.timestampNanoseconds
      let decoded = packet.decoded
      guard sightings.isFirst(decoded, interface: packet.interface, timestampNanoseconds: timestamp) else {
        result.copiesOnOtherInterfaces += 1
        continue
      }
      let placement = table.place(decoded, wireLength: Int(packet.record.originalLength))
      switch placement {
      case .other(let kind):
        result.unsupported[kind, default: 0] += 1
      case .icmpError(let id):
        let message = decoded.icmp
        let portUnreachable =
          message.map { ($0.isIPv6 && $0.type == 1 && $0.code == 4) || (!$0.isIPv6 && $0.type == 3 && $0.code == 3) }
          ?? false
        if portUnreachable, let index = lastDatagram[id],
          case .datagram(let flow, let from, let to, let payload, _) = result.events[index].event
        {
          result.events[index].event = .datagram(flow: flow, from: from, to: to, payload: payload, refused: true)
        } else {
          result.unsupported["ICMP \(message?.name ?? "error") quoting flow \(id)", default: 0] += 1
        }
      case .flow(let id, let fromClient):
        let flow = table.flows[id - 1]
        let from = fromClient ? flow.client : flow.server
        let to = fromClient ? flow.server : flow.client
        switch decoded.transport {
        case .udp(let udp):
          if decoded.truncated || udp.payload.count < udp.payloadLength {
            result.unsupported["truncated UDP", default: 0] += 1
            continue
          }
          try result.keepPayload(udp.payload.count)
          lastDatagram[id] = result.events.count
          result.events.append(
            TimedEvent(
              event: .datagram(flow: id, from: from, to: to, payload: udp.payload, refused: false),
              timestampNanoseconds: timestamp))
        case .tcp(let header):
          var state = tcp[id] ?? TCPState()
          state.packets += 1
          if state.broken == nil {
            let events = Self.tcp(
              header, decoded: decoded, flow: id, from: from, to: to, fromClient: fromClient, state: &state)
            for event in events {
              if case .stream(_, _, _, let bytes) = event { try result.keepPayload(bytes.count) }
              if case .connect = event { state.connectIndex = result.events.count }
              result.events.append(TimedEvent(event: event, timestampNanoseconds: timestamp))
            }
            if state.refused, let index = state.connectIndex,
              case .connect(let flow, let client, let server, false) = result.events[index].event
            {
              result.events[index].event = .connect(flow: flow, client: client, server: server, refused: true)
            }
          }
          if let reason = state.broken { broken[id] = (reason, state.packets) }
          tcp[id] = state
        default:
          result.unsupported["\(flow.flowProtocol.rawValue) echo", default: 0] += 1
        }
      }
    }
    result.packetsRead = stream.packetsPassed
    result.flows = table.flows
    if !broken.isEmpty {
      result.events.removeAll { broken[$0.event.flow] != nil }
      for (_, flow) in broken { result.unsupported[flow.reason, default: 0] += flow.packets }
    }
    return result
  }

  /// One TCP segment: the events it adds, or the flow marked broken.
  private static func tcp(
    _ header: TCPHeader, decoded: DecodedPacket, flow: Int, from: Endpoint, to: Endpoint, fromClient: Bool,
    state: inout TCPState
  ) -> [Event] {
    var events: [Event] = []
    let flags = header.flags
    if flags.contains(.syn) && !flags.contains(.ack) {
      if !state.handshake {
        state.handshake = true
        events.append(.connect(flow: flow, client: from, server: to, refused: false))
      }
      if fromClient { state.client.nextSequence = header.sequenceNumber &+ 1 }
      return events
    }
    guard state.handshake else {
      state.broken = "TCP flow without its handshake (capture started mid-connection)"
      return []
    }
    if flags.contains(.syn) {  // SYN+ACK
      state.server.nextSequence = header.sequenceNumber &+ 1
      return []
    }
    if flags.contains(.rst) && state.server.nextSequence == nil && !fromClient {
      // The connect was refused (a RST answers the SYN).
      state.refused = true
      return []
    }
    if decoded.truncated {
      state.broken = "TCP flow with truncated segments"
      return []
    }
    var direction = fromClient ? state.client : state.server
    defer {
      if fromClient { state.client = direction } else { state.server = direction }
    }
    guard let expected = direction.nextSequence else {
      state.broken = "TCP flow with missing segments"
      return []
    }
    var payload = header.payload
    let offset = Int32(bitPattern: header.sequenceNumber &- expected)
    if offset > 0 {
      state.broken = "TCP flow with missing segments"
      return []
    }
    if offset < 0 {
      // A retransmission: keep only what is new.
      let old = Int(-offset)
      payload = old >= payload.count ? [] : Array(payload[old...])
    }
    if !payload.isEmpty {
      events.append(.stream(flow: flow, from: from, to: to, bytes: payload))
      direction.nextSequence = expected &+ UInt32(payload.count)
    }
    if flags.contains(.fin) && !direction.finished && offset + Int32(header.payload.count) >= 0 {
      direction.finished = true
      direction.nextSequence = direction.nextSequence.map { $0 &+ 1 }
      events.append(.finish(flow: flow, from: from, to: to))
    }
    if flags.contains(.rst) {
      events.append(.reset(flow: flow, from: from, to: to))
      state.broken = nil
    }
    return events
  }
}
