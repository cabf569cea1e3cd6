/// How every handle of a ``LiveCapture`` is opened.
public struct CaptureConfiguration: Sendable, Equatable {
  /// Bytes kept of each packet (`pcap_set_snaplen`). The default keeps whole
  /// packets, including 64 KiB loopback datagrams.
  public var snapLength: Int32
  /// Kernel ring size per handle (`pcap_set_buffer_size`).
  public var bufferBytes: Int32
  /// A BPF filter expression (pcap-filter(7)), or `nil` for every packet.
  /// `inbound`/`outbound` are refused (see ``CaptureError/Kind/invalidFilter``):
  /// with libpcap they silently lose packets.
  public var filter: String?
  /// Hand each packet to the sink as soon as it arrives
  /// (`pcap_set_immediate_mode`). Off by default, because on Linux it costs
  /// drops under load: libpcap then uses a TPACKET_V2 ring of fixed frames
  /// sized for the largest packet the interface can carry (MTU 65536 on `lo`,
  /// 64 KiB with offload on veth), so 64 MiB hold only 512 packets, and every
  /// packet wakes the capture thread (measured: 100,000 datagrams on `lo`
  /// lost a few hundred in 1 run of 5 and slowed the sender by a third).
  /// Off, libpcap packs packets into TPACKET_V3 blocks (64 MiB hold about
  /// 350,000 small packets) that reach user space when full or after
  /// ``blockTimeout``; ``LiveCapture/stop(drainFor:)`` waits for that.
  public var immediateMode: Bool
  /// How long a partly filled TPACKET_V3 block may wait before the kernel
  /// hands it over (`pcap_set_timeout`), when ``immediateMode`` is off.
  public var blockTimeout: Duration

  public init(
    snapLength: Int32 = 262_144,
    bufferBytes: Int32 = 64 << 20,
    filter: String? = nil,
    immediateMode: Bool = false,
    blockTimeout: Duration = .milliseconds(10)
  ) {
    self.snapLength = snapLength
    self.bufferBytes = bufferBytes
    self.filter = filter
    self.immediateMode = immediateMode
    self.blockTimeout = blockTimeout
  }
}
