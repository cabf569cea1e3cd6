import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillTestSupport
import NetDrillScenario
import Testing

/// The diff library over the committed golden traces: what `netdrill diff` prints is built from these results.
@Suite("Replay library: TraceDiff over the golden traces")
struct TraceDiffLibraryTests {
  static let goldens = [
    "udp/connected-closed-port.pcapng", "udp/connected-closed-port-so-error.pcapng",
    "network/lossy-link.pcapng", "tcp/connect-closed-port.pcapng",
  ]

  private func load(_ golden: String, _ options: NormalizationOptions = .init()) throws -> TraceDocument {
    try TraceDocument.load(path: TestPaths.golden(golden), options: options)
  }

  @Test("a golden against itself is the same, strict order and a 1ns timing tolerance included", arguments: goldens)
  func itself(_ golden: String) throws {
    let document = try load(golden)
    for options in [DiffOptions(), DiffOptions(strictOrder: true), DiffOptions(timingTolerance: .nanoseconds(1))] {
      let result = TraceDiff.compare(expected: document, actual: document, options: options)
      #expect(result.same, "\(result.differences)")
      #expect(result.comparedSteps == document.manifest.run.outcomes.count)
      #expect(result.comparedPackets == document.packets.count)
    }
  }

  @Test("two different scenarios differ in the embedded scenario first; --ignore scenario leaves that out")
  func differentScenarios() throws {
    let expected = try load("udp/connected-closed-port.pcapng")
    let actual = try load("udp/connected-closed-port-so-error.pcapng")
    let result = TraceDiff.compare(expected: expected, actual: actual)
    #expect(result.differences.first?.kind == .scenario)
    let ignoring = TraceDiff.compare(
      expected: try load("udp/connected-closed-port.pcapng", NormalizationOptions(ignored: ["scenario"])),
      actual: try load("udp/connected-closed-port-so-error.pcapng", NormalizationOptions(ignored: ["scenario"])),
      options: DiffOptions(normalization: NormalizationOptions(ignored: ["scenario"])))
    #expect(!ignoring.differences.contains { $0.kind == .scenario })
    #expect(!ignoring.same, "the step outcomes still differ")
  }

  @Test("the text report of a same result is the two paths and one line")
  func sameReport() throws {
    let document = try load("udp/connected-closed-port.pcapng")
    let result = TraceDiff.compare(expected: document, actual: document)
    let path = TestPaths.golden("udp/connected-closed-port.pcapng")
    assertSameText(
      DiffReport(result: result, style: TextStyle(enabled: false)).text,
      "expected \(path)\n  actual \(path)\n✓ same: \(result.comparedSteps) steps, \(result.comparedPackets) packets",
      "diff report")
  }

  @Test("check's scenario selection: a glob matches relative paths, a plain filter is a substring")
  func scenarioSelection() {
    let all = ScenarioFiles.find(in: TestPaths.scenarios.path, filter: nil)
    #expect(all == TestPaths.bundledScenarios().map { String($0.path.dropFirst(TestPaths.scenarios.path.count + 1)) })
    let udp = ScenarioFiles.find(in: TestPaths.scenarios.path, filter: "udp/*")
    #expect(!udp.isEmpty && udp.allSatisfy { $0.hasPrefix("udp/") })
    #expect(
      ScenarioFiles.find(in: TestPaths.scenarios.path, filter: "closed-port").allSatisfy {
        $0.contains("closed-port")
      })
    #expect(ScenarioFiles.find(in: TestPaths.scenarios.path, filter: "no-such-scenario").isEmpty)
  }
}
