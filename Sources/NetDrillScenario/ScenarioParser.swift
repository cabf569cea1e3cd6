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
    let opened: (descriptor: FileDescriptor, size: UInt64)
    do {
      opened = try FileDescriptor.openRegularFile(path)
    } catch {
      switch error {
      case .cannotOpen(let error): throw failure("cannot open the scenario: \(error.message) (\(error.name))")
      case .cannotStat(let error): throw failure("cannot read the scenario: \(error.message) (\(error.name))")
      case .notRegular(let kind): throw failure("expected a regular file with a scenario, found \(kind)")
      }
    }
    defer { opened.descriptor.close() }
    let bytes: [UInt8]?
    do {
      bytes = try opened.descriptor.readToEnd(limit: maximumFileSize)
    } catch {
      throw failure("cannot read the scenario: \(error.message) (\(error.name))")
    }
    guard let bytes else {
      throw failure("the file is larger than \(maximumFileSize / 1024 / 1024) MiB; is it really a scenario?")
    }
    return bytes
  }
}
