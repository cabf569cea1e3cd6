import Testing

@testable import NetDrillScenario

/// One malformed scenario and the first error it must produce: shared by the
/// parser-error tables (scenario, inject, expectation sets).
struct MalformedCase: CustomTestStringConvertible, Sendable {
  /// Steps go on line 4 of this scenario, so a step's column is its column in `step:`.
  static let template = """
    {"netdrill": 1, "name": "t",
    "sockets": {"client": {"type": "udp"}, "server": {"type": "tcp"}, "late": {"type": "udp", "deferred": true}},
    "steps": [
    STEPS
    ]}
    """

  /// `template` with `steps` in place of STEPS.
  static func scenario(steps: String) -> String {
    template.split(separator: "STEPS", omittingEmptySubsequences: false).joined(separator: steps)
  }

  let name: String
  let text: String
  let line: Int
  let column: Int
  let path: String
  let fragment: String
  let suggestion: String?

  /// A whole document.
  init(
    _ name: String, doc: String, at position: (Int, Int), path: String, _ fragment: String,
    suggestion: String? = nil
  ) {
    self.name = name
    self.text = doc
    (self.line, self.column) = position
    self.path = path
    self.fragment = fragment
    self.suggestion = suggestion
  }

  /// One or more steps put into `template`.
  init(
    _ name: String, step: String, at position: (Int, Int), path: String, _ fragment: String,
    suggestion: String? = nil
  ) {
    self.init(name, doc: Self.scenario(steps: step), at: position, path: path, fragment, suggestion: suggestion)
  }

  var testDescription: String { name }

  /// Parses the text as `case.json` and expects the first error to name the
  /// file, this case's line:column and JSON path, its message fragment and
  /// its suggestion (or none).
  func expectRefused(sourceLocation: SourceLocation = #_sourceLocation) throws {
    let errors = TestSupport.errors(parsing: text, file: "case.json")
    let first = try #require(errors.first, "parsed without error", sourceLocation: sourceLocation)
    #expect(first.path == path, sourceLocation: sourceLocation)
    #expect(
      first.line == line && first.column == column, "at \(first.line):\(first.column)", sourceLocation: sourceLocation)
    #expect(first.message.contains(fragment), "message: \(first.message)", sourceLocation: sourceLocation)
    #expect(first.suggestion == suggestion, sourceLocation: sourceLocation)
    #expect(first.file == "case.json", sourceLocation: sourceLocation)
  }
}
