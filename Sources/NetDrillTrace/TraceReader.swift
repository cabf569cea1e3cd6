/// Streams the records of a pcapng or classic pcap trace (told apart by the
/// magic number), in either byte order, without loading the whole file.
///
/// Malformed input never traps: every problem becomes a ``TraceError``
/// naming the byte offset, and every call either consumes input or ends.
///
/// ```swift
/// let reader = try TraceReader(path: "run.pcapng")
/// while let record = try reader.next() {
///     if case .packet(let packet) = record { … }
/// }
/// ```
public final class TraceReader {
  /// The path given at creation (or the name given to ``init(bytes:name:)``).
  public var path: String { input.path }

  /// How far the reader has read: after the last record, the byte offset
  /// just past it (at the end, the size of the trace).
  public var byteOffset: UInt64 { input.offset }

  private let input: TraceInput
  private var state: State = .start
  /// Records produced by one step but not yet returned (a pcap header
  /// yields a section and an interface).
  private var pending: [TraceRecord] = []
  private var bigEndian = false
  private var interfaces: [TraceInterfaceInfo] = []
  private var pcapNanoseconds = false

  private enum State {
    case start, pcap, pcapng, finished
  }

  /// Opens a trace file for reading.
  public init(path: String) throws {
    input = try TraceInput(path: path)
  }

  /// Reads a trace held in memory; `name` stands in for the path in errors.
  public init(bytes: [UInt8], name: String = "<memory>") {
    input = TraceInput(bytes: bytes, name: name)
  }

  /// The next record, or `nil` at the end of the trace.
  ///
  /// After an error the reader is finished and returns `nil`.
  public func next() throws -> TraceRecord? {
    if !pending.isEmpty { return pending.removeFirst() }
    do {
      while true {
        switch state {
        case .finished:
          return nil
        case .start:
          try readFileHeader()
          if !pending.isEmpty { return pending.removeFirst() }
        case .pcap:
          let record = try readPcapRecord()
          if record == nil { state = .finished }
          return record
        case .pcapng:
          // Skipped blocks return nil here and the loop reads on;
          // each pass consumes at least 12 bytes or ends.
          if let record = try readPcapngBlock() { return record }
        }
      }
    } catch {
      state = .finished
      throw error
    }
  }

  /// Reads all records to the end.
  public func readAll() throws -> [TraceRecord] {
    var records: [TraceRecord] = []
    while let record = try next() { records.append(record) }
    return records
  }

  /// The netdrill manifest JSON of the trace at `path`, or `nil` when it
  /// has none (a classic pcap file never has one).
  public static func readManifest(path: String) throws -> [UInt8]? {
    let reader = try TraceReader(path: path)
    while let record = try reader.next() {
      if case .manifest(let json, _) = record { return json }
    }
    return nil
  }

  // MARK: - Format detection

  private static let pcapMicroseconds: UInt32 = 0xA1B2_C3D4
  private static let pcapNanoseconds: UInt32 = 0xA1B2_3C4D

  private func readFileHeader() throws {
    let have = try input.fill(4)
    guard have >= 4 else {
      throw fail(
        at: 0,
        have == 0 ? "file is empty, not a pcap or pcapng trace" : "file is too short (\(have) bytes) to be a trace")
    }
    let little = ByteCursor(input.peek(4), bigEndian: false)
    let magic = little.u32(0) ?? 0
    switch magic {
    case PcapngFormat.sectionHeaderBlock:
      state = .pcapng
    case Self.pcapMicroseconds, Self.pcapNanoseconds:
      try readPcapHeader(bigEndian: false, nanoseconds: magic == Self.pcapNanoseconds)
    case Self.pcapMicroseconds.byteSwapped, Self.pcapNanoseconds.byteSwapped:
      try readPcapHeader(bigEndian: true, nanoseconds: magic == Self.pcapNanoseconds.byteSwapped)
    default:
      throw fail(at: 0, "not a pcap or pcapng trace (magic 0x\(String(magic.byteSwapped, radix: 16)))")
    }
  }

  // MARK: - Classic pcap

  private func readPcapHeader(bigEndian: Bool, nanoseconds: Bool) throws {
    let header = try need(24, what: "pcap file header")
    let cursor = ByteCursor(header, bigEndian: bigEndian)
    self.bigEndian = bigEndian
    pcapNanoseconds = nanoseconds
    let major = cursor.u16(4) ?? 0
    let minor = cursor.u16(6) ?? 0
    let snapLength = cursor.u32(16) ?? 0
    // The upper bits of the link type field carry FCS information.
    let linkType = LinkType(rawValue: UInt16(truncatingIfNeeded: cursor.u32(20) ?? 0))
    guard major == 2 else {
      throw fail(at: 4, "unsupported pcap version \(major).\(minor)")
    }
    input.consume(24)
    state = .pcap
    let interface = TraceInterfaceInfo(
      id: 0, name: nil, description: nil, linkType: linkType, snapLength: snapLength,
      timestampResolution: nanoseconds ? .nanoseconds : .microseconds)
    interfaces = [interface]
    pending = [
      .section(
        TraceSection(
          format: .pcap, bigEndian: bigEndian, versionMajor: major, versionMinor: minor,
          application: nil, os: nil, hardware: nil, comment: nil, byteOffset: 0)),
      .interface(interface),
    ]
  }

  private func readPcapRecord() throws -> TraceRecord? {
    let start = input.offset
    let have = try input.fill(16)
    if have == 0 { return nil }
    // The header is read in place and the data copied once, straight out of
    // the input window: this runs for every packet.
    try require(16, what: "pcap record header")
    let seconds = UInt64(input.u32(at: 0, bigEndian: bigEndian) ?? 0)
    let fraction = UInt64(input.u32(at: 4, bigEndian: bigEndian) ?? 0)
    let captured = input.u32(at: 8, bigEndian: bigEndian) ?? 0
    let original = input.u32(at: 12, bigEndian: bigEndian) ?? 0
    guard captured <= UInt32(PcapngFormat.maximumBlockLength) else {
      throw fail(at: start + 8, "captured length \(captured) is larger than the 128 MiB limit")
    }
    try require(16 + Int(captured), what: "pcap record")
    let data = input.copy(from: 16, count: Int(captured))
    input.consume(16 + Int(captured))
    // Cannot overflow: at most (2^32-1)·10^9 + (2^32-1)·1000 < 2^64.
    let nanoseconds = seconds * 1_000_000_000 + (pcapNanoseconds ? fraction : fraction * 1000)
    let interface = interfaces.first
    return .packet(
      TracePacket(
        interfaceID: 0, timestampNanoseconds: nanoseconds, originalLength: original,
        data: data, comment: nil,
        linkType: interface?.linkType ?? .ethernet, byteOffset: start))
  }

  // MARK: - pcapng

  private func readPcapngBlock() throws -> TraceRecord? {
    let start = input.offset
    currentBlock = nil
    defer { currentBlock = nil }
    let have = try input.fill(12)
    if have == 0 {
      state = .finished
      return nil
    }
    guard have >= 12 else {
      throw fail(at: start, "truncated block at byte \(start): need 12 bytes, file has \(have)")
    }
    let head = ByteCursor(input.peek(12), bigEndian: false)
    let rawType = head.u32(0) ?? 0
    if rawType == PcapngFormat.sectionHeaderBlock {
      // The section's byte order is only known from its own
      // byte-order magic, which follows the (palindromic) type.
      let magic = head.u32(8) ?? 0
      if magic == PcapngFormat.byteOrderMagic {
        bigEndian = false
      } else if magic == PcapngFormat.byteOrderMagic.byteSwapped {
        bigEndian = true
      } else {
        throw fail(at: start + 8, "section header has a bad byte-order magic 0x\(String(magic, radix: 16))")
      }
    }
    var cursor = head
    cursor.bigEndian = bigEndian
    let type = cursor.u32(0) ?? 0
    let length = cursor.u32(4) ?? 0
    currentBlock = (type, start)
    guard length >= 12 else {
      throw fail(at: start + 4, "block length \(length) is shorter than the 12-byte minimum")
    }
    guard length % 4 == 0 else {
      throw fail(at: start + 4, "block length \(length) is not a multiple of 4")
    }
    guard length <= UInt32(PcapngFormat.maximumBlockLength) else {
      throw fail(at: start + 4, "block length \(length) is larger than the 128 MiB limit")
    }
    try require(Int(length), what: "block")
    let trailer = input.u32(at: Int(length) - 4, bigEndian: bigEndian) ?? 0
    guard trailer == length else {
      throw fail(at: start, "block length \(length) does not match the trailing length \(trailer)")
    }
    if type == PcapngFormat.enhancedPacketBlock {
      // Nearly every block: read in place, the packet data copied once.
      defer { input.consume(Int(length)) }
      return try enhancedPacketInPlace(bodyLength: Int(length) - 12, at: start)
    }
    let body = ByteCursor(input.copy(from: 8, count: Int(length) - 12), bigEndian: bigEndian)
    input.consume(Int(length))
    let bodyStart = start + 8

    switch type {
    case PcapngFormat.sectionHeaderBlock:
      return try sectionHeader(body, at: start)
    case PcapngFormat.interfaceDescriptionBlock:
      return try interfaceDescription(body, at: bodyStart)
    case PcapngFormat.simplePacketBlock:
      return try simplePacket(body, at: start)
    case PcapngFormat.obsoletePacketBlock:
      return try obsoletePacket(body, at: start)
    case PcapngFormat.interfaceStatisticsBlock:
      return try interfaceStatistics(body, at: bodyStart)
    case PcapngFormat.customBlockCopiable, PcapngFormat.customBlockNoCopy:
      return try custom(body, at: bodyStart)
    default:
      // Name resolution, decryption secrets, other custom data: not ours.
      return nil
    }
  }

  private func sectionHeader(_ body: ByteCursor, at start: UInt64) throws -> TraceRecord {
    guard body.count >= 16 else {
      throw fail(at: start, "the block is \(body.count + 12) bytes, less than the 28-byte minimum")
    }
    let major = body.u16(4) ?? 0
    let minor = body.u16(6) ?? 0
    guard major == 1 else {
      throw fail(at: start + 12, "unsupported pcapng version \(major).\(minor)")
    }
    interfaces = []
    var section = TraceSection(
      format: .pcapng, bigEndian: bigEndian, versionMajor: major, versionMinor: minor,
      application: nil, os: nil, hardware: nil, comment: nil, byteOffset: start)
    try forEachOption(body, from: 16, blockAt: start + 8) { code, value in
      switch code {
      case PcapngFormat.optComment: section.comment = Self.text(value)
      case PcapngFormat.shbHardware: section.hardware = Self.text(value)
      case PcapngFormat.shbOS: section.os = Self.text(value)
      case PcapngFormat.shbUserApplication: section.application = Self.text(value)
      default: break
      }
    }
    return .section(section)
  }

  private func interfaceDescription(_ body: ByteCursor, at bodyStart: UInt64) throws -> TraceRecord {
    guard let linkType = body.u16(0), let snapLength = body.u32(4) else {
      throw fail(at: bodyStart - 8, "the block is too short: expected at least 20 bytes (link type, snap length)")
    }
    var info = TraceInterfaceInfo(
      id: UInt32(interfaces.count), name: nil, description: nil,
      linkType: LinkType(rawValue: linkType), snapLength: snapLength,
      timestampResolution: .microseconds)
    var offsetSeconds: UInt64 = 0
    try forEachOption(body, from: 8, blockAt: bodyStart) { code, value in
      switch code {
      case PcapngFormat.ifName: info.name = Self.text(value)
      case PcapngFormat.ifDescription: info.description = Self.text(value)
      case PcapngFormat.ifTimestampResolution:
        if let byte = value.first {
          info.timestampResolution =
            byte & 0x80 == 0 ? .powerOfTen(byte) : .powerOfTwo(byte & 0x7F)
        }
      case PcapngFormat.ifTimestampOffset:
        offsetSeconds = ByteCursor(value, bigEndian: bigEndian).u64(0) ?? 0
      default: break
      }
    }
    interfaces.append(info)
    timestampOffsets.append(offsetSeconds)
    return .interface(info)
  }

  private var timestampOffsets: [UInt64] = []

  /// An enhanced packet block still in the input window (after its 8-byte
  /// head): the fixed fields read in place, the data and the options copied
  /// once. Offsets in errors are those of ``enhancedPacket(_:at:)``.
  private func enhancedPacketInPlace(bodyLength: Int, at start: UInt64) throws -> TraceRecord {
    func field(_ offset: Int) -> UInt32? {
      offset + 4 <= bodyLength ? input.u32(at: 8 + offset, bigEndian: bigEndian) : nil
    }
    guard let id = field(0), let high = field(4), let low = field(8), let captured = field(12),
      let original = field(16)
    else {
      throw fail(at: start, "the block is too short: expected at least 32 bytes (interface, timestamp, lengths)")
    }
    let interface = try interface(id, at: start + 8)
    let paddedLength = (UInt64(captured) + 3) / 4 * 4
    guard 20 + paddedLength <= UInt64(bodyLength) else {
      throw fail(at: start + 20, "captured length \(captured) runs past the end of its block")
    }
    var packet = TracePacket(
      interfaceID: id,
      timestampNanoseconds: nanoseconds(high: high, low: low, interface: id),
      originalLength: original, data: input.copy(from: 28, count: Int(captured)),
      comment: nil, linkType: interface.linkType, byteOffset: start)
    let optionsStart = 20 + Int(paddedLength)
    if optionsStart < bodyLength {
      let options = ByteCursor(
        input.copy(from: 8 + optionsStart, count: bodyLength - optionsStart), bigEndian: bigEndian)
      try forEachOption(options, from: 0, blockAt: start + 8 + UInt64(optionsStart)) { code, value in
        if code == PcapngFormat.optComment, packet.comment == nil {
          packet.comment = Self.text(value)
        }
      }
    }
    return .packet(packet)
  }

  private func simplePacket(_ body: ByteCursor, at start: UInt64) throws -> TraceRecord {
    guard let original = body.u32(0) else {
      throw fail(at: start, "the block is too short: expected at least 16 bytes (original length)")
    }
    let interface = try interface(0, at: start)
    // The captured length is implied: the original length, cut at the
    // snap length and at the block's end.
    var length = Int(original)
    if interface.snapLength > 0 { length = min(length, Int(interface.snapLength)) }
    length = min(length, body.count - 4)
    return .packet(
      TracePacket(
        interfaceID: 0, timestampNanoseconds: 0, originalLength: original,
        data: body.prefix(from: 4, length: length), comment: nil,
        linkType: interface.linkType, byteOffset: start))
  }

  private func obsoletePacket(_ body: ByteCursor, at start: UInt64) throws -> TraceRecord {
    guard let id16 = body.u16(0), let high = body.u32(4), let low = body.u32(8),
      let captured = body.u32(12), let original = body.u32(16)
    else {
      throw fail(at: start, "the block is too short: expected at least 32 bytes (interface, timestamp, lengths)")
    }
    let id = UInt32(id16)
    let interface = try interface(id, at: start + 8)
    guard 20 + UInt64(captured) <= UInt64(body.count) else {
      throw fail(at: start + 20, "captured length \(captured) runs past the end of its block")
    }
    return .packet(
      TracePacket(
        interfaceID: id, timestampNanoseconds: nanoseconds(high: high, low: low, interface: id),
        originalLength: original, data: body.prefix(from: 20, length: Int(captured)),
        comment: nil, linkType: interface.linkType, byteOffset: start))
  }

  private func interfaceStatistics(_ body: ByteCursor, at bodyStart: UInt64) throws -> TraceRecord {
    guard let id = body.u32(0), let high = body.u32(4), let low = body.u32(8) else {
      throw fail(at: bodyStart - 8, "the block is too short: expected at least 24 bytes (interface, timestamp)")
    }
    _ = try interface(id, at: bodyStart)
    var statistics = TraceInterfaceStatistics(
      interfaceID: id, timestampNanoseconds: nanoseconds(high: high, low: low, interface: id),
      received: nil, dropped: nil, comment: nil)
    let order = bigEndian
    try forEachOption(body, from: 12, blockAt: bodyStart) { code, value in
      let number = ByteCursor(value, bigEndian: order).u64(0)
      switch code {
      case PcapngFormat.optComment: statistics.comment = Self.text(value)
      case PcapngFormat.isbIfReceived: statistics.received = number
      case PcapngFormat.isbIfDropped: statistics.dropped = number
      default: break
      }
    }
    return .statistics(statistics)
  }

  private func custom(_ body: ByteCursor, at bodyStart: UInt64) throws -> TraceRecord? {
    guard body.u32(0) == PcapngWriter.netdrillPEN,
      body.prefix(from: 4, length: 4) == PcapngFormat.manifestMagic
    else {
      return nil  // Another tool's custom block.
    }
    guard let length = body.u32(8), UInt64(length) <= UInt64(body.count - 12) else {
      throw fail(at: bodyStart + 8, "netdrill manifest length runs past the end of its block")
    }
    return .manifest(body.prefix(from: 12, length: Int(length)), byteOffset: bodyStart - 8)
  }

  // MARK: - Helpers

  private func interface(_ id: UInt32, at offset: UInt64) throws -> TraceInterfaceInfo {
    guard id < UInt32(interfaces.count) else {
      throw fail(at: offset, "refers to interface \(id) but the section defines \(interfaces.count)")
    }
    return interfaces[Int(id)]
  }

  /// Converts a pcapng timestamp in the interface's units to nanoseconds,
  /// saturating rather than trapping on absurd values.
  private func nanoseconds(high: UInt32, low: UInt32, interface id: UInt32) -> UInt64 {
    let units = UInt64(high) << 32 | UInt64(low)
    let index = Int(id)
    guard index < interfaces.count else { return units }
    let offset = index < timestampOffsets.count ? timestampOffsets[index] : 0
    let base: UInt64
    switch interfaces[index].timestampResolution {
    case .powerOfTen(let exponent):
      if exponent <= 9 {
        base = Self.saturatingMultiply(units, Self.powerOfTen(9 - Int(exponent)))
      } else if exponent - 9 >= 20 {
        base = 0
      } else {
        base = units / Self.powerOfTen(Int(exponent) - 9)
      }
    case .powerOfTwo(let exponent):
      // units · 10^9 / 2^exponent, through a 128-bit product.
      let (high, low) = units.multipliedFullWidth(by: 1_000_000_000)
      if exponent >= 128 {
        base = 0
      } else if exponent >= 64 {
        base = exponent == 64 ? high : high >> (UInt64(exponent) - 64)
      } else if exponent == 0 {
        base = high == 0 ? low : .max
      } else if high >> UInt64(exponent) != 0 {
        base = .max
      } else {
        base = high << (64 - UInt64(exponent)) | low >> UInt64(exponent)
      }
    }
    let (sum, overflow) = base.addingReportingOverflow(Self.saturatingMultiply(offset, 1_000_000_000))
    return overflow ? .max : sum
  }

  private static func powerOfTen(_ exponent: Int) -> UInt64 {
    var value: UInt64 = 1
    for _ in 0..<max(0, min(exponent, 19)) { value *= 10 }
    return value
  }

  private static func saturatingMultiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? .max : product
  }

  /// Calls `body` for each option from `offset` to `opt_endofopt` or the end.
  private func forEachOption(
    _ block: ByteCursor, from offset: Int, blockAt blockOffset: UInt64,
    _ body: (UInt16, [UInt8]) throws -> Void
  ) throws {
    var position = offset
    while position + 4 <= block.count {
      guard let code = block.u16(position), let length = block.u16(position + 2) else { return }
      if code == PcapngFormat.optEndOfOptions { return }
      let valueStart = position + 4
      guard block.has(valueStart, Int(length)) else {
        throw fail(
          at: blockOffset + UInt64(position),
          "option \(code) of length \(length) runs past the end of its block")
      }
      try body(code, block.prefix(from: valueStart, length: Int(length)))
      position = valueStart + (Int(length) + 3) / 4 * 4
    }
  }

  /// Reads exactly `count` bytes starting at the current offset (without
  /// consuming them) or throws a truncation error.
  private func need(_ count: Int, what: String) throws -> [UInt8] {
    let have = try input.fill(count)
    guard have >= count else {
      let start = input.offset
      throw fail(at: start, "truncated \(what) at byte \(start): need \(count) bytes, file has \(have)")
    }
    return input.peek(count)
  }

  /// Makes sure `count` bytes from the current offset are buffered (without
  /// copying them) or throws the truncation error ``need(_:what:)`` throws.
  private func require(_ count: Int, what: String) throws {
    let have = try input.fill(count)
    guard have >= count else {
      let start = input.offset
      throw fail(at: start, "truncated \(what) at byte \(start): need \(count) bytes, file has \(have)")
    }
  }

  /// The pcapng block being read and where it starts, named in every
  /// failure inside it so a person knows which block to look at (named only
  /// then: a name built per block was a twentieth of reading a trace).
  private var currentBlock: (type: UInt32, start: UInt64)?

  private func fail(at offset: UInt64, _ message: String) -> TraceError {
    guard let currentBlock else { return TraceError(path: input.path, byteOffset: offset, message: message) }
    return TraceError(
      path: input.path, byteOffset: offset,
      message: "in the \(PcapngFormat.blockName(currentBlock.type)) starting at byte \(currentBlock.start): \(message)")
  }

  /// Option text: UTF-8 (invalid bytes replaced), trailing NULs dropped
  /// because some writers include the C terminator.
  private static func text(_ bytes: [UInt8]) -> String {
    var end = bytes.count
    while end > 0 && bytes[end - 1] == 0 { end -= 1 }
    return String(decoding: bytes[0..<end], as: UTF8.self)
  }
}
