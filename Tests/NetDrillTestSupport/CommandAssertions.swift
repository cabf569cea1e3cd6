import Foundation
import Testing

/// Parts of netdrill's output that change from run to run, replaced by a fixed placeholder before
/// outputs are compared whole.
public struct OutputMask: Sendable {
  public let pattern: String
  public let replacement: String

  public init(_ pattern: String, _ replacement: String) {
    self.pattern = pattern
    self.replacement = replacement
  }

  /// Durations such as `12ms`, `0.4s`, `1.503 ms` or `250µs`.
  public static let durations = OutputMask(#"\b\d+(\.\d+)? ?(ns|µs|us|ms|s)\b"#, "<time>")
  /// The per-test folder under the temporary directory (its name holds a UUID); what follows it stays.
  public static let temporaryPaths = OutputMask(
    NSRegularExpression.escapedPattern(for: FileManager.default.temporaryDirectory.path) + #"/[^/\s:'",)]+"#,
    "<tmp>")
  /// The `+seconds` column of `netdrill show`.
  public static let relativeTimes = OutputMask(#"(?m)^\+\d+\.\d+"#, "+<t>")
  /// Ephemeral ports (32768–60999 on Linux), after a colon or the word port.
  public static let ephemeralPorts = OutputMask(#"(?<=[:. ])(3[2-9]\d{3}|[4-5]\d{4}|60\d{3})\b"#, "<port>")
  /// The kernel release in a trace's header line (`Linux 6.8.0-45-generic,`).
  public static let kernelVersion = OutputMask(#"(?<=Linux )[^\s,]+"#, "<kernel>")

  /// What every whole-output comparison masks unless told otherwise.
  public static let standard: [OutputMask] = [temporaryPaths, relativeTimes, kernelVersion, durations]

  public func apply(_ text: String) -> String {
    text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
  }
}

/// Masks the volatile parts of `text`.
public func masked(_ text: String, _ masks: [OutputMask] = OutputMask.standard) -> String {
  masks.reduce(text) { $1.apply($0) }
}

/// Runs the built `netdrill` with `arguments` and checks its whole standard output, whole standard error
/// and exit code after masking, as swift-argument-parser's `AssertExecuteCommand` does: a changed line,
/// an extra line or a missing line fails, not only a missing fragment. The first differing line is named.
@discardableResult
public func assertNetdrill(
  _ arguments: [String], exitCode: Int32, output: String? = nil, error: String? = "",
  masks: [OutputMask] = OutputMask.standard, timeout: TimeInterval = 120,
  sourceLocation: SourceLocation = #_sourceLocation
) throws -> CommandResult {
  let result = try Command.netdrill(arguments, timeout: timeout, sourceLocation: sourceLocation)
  #expect(
    result.status == exitCode && !result.signalled,
    "netdrill \(arguments.joined(separator: " ")) exited \(result.status), expected \(exitCode)\n\(result.standardOutput)\n\(result.standardError)",
    sourceLocation: sourceLocation)
  if let output {
    assertSameText(masked(result.standardOutput, masks), output, "standard output", sourceLocation: sourceLocation)
  }
  if let error {
    assertSameText(masked(result.standardError, masks), error, "standard error", sourceLocation: sourceLocation)
  }
  return result
}

/// Compares two texts line by line and names the first difference.
public func assertSameText(
  _ actual: String, _ expected: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  guard actual != expected else { return }
  let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
  let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
  let index =
    zip(actualLines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
    ?? min(actualLines.count, expectedLines.count)
  let got = index < actualLines.count ? String(actualLines[index]) : "<end>"
  let wanted = index < expectedLines.count ? String(expectedLines[index]) : "<end>"
  Issue.record(
    "\(what) differs at line \(index + 1):\n  expected: \(wanted)\n  actual:   \(got)\n--- whole \(what) ---\n\(actual)",
    sourceLocation: sourceLocation)
}
