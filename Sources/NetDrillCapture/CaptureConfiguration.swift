/// How every handle of a ``LiveCapture`` is opened.
public struct CaptureConfiguration: Sendable, Equatable {
  /// Bytes kept of each packet (`pcap_set_snaplen`). The default keeps whole
  /// packets, including 64 KiB loopback datagrams.
  public var snapLength: Int32
  /// Kernel ring size per handle (`pcap_set_buffer_size`).
  public var bufferBytes: Int32
  /// A BPF filter expression (pcap-filter(7)), or `nil` for every packet.
  public var filter: String?
  /// Deliver each packet as soon as it arrives (`pcap_set_immediate_mode`).
  /// Without it libpcap uses TPACKET_V3 blocks, which reach user space only
  /// when full or after ``blockTimeout``.
  public var immediateMode: Bool
  /// Block retire timeout when ``immediateMode`` is off (`pcap_set_timeout`).
  /// ``LiveCapture/stop(drainFor:)`` should drain at least this long.
  public var blockTimeout: Duration

  public init(
    snapLength: Int32 = 262_144,
    bufferBytes: Int32 = 64 << 20,
    filter: String? = nil,
    immediateMode: Bool = true,
    blockTimeout: Duration = .milliseconds(10)
  ) {
    self.snapLength = snapLength
    self.bufferBytes = bufferBytes
    self.filter = filter
    self.immediateMode = immediateMode
    self.blockTimeout = blockTimeout
  }
}
