import NetDrillSystem

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A window onto a trace's bytes, refilled from a file descriptor in chunks
/// so that reading a trace never needs the whole file in memory.
final class TraceInput {
  private var storage: [UInt8]
  private var head = 0
  private var tail = 0
  /// The open trace file; nil for a trace in memory.
  private let descriptor: FileDescriptor?
  private var atEnd: Bool
  /// File offset of `storage[head]`.
  private(set) var offset: UInt64 = 0
  let path: String
  /// Size of the file (nil in memory), so a corrupt length field cannot make
  /// the window grow past what the file could ever supply.
  private var fileSize: UInt64?

  static let chunkSize = 256 * 1024

  init(path: String) throws {
    self.path = path
    // Only regular files are traces: a FIFO or a device may block or never end.
    do {
      let opened = try FileDescriptor.openRegularFile(path)
      descriptor = opened.descriptor
      fileSize = opened.size
    } catch {
      switch error {
      case .cannotOpen(let error):
        throw TraceError(path: path, byteOffset: 0, message: "cannot open: \(PcapngWriter.errnoText(error))")
      case .cannotStat(let error):
        throw TraceError(path: path, byteOffset: 0, message: "cannot read: \(PcapngWriter.errnoText(error))")
      case .notRegular(let kind):
        throw TraceError(
          path: path, byteOffset: 0, message: "expected a regular file with a pcapng or pcap trace, found \(kind)")
      }
    }
    storage = [UInt8](repeating: 0, count: Self.chunkSize)
    atEnd = false
  }

  init(bytes: [UInt8], name: String) {
    path = name
    descriptor = nil
    storage = bytes
    tail = bytes.count
    atEnd = true
  }

  deinit {
    descriptor?.close()
  }

  /// Bytes currently buffered from `offset` on.
  var available: Int { tail - head }

  /// Buffers at least `count` bytes unless the file ends first; returns
  /// how many are available (less than `count` only at end of file).
  func fill(_ requested: Int) throws -> Int {
    var count = requested
    if let fileSize {
      let left = fileSize > offset ? fileSize - offset : 0
      count = Int(min(UInt64(requested), max(left, UInt64(tail - head))))
    }
    while tail - head < count && !atEnd {
      if head > 0 {
        // Slide the unread bytes to the front before reading more.
        let remaining = tail - head
        storage.withUnsafeMutableBytes { raw in
          guard let base = raw.baseAddress else { return }
          memmove(base, base + head, remaining)
        }
        head = 0
        tail = remaining
        let wanted = Swift.max(count, Self.chunkSize)
        if storage.count > wanted && tail <= wanted {
          // An earlier huge block grew the window; shrink it back
          // so memory stays bounded by the largest live block.
          storage = Array(storage[0..<wanted])
        }
      }
      if storage.count < count {
        storage += [UInt8](repeating: 0, count: count - storage.count)
      }
      guard let descriptor else { break }  // in memory: everything is already buffered
      let result: Int
      do {
        result = try descriptor.read(into: &storage, at: tail)
      } catch {
        throw TraceError(
          path: path, byteOffset: offset + UInt64(tail - head),
          message: "read failed: \(PcapngWriter.errnoText(error))")
      }
      if result == 0 { atEnd = true }
      tail += result
    }
    return tail - head
  }

  /// Bytes at `head ..< head + count`; the caller has `fill`ed them.
  func peek(_ count: Int) -> [UInt8] {
    let end = head + min(max(count, 0), tail - head)
    return Array(storage[head..<end])
  }

  /// Buffered bytes `head + from ..< head + from + count` as a new array
  /// (clipped to what is buffered); the caller has `fill`ed them. One copy:
  /// the packet reader takes a packet's data straight out of the window.
  func copy(from start: Int, count: Int) -> [UInt8] {
    let lower = head + min(max(start, 0), tail - head)
    let upper = lower + min(max(count, 0), tail - lower)
    return Array(storage[lower..<upper])
  }

  /// The 32-bit value at `head + at` in the given byte order, or nil past
  /// what is buffered. Reads in place, without copying.
  func u32(at position: Int, bigEndian: Bool) -> UInt32? {
    guard position >= 0, position <= tail - head - 4 else { return nil }
    let index = head + position
    let a = UInt32(storage[index]), b = UInt32(storage[index + 1])
    let c = UInt32(storage[index + 2]), d = UInt32(storage[index + 3])
    return bigEndian ? a << 24 | b << 16 | c << 8 | d : d << 24 | c << 16 | b << 8 | a
  }

  /// Drops `count` buffered bytes (at most what is buffered).
  func consume(_ count: Int) {
    let step = min(max(count, 0), tail - head)
    head += step
    offset += UInt64(step)
  }
}
