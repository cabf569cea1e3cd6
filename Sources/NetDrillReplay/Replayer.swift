import Foundation
import NetDrillEngine
import NetDrillScenario

/// What a replay gave: the fresh run and its comparison with the original trace.
public struct ReplayResult: Sendable {
  public var record: RecordResult
  public var diff: TraceDiffResult
  /// Same packets and outcomes, every expectation held, nothing dropped.
  public var passed: Bool { diff.same && record.passed }
}

/// Re-runs the scenario a trace carries, in a fresh private network, and
/// compares the new trace with the old one.
public enum Replayer {
  ///
  /// The trace is untrusted: it runs in a fresh private network whatever its
  /// manifest says about the network it was recorded on (there is no way to
  /// ask for the host's network here), and a scenario that starts programs
  /// is refused with `ReplayError.programsNotAllowed`, before anything runs,
  /// unless `allowPrograms`.
  /// - Parameter output: where to keep the new trace; nil keeps it only for the comparison.
  public static func replay(
    trace path: String, output: String? = nil, diffOptions: DiffOptions = .init(),
    recordOptions: RecordOptions = .init(), allowPrograms: Bool = false
  ) throws -> ReplayResult {
    // Read to the end first (no packet kept): a broken trace is refused before anything runs.
    let original = try TraceDocument.scan(path: path)
    let scenario = try scenario(in: original)
    let programs = ReplayProgram.all(in: scenario)
    if !programs.isEmpty && !allowPrograms { throw ReplayError.programsNotAllowed(path, programs) }
    let runOptions = RunOptions(hostNetwork: false)
    let newPath = output ?? temporaryTracePath(for: path)
    defer { if output == nil { try? FileManager.default.removeItem(atPath: newPath) } }
    let record = try ScenarioRecorder.record(
      scenario, source: original.manifest.scenarioSource, to: newPath, runOptions: runOptions, options: recordOptions)
    var diff = try StreamingDiff.compare(expectedPath: path, actualPath: newPath, options: diffOptions)
    if output == nil { diff.actualPath = "replay of \(path)" }
    return ReplayResult(record: record, diff: diff)
  }

  /// The scenario embedded in a trace, parsed exactly as when it was recorded.
  public static func scenario(in document: TraceDocument) throws -> Scenario {
    do {
      var scenario = try ScenarioParser.parse(
        data: Array(document.manifest.scenarioSource.utf8), file: document.manifest.scenarioPath ?? document.path)
      scenario.sourcePath = document.manifest.scenarioPath
      return scenario
    } catch {
      throw ReplayError.scenarioInTrace(document.path, String(describing: error))
    }
  }

  static func temporaryTracePath(for path: String) -> String {
    let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    return FileManager.default.temporaryDirectory
      .appendingPathComponent("netdrill-\(name)-\(getpid())-\(UUID().uuidString.prefix(8)).pcapng").path
  }
}
