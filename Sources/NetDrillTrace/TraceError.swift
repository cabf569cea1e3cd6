/// A failure reading or writing a trace file, naming the file and the byte
/// offset where it happened so a person can look at the bytes.
public struct TraceError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The trace file's path as the caller gave it (or `<memory>`).
  public var path: String
  /// The byte offset in the file the problem refers to: the start of the
  /// bad block or record when reading, the bytes written so far when writing.
  public var byteOffset: UInt64
  /// What went wrong, in words.
  public var message: String

  /// Creates an error for `path` at `byteOffset`.
  public init(path: String, byteOffset: UInt64, message: String) {
    self.path = path
    self.byteOffset = byteOffset
    self.message = message
  }

  /// `trace.pcapng: byte 1234: block length 7 is not a multiple of 4`.
  public var description: String {
    "\(path): byte \(byteOffset): \(message)"
  }
}
