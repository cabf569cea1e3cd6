#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Collects output text and writes it to a file descriptor in large
/// chunks: a million-line timeline must not cost a million `write` calls.
public final class OutputBuffer {
  private var bytes: [UInt8] = []
  private let descriptor: Int32
  private static let flushSize = 1 << 16

  public init(descriptor: Int32 = STDOUT_FILENO) {
    self.descriptor = descriptor
    bytes.reserveCapacity(Self.flushSize + 4096)
  }

  /// Appends a line (a newline is added).
  public func line(_ text: String) {
    var text = text
    text.withUTF8 { bytes.append(contentsOf: $0) }
    bytes.append(10)
    if bytes.count >= Self.flushSize { flush() }
  }

  /// Writes what is buffered. A closed pipe ends the output quietly.
  public func flush() {
    var done = 0
    while done < bytes.count {
      let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + done, $0.count - done) }
      if written < 0 && errno == EINTR { continue }
      if written <= 0 { break }
      done += written
    }
    bytes.removeAll(keepingCapacity: true)
  }

  deinit { flush() }
}
