/// One item read from a trace, in file order.
public enum TraceRecord: Sendable, Hashable {
  /// A new section began; interface ids restart at 0 after it.
  case section(TraceSection)
  /// An interface was described; later packets refer to it by id.
  case interface(TraceInterfaceInfo)
  /// A captured packet.
  case packet(TracePacket)
  /// Capture statistics for an interface.
  case statistics(TraceInterfaceStatistics)
  /// netdrill's manifest JSON (from its pcapng custom block), and the byte
  /// offset of that block, so a manifest that does not decode can be pointed at.
  case manifest([UInt8], byteOffset: UInt64)
}

/// The container format of a trace file.
public enum TraceFormat: String, Sendable, Hashable, Codable {
  /// Classic libpcap format (one link type, no comments).
  case pcap
  /// pcapng.
  case pcapng
}

/// A pcapng section header, or the file header of a classic pcap file.
public struct TraceSection: Sendable, Hashable {
  /// Which format the file is in.
  public var format: TraceFormat
  /// `true` when the section (or pcap file) is big-endian.
  public var bigEndian: Bool
  /// Format version, e.g. 1.0 for pcapng, 2.4 for pcap.
  public var versionMajor: UInt16
  public var versionMinor: UInt16
  /// `shb_userappl`: the writing program.
  public var application: String?
  /// `shb_os`.
  public var os: String?
  /// `shb_hardware`.
  public var hardware: String?
  /// The section's `opt_comment`.
  public var comment: String?
  /// Byte offset of the header in the file.
  public var byteOffset: UInt64
}

/// How the timestamps of an interface are counted.
public enum TimestampResolution: Sendable, Hashable {
  /// Units of 10^-n seconds (6 = microseconds, 9 = nanoseconds).
  case powerOfTen(UInt8)
  /// Units of 2^-n seconds.
  case powerOfTwo(UInt8)

  public static let microseconds = TimestampResolution.powerOfTen(6)
  public static let nanoseconds = TimestampResolution.powerOfTen(9)
}

/// An interface description (pcapng IDB; for classic pcap, one synthetic
/// interface with id 0 and no name).
public struct TraceInterfaceInfo: Sendable, Hashable {
  /// The id packets use, counted from 0 within the section.
  public var id: UInt32
  /// `if_name`, e.g. `host/lo`.
  public var name: String?
  /// `if_description`.
  public var description: String?
  public var linkType: LinkType
  /// 0 means no limit.
  public var snapLength: UInt32
  public var timestampResolution: TimestampResolution
}

/// A captured packet with its timestamp normalised to nanoseconds.
public struct TracePacket: Sendable, Hashable {
  public var interfaceID: UInt32
  /// Nanoseconds since the Unix epoch.
  public var timestampNanoseconds: UInt64
  /// Length on the wire; `data` may be shorter (snap length).
  public var originalLength: UInt32
  /// The captured bytes, starting with the link-layer header.
  public var data: [UInt8]
  /// `opt_comment` (pcapng only).
  public var comment: String?
  /// The link type of the packet's interface.
  public var linkType: LinkType
  /// Byte offset of the packet's block or record in the file.
  public var byteOffset: UInt64
}

/// Capture statistics from a pcapng Interface Statistics Block.
public struct TraceInterfaceStatistics: Sendable, Hashable {
  public var interfaceID: UInt32
  public var timestampNanoseconds: UInt64
  /// `isb_ifrecv`.
  public var received: UInt64?
  /// `isb_ifdrop`.
  public var dropped: UInt64?
  public var comment: String?
}
