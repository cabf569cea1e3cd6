/// What one handle saw, collected when the capture stops.
public struct CaptureStatistics: Sendable, Codable, Equatable {
  /// `host/interface`.
  public var name: String
  /// The LINKTYPE_ value for a pcap file header (1 = Ethernet, also on `lo`).
  public var linkType: UInt16
  public var snapLength: Int32
  /// `ps_recv`: packets that passed the kernel filter. On `lo` the kernel
  /// would count each packet twice (outgoing and incoming copy); the capture
  /// asks it to leave the outgoing copy out (PACKET_IGNORE_OUTGOING), so it
  /// equals ``delivered`` unless a warning says that could not be set.
  public var received: UInt32
  /// `ps_drop`: packets dropped because the ring was full.
  public var dropped: UInt32
  /// `ps_ifdrop`: drops reported by the interface. libpcap reads it from
  /// /sys/class/net, which shows the namespace the process mounted sysfs in,
  /// not necessarily the target's: treat it as advisory.
  public var interfaceDropped: UInt32
  /// Packets handed to the sink.
  public var delivered: UInt64
  /// Non-fatal conditions: `pcap_activate` warnings, a timestamp precision
  /// fallback, loopback direction handling that could not be set.
  public var warnings: [String]
  /// Set when reading from this handle failed and the capture stopped reading it.
  public var readError: String?

  public init(
    name: String, linkType: UInt16, snapLength: Int32, received: UInt32, dropped: UInt32,
    interfaceDropped: UInt32, delivered: UInt64, warnings: [String] = [], readError: String? = nil
  ) {
    self.name = name
    self.linkType = linkType
    self.snapLength = snapLength
    self.received = received
    self.dropped = dropped
    self.interfaceDropped = interfaceDropped
    self.delivered = delivered
    self.warnings = warnings
    self.readError = readError
  }
}
