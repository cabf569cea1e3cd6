import CPcap

/// A BPF filter expression (tcpdump syntax) compiled by libpcap and applied
/// to packets read from a file, one link type at a time.
///
/// libpcap compiles a filter for one link type, and a pcapng file may mix
/// several, so the expression is compiled once per link type met (on a
/// `pcap_open_dead` handle) and the programs are kept: one lookup and one
/// `pcap_offline_filter` call per packet.
public final class PacketFilter {
  /// The expression as given.
  public let expression: String
  private var programs: [UInt16: Program] = [:]

  /// A compiled program and the dead handle it was compiled on.
  private final class Program {
    var program = bpf_program()
    let handle: OpaquePointer
    init(handle: OpaquePointer) { self.handle = handle }
    deinit {
      pcap_freecode(&program)
      pcap_close(handle)
    }
  }

  /// Compiles `expression` for Ethernet to check it; throws
  /// ``PacketFilterError`` with libpcap's message when it does not compile.
  public init(expression: String) throws {
    self.expression = expression
    _ = try program(forLinkType: 1)
  }

  /// Whether a packet of this link type (`LINKTYPE_` number) passes the filter.
  ///
  /// Throws when libpcap cannot compile the expression for this link type
  /// (for example `ether host` on raw IP).
  public func matches(_ bytes: [UInt8], originalLength: UInt32, linkType: UInt16) throws -> Bool {
    let compiled = try program(forLinkType: linkType)
    var header = pcap_pkthdr()
    header.caplen = UInt32(bytes.count)
    header.len = max(originalLength, UInt32(bytes.count))
    return bytes.withUnsafeBufferPointer { buffer in
      pcap_offline_filter(&compiled.program, &header, buffer.baseAddress) != 0
    }
  }

  private func program(forLinkType linkType: UInt16) throws -> Program {
    if let compiled = programs[linkType] { return compiled }
    let dlt = Self.dataLinkType(linkType)
    guard let handle = pcap_open_dead(dlt, 262_144) else {
      throw PacketFilterError(
        expression: expression, message: "libpcap could not open a handle for link type \(linkType)")
    }
    let compiled = Program(handle: handle)
    if pcap_compile(handle, &compiled.program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
      let message = String(cString: pcap_geterr(handle))
      throw PacketFilterError(
        expression: expression,
        message: linkType == 1 ? message : "\(message) (for link type \(linkType))")
    }
    programs[linkType] = compiled
    return compiled
  }

  /// The `DLT_` value libpcap's compiler takes for a `LINKTYPE_` number stored
  /// in files; they differ only for a few old types (pcap-linktype(7)).
  static func dataLinkType(_ linkType: UInt16) -> Int32 {
    switch linkType {
    case 101: return 12  // LINKTYPE_RAW → DLT_RAW (Linux value)
    default: return Int32(linkType)
    }
  }
}

/// A filter expression libpcap refused.
public struct PacketFilterError: Error, CustomStringConvertible, Sendable {
  public var expression: String
  public var message: String
  public var description: String { "--filter '\(expression)': \(message)" }
}
