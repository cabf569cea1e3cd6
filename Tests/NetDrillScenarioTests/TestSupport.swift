import Foundation
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// Locations and helpers shared by the scenario tests.
enum TestSupport {
  /// This test target's directory, whichever checkout it was copied into.
  static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

  /// Hand-written sample scenarios that belong to these tests.
  static let fixturesDirectory = testsDirectory.appendingPathComponent("Fixtures")

  static func jsonFiles(under directory: URL) -> [URL] { TestPaths.jsonFiles(under: directory) }

  static func read(_ url: URL) throws -> [UInt8] {
    Array(try Data(contentsOf: url))
  }

  /// Runs `python3 -c script arguments...` (stdout and stderr together); nil if python3 cannot be started.
  static func python(_ script: String, _ arguments: [String]) -> (status: Int32, output: String)? {
    guard let result = try? Command.run("python3", ["-c", script] + arguments) else { return nil }
    return (result.status, result.standardOutput + result.standardError)
  }

  /// Whether `python3 -c 'import jsonschema'` works here.
  static let jsonschemaAvailable: Bool = python("import jsonschema", [])?.status == 0

  /// Parses `text`, expecting failure; returns the errors (empty if it parsed).
  static func errors(parsing text: String, file: String? = nil) -> [ScenarioError] {
    do {
      _ = try ScenarioParser.parse(data: Array(text.utf8), file: file)
      return []
    } catch {
      return error.errors
    }
  }
}
