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
  private var descriptor: Int32
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
    // Only regular files are traces: opening a FIFO for reading would wait
    // for a writer (hence O_NONBLOCK), and a device may never end. The type
    // is checked on the open descriptor, so the file checked is the file read.
    descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    if descriptor < 0 {
      let code = errno
      throw TraceError(
        path: path, byteOffset: 0, message: "cannot open: \(PcapngWriter.errnoText(code))")
    }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      let code = errno
      close(descriptor)
      throw TraceError(path: path, byteOffset: 0, message: "cannot read: \(PcapngWriter.errnoText(code))")
    }
    guard status.st_mode & S_IFMT == S_IFREG else {
      close(descriptor)
      throw TraceError(
        path: path, byteOffset: 0,
        message: "expected a regular file with a pcapng or pcap trace, found \(Self.kind(of: status.st_mode))")
    }
    storage = [UInt8](repeating: 0, count: Self.chunkSize)
    atEnd = false
    fileSize = UInt64(status.st_size)
  }

  private static func kind(of mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    default: return "a special file"
    }
  }

  init(bytes: [UInt8], name: String) {
    path = name
    descriptor = -1
    storage = bytes
    tail = bytes.count
    atEnd = true
  }

  deinit {
    if descriptor >= 0 { close(descriptor) }
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
      let spare = storage.count - tail
      let result = storage.withUnsafeMutableBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return read(descriptor, base + tail, spare)
      }
      if result < 0 {
        let code = errno
        if code == EINTR { continue }
        throw TraceError(
          path: path, byteOffset: offset + UInt64(tail - head),
          message: "read failed: \(PcapngWriter.errnoText(code))")
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

  /// Drops `count` buffered bytes (at most what is buffered).
  func consume(_ count: Int) {
    let step = min(max(count, 0), tail - head)
    head += step
    offset += UInt64(step)
  }
}
