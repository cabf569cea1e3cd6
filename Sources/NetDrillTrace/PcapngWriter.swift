import NetDrillSystem

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a pcapng trace as packets arrive, never holding more than one
/// buffer's worth in memory.
///
/// The file is written under a temporary name next to the final path
/// (`.NAME.partial-<pid>-<random>`) and only renamed into place by
/// ``commit()``, so a run that is killed half way never leaves a truncated
/// trace where a finished one is expected.
///
/// Not `Sendable`: a writer has one owner, who calls it from one thread.
public final class PcapngWriter {
  /// The Private Enterprise Number written in netdrill's custom manifest
  /// block: 32473, the number RFC 5612 sets aside for examples and
  /// documentation.
  ///
  /// netdrill has no PEN of its own, and borrowing a number assigned to
  /// somebody else would make Wireshark name that organisation; the
  /// documentation number belongs to no one. Readers also check the `NDM1`
  /// magic that follows it before treating a block as a netdrill manifest.
  /// Replace it if netdrill ever registers a PEN; ``TraceReader`` keys on both.
  public static let netdrillPEN: UInt32 = 32473

  /// The final path the trace appears at after ``commit()``.
  public let path: String
  /// The temporary file being written until ``commit()``.
  public let temporaryPath: String

  /// The temporary file; nil once closed (committed or abandoned).
  private var descriptor: FileDescriptor?
  private var buffer: [UInt8] = []
  private var bytesWritten: UInt64 = 0
  private var interfaces: [LinkType] = []
  private var finished = false

  /// Bytes gathered before one `write(2)`.
  private static let bufferSize = 64 * 1024

  /// Creates the temporary file and writes the Section Header Block.
  ///
  /// - Parameters:
  ///   - path: where the finished trace goes; its directory must exist.
  ///   - application: the writing program including its version
  ///     (`shb_userappl`), e.g. `netdrill 0.3.0`.
  ///   - hardware: `shb_hardware`, omitted when `nil`.
  ///   - os: `shb_os`, e.g. `Linux 6.1.0`, omitted when `nil`.
  ///   - sectionComment: a comment on the whole section.
  public init(
    path: String,
    application: String,
    hardware: String? = nil,
    os: String? = nil,
    sectionComment: String? = nil
  ) throws {
    self.path = path
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard !name.isEmpty else {
      throw TraceError(path: path, byteOffset: 0, message: "trace path names a directory, not a file")
    }
    let random = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    // Same directory as the final path so the rename in commit() cannot
    // cross a file system (rename(2) fails with EXDEV then).
    temporaryPath = "\(directory).\(name).partial-\(getpid())-\(random)"
    do {
      descriptor = try FileDescriptor.open(temporaryPath, .createNew(permissions: 0o644))
    } catch {
      throw TraceError(
        path: path, byteOffset: 0,
        message: "cannot create \(temporaryPath): \(Self.errnoText(error))")
    }
    PartialTraces.register(temporaryPath)
    buffer.reserveCapacity(Self.bufferSize)

    var options = OptionWriter()
    try options.add(PcapngFormat.optComment, string: sectionComment, path: path)
    try options.add(PcapngFormat.shbHardware, string: hardware, path: path)
    try options.add(PcapngFormat.shbOS, string: os, path: path)
    try options.add(PcapngFormat.shbUserApplication, string: application, path: path)
    var body: [UInt8] = []
    Self.append32(PcapngFormat.byteOrderMagic, to: &body)
    Self.append16(1, to: &body)  // major version
    Self.append16(0, to: &body)  // minor version
    // Section length -1: unknown, because the section is written as it goes.
    Self.append32(0xFFFF_FFFF, to: &body)
    Self.append32(0xFFFF_FFFF, to: &body)
    try writeBlock(type: PcapngFormat.sectionHeaderBlock, body: body, options: options)
  }

  deinit {
    if !finished { abandon() }
  }

  /// Writes an Interface Description Block and returns the interface id
  /// that packets and statistics for it must use (0, 1, 2… in order).
  ///
  /// Timestamps of this interface are in nanoseconds (`if_tsresol` = 9).
  ///
  /// - Parameters:
  ///   - name: `if_name`; netdrill uses `namespace/device`, e.g. `host/lo`.
  ///   - linkType: the link type of the captured frames.
  ///   - snapLength: the capture's snap length (0 = unlimited).
  ///   - description: `if_description`, omitted when `nil`.
  @discardableResult
  public func addInterface(
    name: String,
    linkType: LinkType,
    snapLength: UInt32,
    description: String? = nil
  ) throws -> UInt32 {
    var options = OptionWriter()
    try options.add(PcapngFormat.ifName, string: name, path: path)
    try options.add(PcapngFormat.ifDescription, string: description, path: path)
    options.add(PcapngFormat.ifTimestampResolution, value: [9])
    var body: [UInt8] = []
    Self.append16(linkType.rawValue, to: &body)
    Self.append16(0, to: &body)
    Self.append32(snapLength, to: &body)
    try writeBlock(type: PcapngFormat.interfaceDescriptionBlock, body: body, options: options)
    interfaces.append(linkType)
    return UInt32(interfaces.count - 1)
  }

  /// Writes an Enhanced Packet Block.
  ///
  /// - Parameters:
  ///   - interface: an id returned by ``addInterface(name:linkType:snapLength:description:)``.
  ///   - timestampNanoseconds: nanoseconds since the Unix epoch.
  ///   - originalLength: the packet's length on the wire, at least `data.count`.
  ///   - data: the captured bytes (possibly cut at the snap length).
  ///   - comment: `opt_comment`, e.g. `step 3: send client → 127.0.0.1:9`.
  public func writePacket(
    interface: UInt32,
    timestampNanoseconds: UInt64,
    originalLength: UInt32,
    data: UnsafeRawBufferPointer,
    comment: String? = nil
  ) throws {
    try checkInterface(interface)
    guard data.count <= PcapngFormat.maximumBlockLength - 64 else {
      throw error("packet of \(data.count) bytes is larger than a trace block may be")
    }
    guard UInt64(originalLength) >= UInt64(data.count) else {
      throw error("original length \(originalLength) is less than the \(data.count) captured bytes")
    }
    var options = OptionWriter()
    try options.add(PcapngFormat.optComment, string: comment, path: path)
    var header: [UInt8] = []
    header.reserveCapacity(20)
    Self.append32(interface, to: &header)
    Self.append32(UInt32(truncatingIfNeeded: timestampNanoseconds >> 32), to: &header)
    Self.append32(UInt32(truncatingIfNeeded: timestampNanoseconds), to: &header)
    Self.append32(UInt32(data.count), to: &header)
    Self.append32(originalLength, to: &header)
    try writeBlock(
      type: PcapngFormat.enhancedPacketBlock, body: header, payload: data, options: options)
  }

  /// Writes an Enhanced Packet Block from an array, like the
  /// `UnsafeRawBufferPointer` variant; `originalLength` defaults to `data.count`.
  public func writePacket(
    interface: UInt32,
    timestampNanoseconds: UInt64,
    originalLength: UInt32? = nil,
    data: [UInt8],
    comment: String? = nil
  ) throws {
    try data.withUnsafeBytes { bytes in
      try writePacket(
        interface: interface,
        timestampNanoseconds: timestampNanoseconds,
        originalLength: originalLength ?? UInt32(clamping: bytes.count),
        data: bytes,
        comment: comment)
    }
  }

  /// Writes an Interface Statistics Block, e.g. libpcap's `pcap_stats`
  /// at the end of a capture.
  ///
  /// - Parameters:
  ///   - received: `isb_ifrecv`, packets the capture saw; omitted when `nil`.
  ///   - dropped: `isb_ifdrop`, packets dropped for lack of buffer; omitted when `nil`.
  public func writeInterfaceStatistics(
    interface: UInt32,
    timestampNanoseconds: UInt64,
    received: UInt64?,
    dropped: UInt64?,
    comment: String? = nil
  ) throws {
    try checkInterface(interface)
    var options = OptionWriter()
    try options.add(PcapngFormat.optComment, string: comment, path: path)
    if let received { options.add(PcapngFormat.isbIfReceived, value: Self.bytes64(received)) }
    if let dropped { options.add(PcapngFormat.isbIfDropped, value: Self.bytes64(dropped)) }
    var body: [UInt8] = []
    Self.append32(interface, to: &body)
    Self.append32(UInt32(truncatingIfNeeded: timestampNanoseconds >> 32), to: &body)
    Self.append32(UInt32(truncatingIfNeeded: timestampNanoseconds), to: &body)
    try writeBlock(type: PcapngFormat.interfaceStatisticsBlock, body: body, options: options)
  }

  /// Writes netdrill's metadata (scenario, outcomes, address map…) as a
  /// pcapng Custom Block that editors may copy (type `0x00000BAD`).
  ///
  /// Layout after the block header: ``netdrillPEN`` (4 bytes), the magic
  /// `NDM1`, the JSON length (4 bytes, file byte order) and the JSON,
  /// padded with zeros to 4 bytes. The length is needed because pcapng
  /// pads custom data and does not record its exact size.
  ///
  /// Wireshark (4.0) lists the block as a record of its own ("PCAPNG
  /// Custom Block N", with `frame.cb_pen` = 32473) after the packets, so
  /// `tshark` frame counts are one higher than the packet count; filter
  /// with `-Y '!frame.cb_pen'` to see packets only.
  public func writeManifest(_ json: [UInt8]) throws {
    guard json.count <= PcapngFormat.maximumBlockLength - 64 else {
      throw error("manifest of \(json.count) bytes is larger than a trace block may be")
    }
    var body: [UInt8] = []
    Self.append32(Self.netdrillPEN, to: &body)
    body += PcapngFormat.manifestMagic
    Self.append32(UInt32(json.count), to: &body)
    try json.withUnsafeBytes { payload in
      try writeBlock(
        type: PcapngFormat.customBlockCopiable, body: body, payload: payload,
        options: OptionWriter())
    }
  }

  /// Flushes, `fsync`s and renames the temporary file to ``path``.
  ///
  /// After this the writer accepts nothing more.
  public func commit() throws {
    try checkOpen()
    try flush()
    // checkOpen() has just made sure the file is open.
    guard let descriptor else { return }
    do {
      try descriptor.synchronize()
    } catch {
      throw self.error("fsync failed: \(Self.errnoText(error))")
    }
    self.descriptor = nil
    do {
      try descriptor.closeReportingError()
    } catch {
      abandon()
      throw self.error("close failed: \(Self.errnoText(error))")
    }
    if case .failure(let code) = syscall({ rename(temporaryPath, path) }) {
      abandon()
      throw error("cannot rename \(temporaryPath) to \(path): \(Self.errnoText(code))")
    }
    PartialTraces.unregister(temporaryPath)
    finished = true
  }

  /// Closes and deletes the temporary file; the final path is untouched.
  /// Safe to call more than once; does nothing after ``commit()``.
  public func abandon() {
    guard !finished else { return }
    finished = true
    descriptor?.close()
    descriptor = nil
    unlink(temporaryPath)
    PartialTraces.unregister(temporaryPath)
    buffer = []
  }

  // MARK: - Block encoding

  private func writeBlock(
    type: UInt32, body: [UInt8], payload: UnsafeRawBufferPointer? = nil, options: OptionWriter
  ) throws {
    try checkOpen()
    let payloadCount = payload?.count ?? 0
    let padding = (4 - payloadCount % 4) % 4
    let optionBytes = options.finished()
    let total = 12 + body.count + payloadCount + padding + optionBytes.count
    guard total <= PcapngFormat.maximumBlockLength else {
      throw error("block of \(total) bytes is larger than a trace block may be")
    }
    Self.append32(type, to: &buffer)
    Self.append32(UInt32(total), to: &buffer)
    buffer += body
    if let payload, payloadCount > 0 {
      // Large payloads bypass the buffer so memory stays one buffer's worth.
      if payloadCount >= Self.bufferSize {
        try flush()
        try writeAll(payload)
      } else {
        buffer.append(contentsOf: payload)
      }
    }
    buffer += repeatElement(0, count: padding)
    buffer += optionBytes
    Self.append32(UInt32(total), to: &buffer)
    if buffer.count >= Self.bufferSize { try flush() }
  }

  private func flush() throws {
    guard !buffer.isEmpty else { return }
    try buffer.withUnsafeBytes { try writeAll($0) }
    buffer.removeAll(keepingCapacity: true)
  }

  private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
    guard let descriptor else { throw error("the trace writer is already committed or abandoned") }
    do {
      try descriptor.writeAll(bytes)
    } catch {
      throw self.error("write to \(temporaryPath) failed: \(Self.errnoText(error))")
    }
    bytesWritten += UInt64(bytes.count)
  }

  private func checkOpen() throws {
    guard !finished, descriptor != nil else {
      throw error("the trace writer is already committed or abandoned")
    }
  }

  private func checkInterface(_ interface: UInt32) throws {
    guard interface < UInt32(interfaces.count) else {
      throw error("interface \(interface) was never added (\(interfaces.count) interfaces so far)")
    }
  }

  private func error(_ message: String) -> TraceError {
    TraceError(path: path, byteOffset: bytesWritten + UInt64(buffer.count), message: message)
  }

  static func errnoText(_ error: Errno) -> String {
    "\(error.message) (errno \(error.rawValue))"
  }

  static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
  }

  static func append32(_ value: UInt32, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
  }

  static func bytes64(_ value: UInt64) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
  }

  /// Collects pcapng options (code, length, value, padding) for one block.
  private struct OptionWriter {
    private var bytes: [UInt8] = []

    mutating func add(_ code: UInt16, string: String?, path: String) throws {
      guard let string else { return }
      let utf8 = Array(string.utf8)
      guard utf8.count <= Int(UInt16.max) else {
        throw TraceError(
          path: path, byteOffset: 0,
          message: "option text of \(utf8.count) bytes exceeds the pcapng limit of 65535")
      }
      add(code, value: utf8)
    }

    mutating func add(_ code: UInt16, value: [UInt8]) {
      PcapngWriter.append16(code, to: &bytes)
      PcapngWriter.append16(UInt16(value.count), to: &bytes)
      bytes += value
      bytes += repeatElement(0, count: (4 - value.count % 4) % 4)
    }

    /// The options followed by `opt_endofopt`, or nothing when there are none.
    func finished() -> [UInt8] {
      guard !bytes.isEmpty else { return [] }
      return bytes + [0, 0, 0, 0]
    }
  }
}
