import Glibc
import NetDrillEngine

/// How a command ended; its raw value is the process's exit code, which is
/// part of netdrill's interface.
///
/// It is also the error a command's steps throw to stop early, once they have
/// written why: `CommandStatus.of` turns it back into the result.
public enum CommandStatus: Int32, Error, Sendable {
  /// Every expectation held; the traces are the same.
  case success = 0
  /// An expectation failed, a trace differs, or a capture dropped packets.
  case failure = 1
  /// Bad input or environment; standard error says what.
  case badInput = 2

  /// `.success` if `passed`, else `.failure`.
  init(passed: Bool) { self = passed ? .success : .failure }

  /// Runs a command's steps; a status they throw is the result, any other error is passed on.
  static func of(_ steps: () throws -> CommandStatus) throws -> CommandStatus {
    do {
      return try steps()
    } catch let status as CommandStatus {
      return status
    }
  }
}

/// How a command prints its result.
public enum OutputFormat: Sendable {
  /// Reports for a reader, coloured or not.
  case text(TextStyle)
  /// One JSON document (`JSONOutput`).
  case json

  /// `--color`: when reports are coloured.
  public enum Color: String, Sendable, CaseIterable {
    /// On a terminal, unless NO_COLOR is set (no-color.org).
    case auto, always, never
  }

  /// The format `--json` and `--color` ask for.
  public init(json: Bool, color: Color) {
    guard !json else {
      self = .json
      return
    }
    switch color {
    case .always: self = .text(TextStyle(enabled: true))
    case .never: self = .text(TextStyle(enabled: false))
    case .auto: self = .text(TextStyle(enabled: isatty(STDOUT_FILENO) == 1 && getenv("NO_COLOR") == nil))
    }
  }

  public var isJSON: Bool {
    if case .json = self { return true }
    return false
  }
}
