import NetDrillCapture
import NetDrillEngine
import NetDrillTrace

/// A pipeline consumer: a capture without a netdrill manifest as a
/// timeline, one line per packet, each tagged with its conversation and
/// written with named endpoints:
///
/// ```
/// +0.000000  #1  UDP client:41234 → server:53 len=33
/// +0.000210  #1  UDP server:53 → client:41234 len=49
/// +0.001002  #2  ICMP port-unreachable (3/3) server → client quoting UDP client:41235 → server:9
/// ```
///
/// and a summary of the conversations at the end.
public struct ConversationTimeline {
  private var firstTimestamp: UInt64?

  public init() {}

  /// The line for one packet placed by `table`.
  public mutating func line(_ packet: StreamedPacket, placement: PacketPlacement, table: FlowTable) -> String {
    let time = packet.record.timestampNanoseconds
    if firstTimestamp == nil { firstTimestamp = time }
    var line = Self.offset(Int64(bitPattern: time &- (firstTimestamp ?? time)))
    if packet.interfaceNamed { line += "  " + TerminalText.escape(packet.interface) }
    switch placement {
    case .flow(let id, let fromClient):
      let flow = table.flows[id - 1]
      line += "  #\(id)  " + Self.describe(packet.decoded, flow: flow, fromClient: fromClient)
    case .icmpError(let id):
      line += "  #\(id)  " + Self.describeError(packet.decoded, table: table, flow: table.flows[id - 1])
    case .other:
      line += "  -  " + packet.decoded.summary
      return line
    }
    if packet.decoded.truncated { line += " (truncated)" }
    return line
  }

  static func describe(_ packet: DecodedPacket, flow: Flow, fromClient: Bool) -> String {
    let from = fromClient ? flow.clientName : flow.serverName
    let to = fromClient ? flow.serverName : flow.clientName
    switch packet.transport {
    case .udp(let udp):
      return "UDP \(from) → \(to) len=\(udp.payloadLength)"
    case .tcp(let tcp):
      let own = fromClient ? flow.clientSequence : flow.serverSequence
      let peer = fromClient ? flow.serverSequence : flow.clientSequence
      var text = "TCP \(from) → \(to) [\(tcp.flags.names.joined(separator: ","))]"
      text += " seq=" + relative(tcp.sequenceNumber, own)
      if tcp.flags.contains(.ack) { text += " ack=" + relative(tcp.acknowledgmentNumber, peer) }
      text += " win=\(tcp.window) len=\(tcp.payload.count)"
      return text
    case .icmpv4(let message), .icmpv6(let message):
      var text =
        "\(message.isIPv6 ? "ICMPv6" : "ICMP") \(message.name) (\(message.type)/\(message.code)) \(from) → \(to)"
      if let sequence = message.sequence { text += " seq=\(sequence)" }
      if !message.payload.isEmpty { text += " len=\(message.payload.count)" }
      return text
    default:
      return packet.summary
    }
  }

  static func describeError(_ packet: DecodedPacket, table: FlowTable, flow: Flow) -> String {
    guard let message = packet.icmp else { return packet.summary }
    let from = packet.source.map { table.names.host($0) ?? $0.description } ?? "?"
    let to = packet.destination.map { table.names.host($0) ?? $0.description } ?? "?"
    var text = "\(message.isIPv6 ? "ICMPv6" : "ICMP") \(message.name) (\(message.type)/\(message.code)) \(from) → \(to)"
    if let mtu = message.mtu { text += " mtu=\(mtu)" }
    if let quoted = message.quoted {
      // The quoted packet went client → server or back; say which.
      let forward: Bool
      switch quoted.transport {
      case .udp(let udp): forward = udp.sourcePort == flow.client.port && quoted.source == flow.client.address
      case .tcp(let tcp): forward = tcp.sourcePort == flow.client.port && quoted.source == flow.client.address
      default: forward = true
      }
      text += " quoting " + describe(quoted, flow: flow, fromClient: forward)
    }
    return text
  }

  private static func relative(_ value: UInt32, _ base: UInt32?) -> String {
    base.map { String(value &- $0) } ?? "?"
  }

  /// `+1.000250`: seconds from the first packet, microsecond digits.
  static func offset(_ nanoseconds: Int64) -> String {
    let micro = (nanoseconds + (nanoseconds >= 0 ? 500 : -500)) / 1000
    let value = micro.magnitude
    let fraction = String(value % 1_000_000)
    return (micro < 0 ? "-" : "+") + String(value / 1_000_000) + "."
      + String(repeating: "0", count: 6 - fraction.count) + fraction
  }

  /// The lines after the packets: one per conversation, then the totals.
  public static func summary(table: FlowTable, statistics: TraceStatistics) -> [String] {
    var lines = ["conversations:"]
    for flow in table.flows {
      let errors = flow.icmpErrors > 0 ? ", \(flow.icmpErrors) ICMP error\(flow.icmpErrors == 1 ? "" : "s")" : ""
      lines.append(
        "  #\(flow.id)  \(flow.flowProtocol.rawValue) \(flow.clientName) ⇄ \(flow.serverName)  "
          + "\(flow.packets) packet\(flow.packets == 1 ? "" : "s"), \(flow.bytes) bytes\(errors)")
    }
    let others = table.others.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
    if !others.isEmpty { lines.append("other packets: " + others.joined(separator: ", ")) }
    lines.append(
      "\(statistics.packets) packets, \(statistics.flows) conversations, \(statistics.icmpErrors) ICMP errors"
        + (statistics.truncated > 0 ? ", \(statistics.truncated) truncated" : ""))
    return lines
  }

  /// Streams `path` as a timeline into `output`: header, one line per
  /// packet, conversation summary.
  /// `names` are a netdrill manifest's endpoint names (`address:port` → name), which win over made-up ones.
  public static func write(
    path: String, filter: PacketFilter?, names: [String: String] = [:], to output: OutputBuffer
  ) throws {
    let stream = try PacketStream(path: path, filter: filter)
    var table = FlowTable(names: EndpointNames(manifest: names))
    var statistics = TraceStatistics()
    var timeline = ConversationTimeline()
    output.line(
      "trace \(TerminalText.escape(path))"
        + (names.isEmpty ? "  (no netdrill manifest: conversations by flow)" : "  (conversations by flow)")
        + (filter.map { "  filter \(TerminalText.escape($0.expression))" } ?? ""))
    while let packet = try stream.next() {
      let placement = table.place(packet.decoded, wireLength: Int(packet.record.originalLength))
      statistics.count(packet, placement: placement)
      output.line(timeline.line(packet, placement: placement, table: table))
    }
    statistics.finish(flows: table, stream: stream)
    for line in summary(table: table, statistics: statistics) { output.line(line) }
  }
}
