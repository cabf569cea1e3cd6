import NetDrillSystem

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A text file written under a temporary name beside its path and renamed
/// into place only when complete: a failed or interrupted write leaves the
/// named file as it was (absent, or the previous version), never half a page.
final class AtomicTextFile {
  let path: String
  private let temporaryPath: String
  private var descriptor: FileDescriptor?
  private var buffer: [UInt8] = []
  private static let flushSize = 1 << 16

  init(path: String) throws(LadderError) {
    self.path = path
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard !name.isEmpty else { throw LadderError(path: path, message: "names a directory, not a file") }
    // Same directory, so rename(2) cannot cross a file system.
    temporaryPath = "\(directory).\(name).partial-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    do {
      descriptor = try FileDescriptor.open(temporaryPath, .createNew(permissions: 0o644))
    } catch {
      throw LadderError(path: path, message: "cannot create \(temporaryPath): \(error)")
    }
    buffer.reserveCapacity(Self.flushSize + 4096)
  }

  /// Appends text; written out in large chunks.
  func write(_ text: String) throws(LadderError) {
    var text = text
    text.withUTF8 { buffer.append(contentsOf: $0) }
    if buffer.count >= Self.flushSize { try flush() }
  }

  private func flush() throws(LadderError) {
    guard let descriptor, !buffer.isEmpty else { return }
    do {
      try descriptor.writeAll(buffer)
    } catch {
      abandon()
      throw LadderError(path: path, message: "cannot write \(temporaryPath): \(error)")
    }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Writes what is left and renames the file into place.
  func commit() throws(LadderError) {
    try flush()
    guard let descriptor else { return }
    self.descriptor = nil
    do {
      try descriptor.closeReportingError()
    } catch {
      unlink(temporaryPath)
      throw LadderError(path: path, message: "cannot close \(temporaryPath): \(error)")
    }
    if rename(temporaryPath, path) != 0 {
      let code = errno
      unlink(temporaryPath)
      throw LadderError(
        path: path, message: "cannot rename \(temporaryPath) to \(path): \(String(cString: strerror(code)))")
    }
  }

  /// Deletes the temporary file; the named file is untouched.
  func abandon() {
    guard let descriptor else { return }
    self.descriptor = nil
    descriptor.close()
    unlink(temporaryPath)
  }

  deinit { abandon() }
}

/// A ladder page that could not be written (exit code 2).
public struct LadderError: Error, CustomStringConvertible, Sendable {
  public var path: String
  public var message: String
  public var description: String { "\(path): \(message)" }
}
