import Foundation
import NetDrillEngine
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// Mutation tests over the bundled scenarios: a scenario passes as written,
/// and with one expected value changed it fails on exactly the checks named.
enum BundledScenarioMutation {
  /// The text of `scenarios/NAME.json`.
  static func source(_ name: String) throws -> String {
    try String(contentsOf: TestPaths.scenarios.appendingPathComponent(name + ".json"), encoding: .utf8)
  }

  /// Runs a scenario text in a fresh private network.
  static func run(_ text: String) throws -> RunResult {
    try ScenarioRunner.run(try ScenarioParser.parse(data: Array(text.utf8), file: "mutated.json"))
  }

  /// Expects `scenario` to pass as written and, with `original` (which must
  /// occur exactly once) replaced by `replacement`, to fail on exactly
  /// `fields` (the failing checks' fields, `|`-separated, in order).
  static func expectFails(
    _ scenario: String, replacing original: String, with replacement: String, on fields: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let text = try source(scenario)
    #expect(
      text.components(separatedBy: original).count == 2, "\(original) must occur once in \(scenario)",
      sourceLocation: sourceLocation)
    #expect(try run(text).passed, "\(scenario) as written", sourceLocation: sourceLocation)
    let result = try run(text.replacingOccurrences(of: original, with: replacement))
    #expect(!result.passed, "\(scenario): \(replacement)", sourceLocation: sourceLocation)
    let failed = result.outcomes.flatMap(\.checks).filter { !$0.passed }.map(\.field)
    #expect(failed.joined(separator: "|") == fields, "\(scenario): \(replacement)", sourceLocation: sourceLocation)
  }
}
