#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif
import NetDrillSystem

/// Finds netdrill's manifest block at the end of a pcapng trace without
/// reading the packets before it.
///
/// netdrill writes the manifest last, and every pcapng block ends with its
/// own length, so the blocks can be walked backwards from the end of the
/// file: a streaming reader then knows the run's endpoint names before the
/// first packet, and the file is read once. Only the last few blocks are
/// looked at; a file whose tail does not hold a manifest is a foreign capture.
public enum TrailingManifest {
  /// How many blocks from the end are looked at.
  static let blocksLookedAt = 4

  /// The manifest JSON and the byte offset of its block, or `nil` when the
  /// last blocks of the file hold none (a classic pcap, another tool's pcapng).
  public static func find(path: String) throws -> (json: [UInt8], byteOffset: UInt64)? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else { return nil }  // The streaming reader reports why.
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
    let size = UInt64(status.st_size)
    guard let magic = read(descriptor, at: 0, count: 12),
      ByteCursor(magic, bigEndian: false).u32(0) == PcapngFormat.sectionHeaderBlock
    else { return nil }
    // The section's byte order; files with several sections are rare and
    // netdrill writes one.
    let bigEndian = ByteCursor(magic, bigEndian: false).u32(8) == PcapngFormat.byteOrderMagic.byteSwapped
    var end = size
    for _ in 0..<blocksLookedAt {
      guard end >= 12, let trailer = read(descriptor, at: end - 4, count: 4),
        let length = ByteCursor(trailer, bigEndian: bigEndian).u32(0),
        length >= 12, length % 4 == 0, UInt64(length) <= end, length <= UInt32(PcapngFormat.maximumBlockLength)
      else { return nil }
      let start = end - UInt64(length)
      guard let head = read(descriptor, at: start, count: 20) else { return nil }
      let cursor = ByteCursor(head, bigEndian: bigEndian)
      guard cursor.u32(4) == length else { return nil }
      let type = cursor.u32(0)
      if type == PcapngFormat.customBlockCopiable || type == PcapngFormat.customBlockNoCopy,
        cursor.u32(8) == PcapngWriter.netdrillPEN, Array(head[12..<16]) == PcapngFormat.manifestMagic
      {
        guard let block = read(descriptor, at: start, count: Int(length)) else { return nil }
        let body = ByteCursor(block, bigEndian: bigEndian)
        guard let jsonLength = body.u32(16), UInt64(jsonLength) <= UInt64(length) - 24 else {
          throw TraceError(
            path: path, byteOffset: start + 16,
            message:
              "in the custom block starting at byte \(start): netdrill manifest length runs past the end of its block")
        }
        return (Array(block[20..<(20 + Int(jsonLength))]), start)
      }
      if type == PcapngFormat.sectionHeaderBlock { return nil }
      end = start
    }
    return nil
  }

  private static func read(_ descriptor: Int32, at offset: UInt64, count: Int) -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
      // EINTR is retried by the door; an error or end of file means no manifest here.
      let result = buffer.withUnsafeMutableBytes { raw in
        // baseAddress: `buffer` holds `count` > 0 bytes, so it has one.
        syscall { pread(descriptor, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
      }
      guard case .success(let got) = result, got > 0 else { return nil }
      done += got
    }
    return buffer
  }
}
