import Foundation
import Glibc
import NetDrillEngine
import NetDrillScenario

/// What `netdrill check` runs and compares.
public struct CheckOptions: Sendable {
  public var scenariosDirectory: String
  public var tracesDirectory: String
  /// Record (or re-record) every golden trace instead of comparing.
  public var update: Bool
  /// Scenarios run at once, each in its own private network.
  public var jobs: Int
  /// Only scenarios whose relative path matches: a glob (`udp/*`) or a substring.
  public var filter: String?
  public var diff: DiffOptions
  public var run: RunOptions
  public var record: RecordOptions

  public init(
    scenariosDirectory: String = "scenarios", tracesDirectory: String = "traces", update: Bool = false,
    jobs: Int = 2, filter: String? = nil, diff: DiffOptions = .init(), run: RunOptions = .init(),
    record: RecordOptions = .init()
  ) {
    self.scenariosDirectory = scenariosDirectory
    self.tracesDirectory = tracesDirectory
    self.update = update
    self.jobs = jobs
    self.filter = filter
    self.diff = diff
    self.run = run
    self.record = record
  }
}

/// The verdict on one scenario.
public struct ScenarioCheck: Sendable, Codable {
  public enum Status: String, Sendable, Codable {
    /// Expectations held and the trace matches its golden (or there is none yet).
    case passed
    /// An expectation failed, the capture dropped packets, or the trace differs from its golden.
    case failed
    /// The scenario could not be read or run (bad input, environment).
    case error
    /// `--update` wrote its golden trace.
    case recorded
  }

  public var scenario: String
  public var goldenTrace: String
  public var status: Status
  /// One line saying why it did not pass (or that no golden exists yet).
  public var message: String?
  /// The full explanation: the failed expectations or the diff, as text without colour.
  public var details: String?
  public var diff: TraceDiffResult?
  public var seconds: Double
}

/// The verdict on a suite.
public struct SuiteResult: Sendable, Codable {
  public var checks: [ScenarioCheck]
  public var seconds: Double

  public func count(_ status: ScenarioCheck.Status) -> Int { checks.filter { $0.status == status }.count }

  /// 0 all passed, 1 something failed or differs, 2 a scenario could not be run.
  public var exitCode: Int32 {
    if count(.error) > 0 { return 2 }
    if count(.failed) > 0 { return 1 }
    return 0
  }
}

/// Runs every scenario of a folder, each in its own private network, checks
/// its expectations and compares its trace with the golden one.
public enum SuiteChecker {
  /// Scenario files under `directory` (relative paths, sorted) that match `filter`.
  public static func scenarioFiles(in directory: String, filter: String?) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
    return walker.compactMap { $0 as? String }
      .filter { $0.hasSuffix(".json") }
      .filter { path in
        guard let filter else { return true }
        if filter.contains(where: { "*?[".contains($0) }) { return fnmatch(filter, path, 0) == 0 }
        return path.contains(filter)
      }
      .sorted()
  }

  /// Checks the suite; `progress` is called (from worker threads, serialized) as each scenario ends.
  public static func check(
    options: CheckOptions, progress: (@Sendable (ScenarioCheck) -> Void)? = nil
  ) -> SuiteResult {
    let started = Date()
    let files = scenarioFiles(in: options.scenariosDirectory, filter: options.filter)
    let results = ResultSlots(count: files.count)
    let next = Counter()
    let group = DispatchGroup()
    let progressLock = NSLock()
    for _ in 0..<max(1, min(options.jobs, files.count)) {
      group.enter()
      // Workers are plain threads: each waits on a run thread of its own.
      let worker = Thread {
        while let index = next.take(below: files.count) {
          let check = checkOne(files[index], options: options)
          results.set(index, check)
          progressLock.withLock { progress?(check) }
        }
        group.leave()
      }
      worker.start()
    }
    group.wait()
    return SuiteResult(checks: results.all(), seconds: Date().timeIntervalSince(started))
  }

  /// Checks one scenario (`relative` to the scenarios folder).
  public static func checkOne(_ relative: String, options: CheckOptions) -> ScenarioCheck {
    let started = Date()
    var check = checkWithoutTiming(relative, options: options)
    check.seconds = Date().timeIntervalSince(started)
    return check
  }

  private static func checkWithoutTiming(_ relative: String, options: CheckOptions) -> ScenarioCheck {
    let scenarioPath = (options.scenariosDirectory as NSString).appendingPathComponent(relative)
    let golden = (options.tracesDirectory as NSString).appendingPathComponent(
      (relative as NSString).deletingPathExtension + ".pcapng")
    var check = ScenarioCheck(
      scenario: scenarioPath, goldenTrace: golden, status: .passed, message: nil, details: nil, diff: nil, seconds: 0)
    do {
      let bytes = try ScenarioParser.readSource(file: scenarioPath)
      let source = String(decoding: bytes, as: UTF8.self)
      let scenario = try ScenarioParser.parse(data: bytes, file: scenarioPath)
      // With --update the new trace is written beside the golden, so putting it in place is one rename(2);
      // a scenario that fails leaves the old golden untouched.
      let goldenDirectory = (golden as NSString).deletingLastPathComponent
      if options.update {
        try FileManager.default.createDirectory(atPath: goldenDirectory, withIntermediateDirectories: true)
      }
      let newTrace =
        options.update
        ? (goldenDirectory as NSString).appendingPathComponent(".update-\(UUID().uuidString).pcapng")
        : Replayer.temporaryTracePath(for: golden)
      defer { try? FileManager.default.removeItem(atPath: newTrace) }
      let record = try ScenarioRecorder.record(
        scenario, source: source, to: newTrace, runOptions: options.run, options: options.record)
      if !record.run.passed {
        check.status = .failed
        check.message = "\(record.run.failedChecks) of \(record.run.totalChecks) expectations failed"
        check.details = RunReport(result: record.run, scenario: scenario, style: TextStyle(enabled: false)).text
        return check
      }
      if record.manifest.droppedPackets > 0 {
        check.status = .failed
        check.message = "the capture dropped \(record.manifest.droppedPackets) packets"
        return check
      }
      if options.update {
        guard rename(newTrace, golden) == 0 else {
          throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: golden])
        }
        check.status = .recorded
        check.message = "recorded \(record.manifest.packetCount) packets"
        return check
      }
      guard FileManager.default.fileExists(atPath: golden) else {
        check.message = "no golden trace yet (run with --update to record \(golden))"
        return check
      }
      let expected = try TraceDocument.load(path: golden, options: options.diff.normalization)
      let actual = try TraceDocument.load(path: newTrace, options: options.diff.normalization)
      var diff = TraceDiff.compare(expected: expected, actual: actual, options: options.diff)
      diff.actualPath = "this run of \(scenarioPath)"
      check.diff = diff
      if !diff.same {
        check.status = .failed
        check.message = "differs from \(golden): \(diff.differences.count) differences"
        check.details = DiffReport(result: diff, style: TextStyle(enabled: false)).text
      }
    } catch {
      check.status = .error
      check.message = String(describing: error)
    }
    return check
  }
}

/// Hands out indexes to workers, once each.
private final class Counter: @unchecked Sendable {
  // @unchecked: `value` is guarded by `lock`.
  private let lock = NSLock()
  private var value = 0
  func take(below limit: Int) -> Int? {
    lock.withLock {
      guard value < limit else { return nil }
      defer { value += 1 }
      return value
    }
  }
}

/// Results in scenario order, filled from worker threads.
private final class ResultSlots: @unchecked Sendable {
  // @unchecked: `slots` is guarded by `lock`.
  private let lock = NSLock()
  private var slots: [ScenarioCheck?]
  init(count: Int) { slots = Array(repeating: nil, count: count) }
  func set(_ index: Int, _ check: ScenarioCheck) { lock.withLock { slots[index] = check } }
  func all() -> [ScenarioCheck] { lock.withLock { slots.compactMap { $0 } } }
}
