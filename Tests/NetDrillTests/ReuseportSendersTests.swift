import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// `scenarios/udp/reuseport-32-senders.json`: a repeat makes 32 senders, each
/// on a fresh ephemeral port, and SO_REUSEPORT shares their datagrams between
/// two receivers by a hash with a random key. The split changes every run,
/// so the golden comparison must accept every split its ranges admit.
@Suite("Scenario: 32 senders over SO_REUSEPORT", .privileged, .serialized)
struct ReuseportSendersTests {
  static let name = "udp/reuseport-32-senders"

  private func source() throws -> String {
    try String(contentsOf: TestPaths.scenarios.appendingPathComponent(Self.name + ".json"), encoding: .utf8)
  }

  private func run(_ text: String) throws -> RunResult {
    try ScenarioRunner.run(try ScenarioParser.parse(data: Array(text.utf8), file: "mutated.json"))
  }

  @Test("the scenario passes and replays clean against its golden 20 times in a row")
  func replaysClean() throws {
    let golden = TestPaths.golden(Self.name + ".pcapng")
    for attempt in 1...20 {
      let result = try Replayer.replay(trace: golden)
      #expect(result.record.passed, "attempt \(attempt)")
      #expect(result.diff.same, "attempt \(attempt): replay differs from the golden")
      if !result.passed { break }
    }
  }

  @Test("check passes it 20 times in a row")
  func twentyChecks() throws {
    let options = CheckOptions(
      scenariosDirectory: TestPaths.scenarios.path,
      tracesDirectory: TestPaths.packageRoot.appendingPathComponent("traces").path, filter: "reuseport-32-senders",
      repeatCount: 20)
    let result = try SuiteChecker.check(options: options)
    #expect(result.checks.count == 1)
    #expect(
      result.checks.allSatisfy { $0.status == .passed }, "\(result.checks.map { $0.details ?? $0.message ?? "" })")
  }

  @Test(
    "a different kernel answer fails the checks that depend on it",
    arguments: [
      // 31 senders: the receivers together get 31, not 32.
      (#""repeat": { "count": 32 }"#, #""repeat": { "count": 31 }"#, "calls|bytes|total"),
      // A share no split can give: one receiver with all 32.
      (
        #""id": "got_a", "count": 32, "flags": ["MSG_DONTWAIT"], "expect": { "returns": { "min": 1, "max": 31 } }"#,
        #""id": "got_a", "count": 32, "flags": ["MSG_DONTWAIT"], "expect": { "returns": { "min": 32 } }"#, "returns"
      ),
      (#""total": { "with": ["got_a"], "returns": 32 }"#, #""total": { "with": ["got_a"], "returns": 33 }"#, "total"),
    ])
  func mutationFails(_ original: String, _ replacement: String, _ fields: String) throws {
    let text = try source()
    #expect(text.contains(original))
    let result = try run(text.replacingOccurrences(of: original, with: replacement))
    #expect(!result.passed)
    let failed = Set(result.outcomes.flatMap(\.checks).filter { !$0.passed }.map(\.field))
    #expect(!failed.isEmpty && failed.isSubset(of: Set(fields.split(separator: "|").map(String.init))), "\(failed)")
  }
}
