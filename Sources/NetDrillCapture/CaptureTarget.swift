/// One interface to capture on, in the network namespace of one simulated host.
public struct CaptureTarget: Sendable, Equatable {
  /// The simulated host's name.
  public var host: String
  /// The interface inside that host's namespace (`lo`, `veth0`, ...).
  public var interface: String
  /// An open descriptor of the host's network namespace
  /// (`/proc/thread-self/ns/net` of the thread that unshared it). Borrowed:
  /// the capture never closes it, so it must stay open until `init` returns.
  public var namespaceFD: Int32
  /// This handle's kernel ring (`pcap_set_buffer_size`), or nil for
  /// ``CaptureConfiguration/bufferBytes``: a recorder sizes each ring to the
  /// traffic it expects there, since every ring is mapped into the process.
  public var bufferBytes: Int32?

  public init(host: String, interface: String, namespaceFD: Int32, bufferBytes: Int32? = nil) {
    self.host = host
    self.interface = interface
    self.namespaceFD = namespaceFD
    self.bufferBytes = bufferBytes
  }

  /// The name used in traces and messages: `host/interface`.
  public var name: String { "\(host)/\(interface)" }
}

/// An opened capture target: its trace name and what libpcap reports for it.
public struct CaptureInterface: Sendable, Equatable {
  /// `host/interface`.
  public var name: String
  /// LINKTYPE_ value (1 = Ethernet, also for loopback).
  public var linkType: UInt16
  public var snapLength: Int32
}
