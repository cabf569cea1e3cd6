#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Collects output text and hands it on in large chunks: a million-line
/// timeline must not cost a million writes.
public final class OutputBuffer {
  private var bytes: [UInt8] = []
  private let sink: (String) -> Void
  private static let flushSize = 1 << 16

  /// `sink` receives each chunk (whole lines, newlines included).
  public init(sink: @escaping (String) -> Void) {
    self.sink = sink
    bytes.reserveCapacity(Self.flushSize + 4096)
  }

  /// Appends a line (a newline is added).
  public func line(_ text: String) {
    var text = text
    text.withUTF8 { bytes.append(contentsOf: $0) }
    bytes.append(10)
    if bytes.count >= Self.flushSize { flush() }
  }

  /// Appends text as it is (no newline added).
  public func write(_ text: String) {
    var text = text
    text.withUTF8 { bytes.append(contentsOf: $0) }
    if bytes.count >= Self.flushSize { flush() }
  }

  /// Hands on what is buffered.
  public func flush() {
    guard !bytes.isEmpty else { return }
    sink(String(decoding: bytes, as: UTF8.self))
    bytes.removeAll(keepingCapacity: true)
  }

  deinit { flush() }
}
