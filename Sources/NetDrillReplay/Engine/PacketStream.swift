import NetDrillCapture
import NetDrillTrace

/// One packet on its way down the pipeline: as read, as decoded, and the
/// name of the interface it was captured on.
public struct StreamedPacket {
  public var record: TracePacket
  public var decoded: DecodedPacket
  public var interface: String
  /// Whether the interface has a name in the file (pcapng `if_name`).
  public var interfaceNamed: Bool
}

/// The first stages of the trace pipeline: reader → (BPF filter) → decoder.
///
/// Pulls one record at a time from a ``TraceReader`` and hands out decoded
/// packets; nothing is kept per packet, so memory does not grow with the
/// trace. What is not a packet (sections, interfaces, statistics, a
/// manifest) is remembered in small counters and fields.
public final class PacketStream {
  public var path: String { reader.path }
  private let reader: TraceReader
  private let filter: PacketFilter?
  private var interfaces: [UInt32: (name: String, named: Bool)] = [:]
  /// Packets read, before the filter.
  public private(set) var packetsRead = 0
  /// Packets the filter let through (all of them without a filter).
  public private(set) var packetsPassed = 0
  /// A manifest block met in the stream, with its offset.
  public private(set) var manifest: (json: [UInt8], byteOffset: UInt64)?
  /// Capture drops the file reports (pcapng `isb_ifdrop`), summed over interfaces.
  public private(set) var droppedPackets: UInt64 = 0
  public private(set) var format: TraceFormat?

  public init(path: String, filter: PacketFilter? = nil) throws {
    reader = try TraceReader(path: path)
    self.filter = filter
  }

  /// The next packet that passes the filter, decoded; `nil` at the end.
  public func next() throws -> StreamedPacket? {
    guard let packet = try nextRecord() else { return nil }
    let interface = interfaces[packet.interfaceID] ?? ("if\(packet.interfaceID)", false)
    return StreamedPacket(
      record: packet, decoded: PacketDecoder.decode(packet), interface: interface.name,
      interfaceNamed: interface.named)
  }

  /// The next packet that passes the filter, as read (not decoded); `nil` at the end.
  public func nextRecord() throws -> TracePacket? {
    while let record = try reader.next() {
      switch record {
      case .section(let section):
        format = section.format
        interfaces = [:]
      case .interface(let info):
        interfaces[info.id] = (info.name ?? "if\(info.id)", info.name != nil)
      case .statistics(let statistics):
        droppedPackets += statistics.dropped ?? 0
      case .manifest(let json, let byteOffset):
        manifest = (json, byteOffset)
      case .packet(let packet):
        packetsRead += 1
        if let filter {
          let passes: Bool
          do {
            passes = try filter.matches(
              packet.data, originalLength: packet.originalLength, linkType: packet.linkType.rawValue)
          } catch {
            throw TraceError(path: path, byteOffset: packet.byteOffset, message: "\(error)")
          }
          if !passes { continue }
        }
        packetsPassed += 1
        return packet
      }
    }
    return nil
  }
}
