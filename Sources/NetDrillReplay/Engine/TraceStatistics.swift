import NetDrillCapture
import NetDrillEngine
import NetDrillTrace

/// A pipeline consumer: totals over a trace, in constant memory per flow
/// table (`show --stats`).
public struct TraceStatistics: Sendable, Encodable {
  public var packets = 0
  /// Bytes on the wire (original lengths).
  public var bytes: UInt64 = 0
  /// Bytes kept in the file.
  public var capturedBytes: UInt64 = 0
  /// Conversations (UDP, TCP, ICMP echo).
  public var flows = 0
  public var flowsByProtocol: [String: Int] = [:]
  public var icmpErrors = 0
  /// Packets cut short by the snap length or damaged.
  public var truncated = 0
  public var linkTypes: [String: Int] = [:]
  /// Packets outside any conversation, by kind (ARP, IGMP, fragments…).
  public var other: [String: Int] = [:]
  /// Packets the file says the capture dropped (pcapng statistics).
  public var droppedByCapture: UInt64 = 0
  /// Packets read before a `--filter` (equal to `packets` without one).
  public var packetsRead = 0
  /// Packets a netdrill trace summarised in bulk runs instead of storing
  /// (its manifest's `bulk`), and their bytes on the wire; not in `packets`.
  public var summarised = 0
  public var summarisedBytes: UInt64 = 0

  enum CodingKeys: String, CodingKey {
    case packets, bytes, capturedBytes = "captured_bytes", flows, flowsByProtocol = "flows_by_protocol"
    case icmpErrors = "icmp_errors", truncated, linkTypes = "link_types", other
    case droppedByCapture = "dropped_by_capture", packetsRead = "packets_read"
    case summarised, summarisedBytes = "summarised_bytes"
  }

  /// Packets per link type number, named into ``linkTypes`` at the end
  /// (a name per packet would cost a string per packet).
  private var linkTypeNumbers: [UInt16: Int] = [:]

  public init() {}

  /// Counts one packet, placed by the flow table.
  public mutating func count(_ packet: StreamedPacket, placement: PacketPlacement) {
    count(packet.record, truncated: packet.decoded.truncated, placement: placement)
  }

  /// Counts one packet as read, with whether it was cut short, placed by the flow table.
  public mutating func count(_ record: TracePacket, truncated isTruncated: Bool, placement: PacketPlacement) {
    packets += 1
    bytes += UInt64(record.originalLength)
    capturedBytes += UInt64(record.data.count)
    if isTruncated { truncated += 1 }
    linkTypeNumbers[record.linkType.rawValue, default: 0] += 1
    switch placement {
    case .flow: break
    case .icmpError: icmpErrors += 1
    case .other(let kind): other[kind, default: 0] += 1
    }
  }

  /// Takes the per-protocol flow counts from the table at the end.
  public mutating func finish(flows table: FlowTable, stream: PacketStream) {
    flows = table.flows.count
    flowsByProtocol = [:]
    for flow in table.flows { flowsByProtocol[flow.flowProtocol.rawValue, default: 0] += 1 }
    linkTypes = [:]
    for (number, count) in linkTypeNumbers { linkTypes[LinkType(rawValue: number).name, default: 0] += count }
    droppedByCapture = stream.droppedPackets
    packetsRead = stream.packetsRead
    // Totals only: a manifest that does not decode leaves them at 0 (show and diff report it).
    if let json = stream.manifest?.json, let bulk = (try? TraceManifest.decode(json))?.bulk {
      summarised = bulk.reduce(0) { $0 + $1.count }
      summarisedBytes = bulk.reduce(0) { $0 + UInt64(clamping: $1.bytes) }
    }
  }

  /// Reads a whole trace through the pipeline and returns its totals.
  public static func read(path: String, filter: PacketFilterOption = nil) throws -> TraceStatistics {
    let stream = try PacketStream(path: path, filter: filter)
    var table = FlowTable()
    var statistics = TraceStatistics()
    while let record = try stream.nextRecord() {
      let wireLength = Int(record.originalLength)
      // The common shapes through the allocation-free fast path; the rest decoded in full.
      let headers = record.data.withUnsafeBytes {
        PacketHeaders.decode($0, linkType: record.linkType, originalLength: record.originalLength)
      }
      if let headers {
        statistics.count(record, truncated: headers.truncated, placement: table.place(headers, wireLength: wireLength))
      } else {
        let decoded = PacketDecoder.decode(record)
        statistics.count(record, truncated: decoded.truncated, placement: table.place(decoded, wireLength: wireLength))
      }
    }
    statistics.finish(flows: table, stream: stream)
    return statistics
  }

  /// The text `show --stats` prints.
  public func text(path: String) -> String {
    func list(_ counts: [String: Int]) -> String {
      counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
    var lines = ["trace \(path)"]
    lines.append("  packets      \(packets)" + (packetsRead != packets ? " (of \(packetsRead) read; --filter)" : ""))
    lines.append("  bytes        \(bytes) on the wire, \(capturedBytes) captured")
    lines.append("  flows        \(flows)" + (flows > 0 ? " (\(list(flowsByProtocol)))" : ""))
    lines.append("  icmp errors  \(icmpErrors)")
    lines.append("  truncated    \(truncated)")
    lines.append("  link types   \(list(linkTypes))")
    if !other.isEmpty { lines.append("  other        \(list(other))") }
    if summarised > 0 {
      lines.append(
        "  summarised   \(summarised) more packets, \(summarisedBytes) bytes on the wire, in bulk runs (not stored)")
    }
    if droppedByCapture > 0 { lines.append("  ⚠ the capture dropped \(droppedByCapture) packets") }
    return lines.joined(separator: "\n")
  }
}

/// An optional compiled `--filter`.
public typealias PacketFilterOption = PacketFilter?
