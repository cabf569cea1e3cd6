import Glibc
import NetDrillSockets

/// Reads a scenario file (format `"netdrill": 1`) into a validated `Scenario`.
///
/// Checks, in this order: the JSON syntax, the format version, then the
/// whole document — unknown keys (with the nearest valid one suggested),
/// value types and ranges, and references (every socket a step names exists
/// by then, every address name was defined by an earlier step, `quotes`
/// points back at an earlier packet). Every problem found is reported, each
/// with file, line:column and JSON path, sorted by position in the file.
public enum ScenarioParser {
  /// Scenario files larger than this are refused before parsing: a scenario
  /// is a hand-written file, and this keeps a wrong path from eating memory.
  public static let maximumFileSize = 16 * 1024 * 1024

  /// Parses scenario text. `file` is used in messages and kept as `Scenario.sourcePath`.
  /// - Throws: `ScenarioErrors` with at least one error.
  public static func parse(data: [UInt8], file: String?) throws(ScenarioErrors) -> Scenario {
    let root: JSONValue
    do {
      root = try JSONValue.parse(data)
    } catch {
      throw ScenarioErrors([
        ScenarioError(file: file, at: error.position, path: error.path, message: error.message)
      ])
    }
    let decoder = ScenarioDecoder(file: file)
    let scenario = decoder.decodeScenario(root)
    if let scenario, decoder.errors.isEmpty { return scenario }
    // Each part of the document is checked in its own pass (sockets, steps,
    // packets), so sort to print problems in file order.
    let sorted = decoder.errors.enumerated().sorted {
      ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
    }.map(\.element)
    throw ScenarioErrors(sorted.isEmpty ? [decoder.internalError()] : sorted)
  }

  /// Reads and parses the scenario file at `path`. A file that cannot be read
  /// is reported as a `ScenarioError` (line 0) like any other problem.
  /// - Throws: `ScenarioErrors` with at least one error.
  public static func parse(file path: String) throws(ScenarioErrors) -> Scenario {
    let bytes = try readSource(file: path)
    return try parse(data: bytes, file: path)
  }

  /// The bytes of the scenario file at `path`, which must be a regular file:
  /// a FIFO or a device would block `open(2)` or `read(2)` forever, or never
  /// end. Problems are reported like any other (line 0, path `$`).
  /// - Throws: `ScenarioErrors` with one error.
  public static func readSource(file path: String) throws(ScenarioErrors) -> [UInt8] {
    func failure(_ message: String) -> ScenarioErrors {
      ScenarioErrors([ScenarioError(file: path, line: 0, column: 0, path: JSONPath.root, message: message)])
    }
    // A NUL would silently cut the C path short and open some other file.
    guard !path.isEmpty, !path.utf8.contains(0) else { throw failure("not a valid file path") }
    // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer.
    // The type is checked on the descriptor itself, so the file checked is the
    // file read (no window to swap it between a stat and the open).
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else {
      let error = Errno.current
      throw failure("cannot open the scenario: \(error.message) (\(error.name))")
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      let error = Errno.current
      throw failure("cannot read the scenario: \(error.message) (\(error.name))")
    }
    guard status.st_mode & S_IFMT == S_IFREG else {
      throw failure(
        "expected a regular file with a scenario, found \(FileKind.describe(mode: status.st_mode))")
    }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        let error = Errno.current
        if error == .EINTR { continue }
        throw failure("cannot read the scenario: \(error.message) (\(error.name))")
      }
      if count == 0 { return bytes }
      bytes.append(contentsOf: chunk[0..<count])
      if bytes.count > maximumFileSize {
        throw failure("the file is larger than \(maximumFileSize / 1024 / 1024) MiB; is it really a scenario?")
      }
    }
  }
}

/// What kind of file a mode names, for messages about files that are not regular.
enum FileKind {
  static func describe(mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    default: return "a special file"
    }
  }
}
