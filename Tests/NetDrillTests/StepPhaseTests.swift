import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillTestSupport
import Testing

/// Set-up and tear-down are named phases in Swift, but a trace's manifest
/// keeps the numbers every recorded trace already has: -1, -2 and the index.
@Suite("Step phases keep the manifest's step numbers")
struct StepPhaseTests {
  /// A golden whose run has set-up calls (a program, a socket) and a tear-down (stopping the program).
  static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("traces/network/program-under-test-echo.pcapng").path

  @Test func aGoldenManifestReadsAsPhasesAndIsWrittenWithTheSameNumbers() throws {
    let manifest = try TraceDocument.load(path: Self.golden).manifest
    let phases = manifest.run.outcomes.map(\.step)
    #expect(phases.first == .setUp)
    #expect(phases.last == .tearDown)
    #expect(phases.compactMap(\.index) == [0, 1, 2, 3])
    let json = String(decoding: try manifest.encoded(), as: UTF8.self)
    #expect(json.contains(#""step":-1"#))
    #expect(json.contains(#""step":-2"#))
    #expect(json.contains(#""step":3"#))
    let again = try TraceManifest.decode(Array(json.utf8))
    #expect(again.run.outcomes.map(\.step) == phases)
  }

  @Test func aStepNumberThatNamesNoPhaseIsRefusedWithItsPath() throws {
    let manifest = try TraceDocument.load(path: Self.golden).manifest
    let json = String(decoding: try manifest.encoded(), as: UTF8.self)
    let last = manifest.run.outcomes.count - 1
    #expect(manifest.run.outcomes[last].step == .tearDown)
    let changed = json.replacingOccurrences(of: #""step":-2"#, with: #""step":-3"#)
    #expect(throws: TraceManifestError.self) { try TraceManifest.decode(Array(changed.utf8)) }
    do {
      _ = try TraceManifest.decode(Array(changed.utf8))
    } catch {
      #expect(error.path == "$.run.outcomes[\(last)].step")
      #expect(error.message.contains("expected a step index (0 or more), -1 (set-up) or -2 (tear-down), found -3"))
    }
  }

  @Test func labelsNameSetUpAndTearDownAndCountStepsFromOne() {
    #expect(StepPhase.setUp.label { "#\($0)" } == "setup")
    #expect(StepPhase.tearDown.label { "#\($0)" } == "end")
    #expect(StepPhase.step(0).label { "#\($0)" } == "#1")
    #expect(StepPhase.step(4).label { "step \($0)" } == "step 5")
  }
}
