import Glibc
import NetDrillEngine

/// Where a command's text goes: `standard` writes to the process's standard
/// output and standard error; a library user may collect the text instead.
public struct CommandConsole: Sendable {
  private let writeOutput: @Sendable (String) -> Void
  private let writeError: @Sendable (String) -> Void

  /// Each sink receives whole lines, newline included.
  public init(output: @escaping @Sendable (String) -> Void, error: @escaping @Sendable (String) -> Void) {
    writeOutput = output
    writeError = error
  }

  /// Standard output through Swift's `print` (buffered), standard error
  /// unbuffered with write(2), so a message is out before the process exits.
  public static let standard = CommandConsole(
    output: { Swift.print($0, terminator: "") },
    error: { text in
      let bytes = Array(text.utf8)
      _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    })

  /// Writes `text` and a newline to standard output. Reports escape what
  /// they quote themselves (`TerminalText`).
  public func print(_ text: String = "") {
    writeOutput(text + "\n")
  }

  /// Writes `text` to standard output as it is (a chunk of whole lines).
  public func write(_ text: String) {
    writeOutput(text)
  }

  /// Writes a message to standard error line by line, each line escaped for
  /// the terminal: messages quote scenario and trace text, which may be untrusted.
  public func error(_ text: String) {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      .map { TerminalText.escape(String($0)) }.joined(separator: "\n")
    if !lines.hasSuffix("\n") { lines += "\n" }
    writeError(lines)
  }

  /// Writes why a command cannot go on and gives the status that says so.
  func badInput(_ message: String) -> CommandStatus {
    error(message)
    return .badInput
  }
}
