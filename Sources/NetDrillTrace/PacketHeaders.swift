/// The few header fields a flow table and totals need (addresses, ports,
/// TCP flags and sequence, ICMP type and the flow an error quotes), read
/// straight from a frame's bytes without allocating: the fast path of
/// `show --stats`, which sees millions of packets.
///
/// ``decode(_:linkType:originalLength:)`` answers only for the common shapes
/// (UDP, TCP and ICMP over IPv4 or IPv6 without extension headers, on the
/// link types ``PacketDecoder`` reads) and returns `nil` for anything else,
/// so the caller falls back to ``PacketDecoder``; where it answers, its
/// fields and ``truncated`` equal what ``PacketDecoder`` decodes (a test
/// checks this on every fixture).
public struct PacketHeaders: Sendable, Equatable {
  /// An IPv4 or IPv6 address in two words, hashed and compared without an array.
  public struct Address: Sendable, Hashable, Comparable {
    public var high: UInt64
    public var low: UInt64
    public var isIPv6: Bool

    public init(high: UInt64, low: UInt64, isIPv6: Bool) {
      self.high = high
      self.low = low
      self.isIPv6 = isIPv6
    }

    /// The same address as the decoder's ``IPAddress``.
    public init(_ address: IPAddress) {
      let bytes = address.bytes
      var high: UInt64 = 0
      var low: UInt64 = 0
      for (index, byte) in bytes.enumerated() {
        if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
      }
      self.init(high: high, low: low, isIPv6: address.isIPv6)
    }

    /// The address as ``IPAddress`` (allocates: for a new flow, not per packet).
    public var ipAddress: IPAddress {
      if !isIPv6 {
        return .v4((0..<4).map { UInt8(truncatingIfNeeded: high >> (24 - 8 * UInt64($0))) })
      }
      let first = (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
      let second = (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
      return .v6(first + second)
    }

    public static func < (a: Address, b: Address) -> Bool {
      (a.isIPv6 ? 1 : 0, a.high, a.low) < (b.isIPv6 ? 1 : 0, b.high, b.low)
    }
  }

  /// The transport, with what a flow is keyed on.
  public enum Transport: Sendable, Equatable {
    case udp(sourcePort: UInt16, destinationPort: UInt16)
    case tcp(sourcePort: UInt16, destinationPort: UInt16, flags: UInt16, sequence: UInt32, headerLength: Int)
    /// An ICMP query (echo and others): the identifier, 0 when there is none.
    case icmpQuery(isIPv6: Bool, identifier: UInt16)
    /// An ICMP error and the UDP or TCP packet it quotes, as sent.
    case icmpError(isIPv6: Bool, quoted: QuotedFlow)
  }

  /// The 5-tuple of the datagram or segment an ICMP error quotes.
  public struct QuotedFlow: Sendable, Equatable {
    public var isTCP: Bool
    public var source: Address
    public var destination: Address
    public var sourcePort: UInt16
    public var destinationPort: UInt16
  }

  public var source: Address
  public var destination: Address
  public var transport: Transport
  /// As ``DecodedPacket/truncated``, including a capture cut by the snap length.
  public var truncated: Bool

  /// The headers of a frame, or `nil` when it is not one of the shapes read here.
  public static func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, originalLength: UInt32)
    -> PacketHeaders?
  {
    let frame = Bytes(bytes)
    var headers: PacketHeaders?
    switch linkType {
    case .ethernet:
      guard let etherType = frame.u16(12) else { return nil }
      if etherType == 0x8100 {
        guard let inner = frame.u16(16) else { return nil }
        headers = network(frame, from: 18, etherType: inner)
      } else {
        headers = network(frame, from: 14, etherType: etherType)
      }
    case .linuxSLL:
      guard frame.count >= 16, let protocolType = frame.u16(14) else { return nil }
      headers = network(frame, from: 16, etherType: protocolType)
    case .linuxSLL2:
      guard frame.count >= 20, let protocolType = frame.u16(0) else { return nil }
      headers = network(frame, from: 20, etherType: protocolType)
    case .null, .loop:
      guard var family = frame.u32(0) else { return nil }
      // As PacketDecoder: LOOP is big-endian, NULL in the capturing host's order.
      if linkType == .null {
        family = family.byteSwapped
        if family & 0xFFFF_0000 != 0 { family = family.byteSwapped }
      }
      switch family {
      case 2: headers = network(frame, from: 4, etherType: 0x0800)
      case 10, 24, 28, 30: headers = network(frame, from: 4, etherType: 0x86DD)
      default: return nil
      }
    case .raw:
      guard let first = frame.u8(0) else { return nil }
      headers = network(frame, from: 0, etherType: first >> 4 == 4 ? 0x0800 : first >> 4 == 6 ? 0x86DD : 0)
    case .ipv4: headers = network(frame, from: 0, etherType: 0x0800)
    case .ipv6: headers = network(frame, from: 0, etherType: 0x86DD)
    default: return nil
    }
    if UInt64(bytes.count) < UInt64(originalLength) { headers?.truncated = true }
    return headers
  }

  /// Bounds-checked big-endian reads over borrowed bytes.
  private struct Bytes {
    let raw: UnsafeRawBufferPointer
    let start: Int
    let count: Int

    init(_ raw: UnsafeRawBufferPointer) {
      self.raw = raw
      start = 0
      count = raw.count
    }

    init(_ raw: UnsafeRawBufferPointer, start: Int, end: Int) {
      self.raw = raw
      self.start = start
      count = max(0, end - start)
    }

    func u8(_ offset: Int) -> UInt8? {
      offset >= 0 && offset < count ? raw[start + offset] : nil
    }

    func u16(_ offset: Int) -> UInt16? {
      guard offset >= 0, offset + 2 <= count else { return nil }
      return UInt16(raw[start + offset]) << 8 | UInt16(raw[start + offset + 1])
    }

    func u32(_ offset: Int) -> UInt32? {
      guard offset >= 0, offset + 4 <= count else { return nil }
      var value: UInt32 = 0
      for index in 0..<4 { value = value << 8 | UInt32(raw[start + offset + index]) }
      return value
    }

    func u64(_ offset: Int) -> UInt64 {
      var value: UInt64 = 0
      for index in 0..<8 { value = value << 8 | UInt64(raw[start + offset + index]) }
      return value
    }

    /// The bytes from `offset` to `end` (relative), as a new window.
    func window(_ offset: Int, _ end: Int) -> Bytes {
      Bytes(raw, start: start + offset, end: start + min(end, count))
    }
  }

  /// An IP packet's addresses, its usable end and where its transport starts.
  private struct IPLayer {
    var source: Address
    var destination: Address
    var protocolNumber: UInt8
    var transport: Bytes
    var truncated: Bool
  }

  private static func network(_ frame: Bytes, from offset: Int, etherType: UInt16) -> PacketHeaders? {
    let packet = frame.window(offset, frame.count)
    guard let ip = etherType == 0x0800 ? ipv4(packet) : etherType == 0x86DD ? ipv6(packet) : nil,
      let transport = transport(ip)
    else { return nil }
    return PacketHeaders(
      source: ip.source, destination: ip.destination, transport: transport.transport,
      truncated: ip.truncated || transport.truncated)
  }

  /// A first fragment or whole IPv4 packet with a transport header to read; nil otherwise.
  private static func ipv4(_ bytes: Bytes) -> IPLayer? {
    guard bytes.count >= 20, let first = bytes.u8(0), first >> 4 == 4, let totalLength = bytes.u16(2),
      let fragment = bytes.u16(6), let protocolNumber = bytes.u8(9)
    else { return nil }
    let headerLength = Int(first & 0x0F) * 4
    guard headerLength >= 20, bytes.count >= headerLength, fragment & 0x1FFF == 0 else { return nil }
    var end = bytes.count
    var truncated = false
    if Int(totalLength) < headerLength {
      // A note only, as in PacketDecoder.
    } else if Int(totalLength) <= bytes.count {
      end = Int(totalLength)
    } else {
      truncated = true
    }
    let source = Address(high: UInt64(bytes.u32(12) ?? 0), low: 0, isIPv6: false)
    let destination = Address(high: UInt64(bytes.u32(16) ?? 0), low: 0, isIPv6: false)
    return IPLayer(
      source: source, destination: destination, protocolNumber: protocolNumber,
      transport: bytes.window(headerLength, end), truncated: truncated)
  }

  /// An IPv6 packet without extension headers; nil otherwise (the full decoder walks those).
  private static func ipv6(_ bytes: Bytes) -> IPLayer? {
    guard bytes.count >= 40, let word = bytes.u32(0), word >> 28 == 6, let payloadLength = bytes.u16(4),
      let nextHeader = bytes.u8(6), ![0, 43, 44, 51, 59, 60].contains(nextHeader)
    else { return nil }
    var end = bytes.count
    var truncated = false
    if payloadLength > 0 {
      if 40 + Int(payloadLength) <= bytes.count { end = 40 + Int(payloadLength) } else { truncated = true }
    }
    return IPLayer(
      source: Address(high: bytes.u64(8), low: bytes.u64(16), isIPv6: true),
      destination: Address(high: bytes.u64(24), low: bytes.u64(32), isIPv6: true),
      protocolNumber: nextHeader, transport: bytes.window(40, end), truncated: truncated)
  }

  private static func transport(_ ip: IPLayer) -> (transport: Transport, truncated: Bool)? {
    let bytes = ip.transport
    switch ip.protocolNumber {
    case 17:
      guard let source = bytes.u16(0), let destination = bytes.u16(2), let length = bytes.u16(4), bytes.count >= 8
      else { return nil }
      return (.udp(sourcePort: source, destinationPort: destination), Int(length) > bytes.count)
    case 6:
      guard bytes.count >= 20, let source = bytes.u16(0), let destination = bytes.u16(2),
        let sequence = bytes.u32(4), let offsetAndFlags = bytes.u16(12)
      else { return nil }
      let headerLength = Int(offsetAndFlags >> 12) * 4
      return (
        .tcp(
          sourcePort: source, destinationPort: destination, flags: offsetAndFlags & 0x0FFF, sequence: sequence,
          headerLength: headerLength),
        headerLength >= 20 && headerLength > bytes.count
      )
    case 1, 58:
      let isIPv6 = ip.protocolNumber == 58
      guard bytes.count >= 4, let type = bytes.u8(0) else { return nil }
      let isError = isIPv6 ? (1...4).contains(type) : [3, 4, 5, 11, 12].contains(type)
      if !isError {
        // Neighbour discovery, MLD and the like are housekeeping: the full decoder names them.
        if isIPv6 && [130, 131, 132, 133, 134, 135, 136, 137, 143].contains(type) { return nil }
        let isEcho = isIPv6 ? (type == 128 || type == 129) : (type == 0 || type == 8)
        return (.icmpQuery(isIPv6: isIPv6, identifier: isEcho ? bytes.u16(4) ?? 0 : 0), false)
      }
      guard bytes.count > 8, let quoted = quotedFlow(bytes.window(8, bytes.count)) else { return nil }
      return (.icmpError(isIPv6: isIPv6, quoted: quoted), false)
    default:
      return nil
    }
  }

  /// The UDP or TCP flow of a quoted packet, when its ports are there.
  private static func quotedFlow(_ bytes: Bytes) -> QuotedFlow? {
    guard let first = bytes.u8(0) else { return nil }
    let layer: IPLayer?
    switch first >> 4 {
    case 4: layer = ipv4(bytes)
    case 6: layer = ipv6(bytes)
    default: layer = nil
    }
    guard let ip = layer else { return nil }
    let transport = ip.transport
    switch ip.protocolNumber {
    case 17:
      guard transport.count >= 8, let from = transport.u16(0), let to = transport.u16(2) else { return nil }
      return QuotedFlow(
        isTCP: false, source: ip.source, destination: ip.destination, sourcePort: from, destinationPort: to)
    case 6:
      guard let from = transport.u16(0), let to = transport.u16(2) else { return nil }
      return QuotedFlow(
        isTCP: true, source: ip.source, destination: ip.destination, sourcePort: from, destinationPort: to)
    default:
      return nil
    }
  }
}
