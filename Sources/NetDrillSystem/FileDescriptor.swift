import Glibc
import SystemPackage

/// An open file descriptor that netdrill owns, with typed errors in netdrill's
/// own `Errno` (the one scenarios, outcomes and messages speak).
///
/// The calls are swift-system's (`SystemPackage.FileDescriptor`): it retries
/// EINTR where that is right (`read`, `write`, `open`, `fstat`) and never for
/// `close`, and it reaches `pipe2(2)` through its own C shim. This type only
/// maps its errors to netdrill's `Errno` and adds what netdrill needs on top:
/// writing a whole buffer, opening a regular file without blocking, and
/// close-on-exec everywhere.
public struct FileDescriptor: RawRepresentable, Hashable, Sendable {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }

  private var system: SystemPackage.FileDescriptor { SystemPackage.FileDescriptor(rawValue: rawValue) }

  /// How a file is opened, besides `O_CLOEXEC`, which every open has (no
  /// program netdrill starts may inherit a descriptor by accident).
  public enum Access: Sendable {
    /// `O_RDONLY | O_NONBLOCK`: opening a FIFO does not wait for a writer.
    case readNonBlocking
    /// `O_WRONLY`: an existing file (a /proc control file, for instance).
    case writeExisting
    /// `O_WRONLY | O_CREAT | O_EXCL` with `permissions`: a new file, never one already there.
    case createNew(permissions: UInt16)
    /// `O_RDONLY`: an existing file, blocking reads.
    case read
  }

  /// Opens `path`. A path containing NUL is refused with EINVAL: it would
  /// otherwise be cut short silently and open some other file.
  public static func open(_ path: String, _ access: Access) throws(Errno) -> FileDescriptor {
    guard !path.utf8.contains(0) else { throw Errno(rawValue: EINVAL) }
    let filePath = FilePath(path)
    do {
      switch access {
      case .readNonBlocking:
        return FileDescriptor(
          try SystemPackage.FileDescriptor.open(filePath, .readOnly, options: [.closeOnExec, .nonBlocking]))
      case .read:
        return FileDescriptor(try SystemPackage.FileDescriptor.open(filePath, .readOnly, options: [.closeOnExec]))
      case .writeExisting:
        return FileDescriptor(try SystemPackage.FileDescriptor.open(filePath, .writeOnly, options: [.closeOnExec]))
      case .createNew(let permissions):
        return FileDescriptor(
          try SystemPackage.FileDescriptor.open(
            filePath, .writeOnly, options: [.closeOnExec, .create, .exclusiveCreate],
            permissions: FilePermissions(rawValue: CModeT(permissions))))
      }
    } catch {
      throw Errno(error)
    }
  }

  /// A pipe whose two ends are close-on-exec from birth (`pipe2(O_CLOEXEC)`),
  /// so no program started at the same moment by another thread inherits them.
  /// The one way netdrill makes a pipe.
  public static func pipe() throws(Errno) -> (readEnd: FileDescriptor, writeEnd: FileDescriptor) {
    do {
      let ends = try SystemPackage.FileDescriptor.pipe(options: .closeOnExec)
      return (FileDescriptor(ends.readEnd), FileDescriptor(ends.writeEnd))
    } catch {
      throw Errno(error)
    }
  }

  private init(_ system: SystemPackage.FileDescriptor) { rawValue = system.rawValue }

  /// Reads up to `buffer.count` bytes; 0 means end of file. EINTR is retried.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
    do { return try system.read(into: buffer) } catch { throw Errno(error) }
  }

  /// Reads into `bytes[offset...]` and returns how many bytes were read; 0 means end of file.
  public func read(into bytes: inout [UInt8], at offset: Int = 0) throws(Errno) -> Int {
    // withUnsafeMutableBytes rethrows untyped errors: carry the Errno out in a Result.
    try bytes.withUnsafeMutableBytes { raw in
      Result { () throws(Errno) in try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[offset...])) }
    }.get()
  }

  /// Writes up to `buffer.count` bytes and returns how many were written. EINTR is retried.
  public func write(_ buffer: UnsafeRawBufferPointer) throws(Errno) -> Int {
    do { return try system.write(buffer) } catch { throw Errno(error) }
  }

  /// Writes the whole buffer, however many write(2) calls that takes.
  public func writeAll(_ buffer: UnsafeRawBufferPointer) throws(Errno) {
    var done = 0
    while done < buffer.count {
      done += try write(UnsafeRawBufferPointer(rebasing: buffer[done...]))
    }
  }

  /// Writes all of `bytes`, however many write(2) calls that takes.
  public func writeAll(_ bytes: [UInt8]) throws(Errno) {
    // withUnsafeBytes rethrows untyped errors: carry the Errno out in a Result.
    try bytes.withUnsafeBytes { raw in Result { () throws(Errno) in try writeAll(raw) } }.get()
  }

  /// Reads until end of file, refusing more than `limit` bytes (nil when the file is larger).
  public func readToEnd(limit: Int) throws(Errno) -> [UInt8]? {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let count = try read(into: &chunk)
      if count == 0 { return bytes }
      bytes.append(contentsOf: chunk[0..<count])
      if bytes.count > limit { return nil }
    }
  }

  /// What fstat(2) says about the open file.
  public func status() throws(Errno) -> FileStatus {
    do {
      let stat = try system.stat()
      return FileStatus(isRegular: stat.type == .regular, size: UInt64(clamping: stat.size), mode: stat.mode.rawValue)
    } catch {
      throw Errno(error)
    }
  }

  /// Closes the descriptor. Never retried on EINTR (Linux releases the
  /// descriptor either way), and errors are ignored: there is nothing to do about them.
  public func close() {
    closeDescriptor(rawValue)
  }

  /// Closes the descriptor and reports a failure (EIO on a file whose last
  /// writes could not be stored, for instance). Never retried on EINTR.
  public func closeReportingError() throws(Errno) {
    _ = try syscall(retryOnInterrupt: false) { Glibc.close(rawValue) }.get()
  }

  /// Flushes the file's data to its storage (fsync(2)).
  public func synchronize() throws(Errno) {
    _ = try syscall { fsync(rawValue) }.get()
  }
}

/// The part of fstat(2) netdrill uses.
public struct FileStatus: Sendable {
  public let isRegular: Bool
  public let size: UInt64
  public let mode: mode_t

  /// What kind of file this is, for messages about files that are not regular ("a FIFO (named pipe)").
  public var kindDescription: String {
    switch mode & S_IFMT {
    case S_IFREG: return "a regular file"
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    default: return "a special file"
    }
  }
}

/// Why a file could not be opened as a regular file.
public enum RegularFileError: Error, Equatable, Sendable {
  /// open(2) failed.
  case cannotOpen(Errno)
  /// fstat(2) failed on the open descriptor.
  case cannotStat(Errno)
  /// The file is a directory, FIFO, device or socket; the text says which ("a directory").
  case notRegular(kind: String)
}

extension FileDescriptor {
  /// Opens `path` for reading only if it is a regular file, without ever
  /// blocking: a FIFO or a device would block open(2) or read(2) forever, or
  /// never end. `O_NONBLOCK` keeps open(2) from waiting for a FIFO's writer,
  /// and the type is checked on the open descriptor, so the file checked is
  /// the file read (no window to swap it between a stat and the open).
  /// Returns the descriptor (the caller closes it) and the file's size.
  public static func openRegularFile(_ path: String) throws(RegularFileError) -> (
    descriptor: FileDescriptor, size: UInt64
  ) {
    let descriptor: FileDescriptor
    do { descriptor = try open(path, .readNonBlocking) } catch { throw .cannotOpen(error) }
    let status: FileStatus
    do {
      status = try descriptor.status()
    } catch {
      descriptor.close()
      throw .cannotStat(error)
    }
    guard status.isRegular else {
      descriptor.close()
      throw .notRegular(kind: status.kindDescription)
    }
    return (descriptor, status.size)
  }
}

extension Errno {
  /// netdrill's errno for an error swift-system threw (always its `Errno`).
  init(_ error: any Error) {
    if let system = error as? SystemPackage.Errno {
      self.init(rawValue: system.rawValue)
    } else {
      // swift-system throws nothing but its Errno; EIO stands for anything else.
      self.init(rawValue: EIO)
    }
  }
}
