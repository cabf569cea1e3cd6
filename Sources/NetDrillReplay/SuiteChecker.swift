import Foundation
import Glibc
import NetDrillEngine
import NetDrillScenario
import Synchronization

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
  /// Only this shard's part of the suite (`--shard 2/4`), for CI matrices.
  public var shard: Shard?
  /// Runs of each scenario; every one must pass and match the golden (flake hunting).
  public var repeatCount: Int
  /// Start no further scenario after the first that fails.
  public var failFast: Bool
  /// A scenario whose `requires` this machine does not meet fails instead of being skipped.
  public var noSkip: Bool
  public var diff: DiffOptions
  public var run: RunOptions
  public var record: RecordOptions

  public init(
    scenariosDirectory: String = "scenarios", tracesDirectory: String = "traces", update: Bool = false,
    jobs: Int = 2, filter: String? = nil, shard: Shard? = nil, repeatCount: Int = 1, failFast: Bool = false,
    noSkip: Bool = false, diff: DiffOptions = .init(), run: RunOptions = .init(), record: RecordOptions = .init()
  ) {
    self.scenariosDirectory = scenariosDirectory
    self.tracesDirectory = tracesDirectory
    self.update = update
    self.jobs = jobs
    self.filter = filter
    self.shard = shard
    self.repeatCount = repeatCount
    self.failFast = failFast
    self.noSkip = noSkip
    self.diff = diff
    self.run = run
    self.record = record
  }
}

/// One of N parts of a suite (`2/4`): the scenarios whose position in the
/// sorted list of the suite is 2, 6, 10, … (1-based), so N CI jobs with
/// shards 1/N … N/N run every scenario exactly once, and parts differ in size
/// by one scenario at most.
public struct Shard: Sendable, Equatable, Codable, CustomStringConvertible {
  /// 1-based.
  public var index: Int
  public var count: Int

  public init?(_ text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, (1...count).contains(index)
    else { return nil }
    self.index = index
    self.count = count
  }

  /// Whether the scenario at `position` (0-based, in the sorted suite) is this shard's.
  public func includes(position: Int) -> Bool { position % count == index - 1 }

  public var description: String { "\(index)/\(count)" }
}

/// Why a suite cannot be checked at all (exit code 2).
public enum SuiteError: Error, CustomStringConvertible, Sendable {
  case noScenarioFolder(String)
  case noTracesFolder(String)
  case noScenarios(String)
  case filterSelectsNothing(String, folder: String, total: Int)
  case invalidOption(String)

  public var description: String {
    switch self {
    case .noScenarioFolder(let path): return "\(path): no such scenario folder"
    case .noTracesFolder(let path):
      return
        "\(path): no such golden trace folder (give --traces, or record the goldens with `netdrill check --update`)"
    case .noScenarios(let path): return "\(path): no scenario files (*.json) in this folder"
    case .filterSelectsNothing(let filter, let folder, let total):
      return "--filter \(filter) selects none of the \(total) scenarios in \(folder)"
    case .invalidOption(let text): return text
    }
  }
}

/// The verdict on one scenario.
public struct ScenarioCheck: Sendable, Codable {
  public enum Status: String, Sendable, Codable {
    /// Expectations held and the trace matches its golden.
    case passed
    /// An expectation failed, the capture dropped packets, the trace differs
    /// from its golden, or there is no golden.
    case failed
    /// The scenario could not be read or run (bad input, environment).
    case error
    /// `--update` wrote its golden trace.
    case recorded
    /// This machine does not meet the scenario's `requires`.
    case skipped
  }

  /// What made a scenario fail.
  public enum Failure: String, Sendable, Codable {
    case expectation
    case droppedPackets = "dropped-packets"
    case diff
    case missingGolden = "missing-golden"
    case requirement
  }

  public var scenario: String
  public var goldenTrace: String
  public var status: Status
  public var failure: Failure?
  /// One line saying why it did not pass, or why it was skipped.
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
  /// The shard that was checked, if only one was.
  public var shard: Shard?
  /// Scenarios not started because `--fail-fast` stopped the suite.
  public var notRun: Int

  public func count(_ status: ScenarioCheck.Status) -> Int { checks.filter { $0.status == status }.count }

  /// 0 all passed (or were skipped), 1 something failed or differs, 2 a scenario could not be run.
  public var exitCode: Int32 {
    if count(.error) > 0 { return 2 }
    if count(.failed) > 0 || notRun > 0 { return 1 }
    return 0
  }
}

/// Runs every scenario of a folder, each in its own private network, checks
/// its expectations and compares its trace with the golden one.
public enum SuiteChecker {
  /// The scenarios `options` selects (relative paths, sorted): the filter's, then
  /// the shard's part of those. Throws for anything that would make a green
  /// run meaningless: no scenario folder, no golden folder (unless recording),
  /// no scenarios, a filter that selects none.
  public static func selection(_ options: CheckOptions) throws(SuiteError) -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: options.scenariosDirectory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { throw .noScenarioFolder(options.scenariosDirectory) }
    if !options.update {
      guard FileManager.default.fileExists(atPath: options.tracesDirectory, isDirectory: &isDirectory),
        isDirectory.boolValue
      else { throw .noTracesFolder(options.tracesDirectory) }
    }
    guard options.jobs >= 1 else { throw .invalidOption("--jobs must be at least 1") }
    guard options.repeatCount >= 1 else { throw .invalidOption("--repeat must be at least 1") }
    guard !(options.update && options.repeatCount > 1) else {
      throw .invalidOption("--repeat and --update do not go together: record once, then repeat against the goldens")
    }
    let all = ScenarioFiles.find(in: options.scenariosDirectory)
    guard !all.isEmpty else { throw .noScenarios(options.scenariosDirectory) }
    let filtered = options.filter.map { ScenarioFiles.find(in: options.scenariosDirectory, filter: $0) } ?? all
    if let filter = options.filter, filtered.isEmpty {
      throw .filterSelectsNothing(filter, folder: options.scenariosDirectory, total: all.count)
    }
    guard let shard = options.shard else { return filtered }
    return filtered.enumerated().filter { shard.includes(position: $0.offset) }.map(\.element)
  }

  /// Checks the suite; `progress` is called (from worker threads, serialized) as each scenario ends.
  public static func check(
    options: CheckOptions, progress: (@Sendable (ScenarioCheck) -> Void)? = nil
  ) throws(SuiteError) -> SuiteResult {
    let started = Date()
    let files = try selection(options)
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
          if options.failFast, check.status == .failed || check.status == .error { next.stop() }
          progressLock.withLock { progress?(check) }
        }
        group.leave()
      }
      worker.start()
    }
    group.wait()
    let checks = results.all()
    return SuiteResult(
      checks: checks, seconds: Date().timeIntervalSince(started), shard: options.shard,
      notRun: files.count - checks.count)
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
      scenario: scenarioPath, goldenTrace: golden, status: .passed, failure: nil, message: nil, details: nil,
      diff: nil, seconds: 0)
    func fail(_ failure: ScenarioCheck.Failure, _ message: String, details: String? = nil) -> ScenarioCheck {
      check.status = .failed
      check.failure = failure
      check.message = message
      check.details = details
      return check
    }
    do {
      let bytes = try ScenarioParser.readSource(file: scenarioPath)
      let source = String(decoding: bytes, as: UTF8.self)
      let scenario = try ScenarioParser.parse(data: bytes, file: scenarioPath)
      let unmet = Requirements.unmet(scenario.requirements)
      if !unmet.isEmpty {
        if options.noSkip { return fail(.requirement, unmet.joined(separator: "; ") + " (--no-skip)") }
        check.status = .skipped
        check.message = unmet.joined(separator: "; ")
        return check
      }
      let hasGolden = FileManager.default.fileExists(atPath: golden)
      for attempt in 1...options.repeatCount {
        let which = options.repeatCount > 1 ? " (run \(attempt) of \(options.repeatCount))" : ""
        if let failed = try runAndCompare(
          scenario, source: source, golden: hasGolden || options.update ? golden : nil, options: options,
          check: &check)
        {
          return fail(failed.0, failed.1 + which, details: failed.2)
        }
        if check.status == .recorded { return check }
        if !hasGolden {
          return fail(
            .missingGolden,
            "no golden trace \(golden): record it with `netdrill check --update` (a scenario without one checks nothing)"
          )
        }
      }
      if options.repeatCount > 1 { check.message = "passed \(options.repeatCount) runs, each the same as the golden" }
    } catch {
      check.status = .error
      check.message = String(describing: error)
    }
    return check
  }

  /// Records one run of `scenario` and compares it with `golden` (or, with
  /// --update, puts it in place as the golden). Returns why it failed, if it did.
  private static func runAndCompare(
    _ scenario: Scenario, source: String, golden: String?, options: CheckOptions, check: inout ScenarioCheck
  ) throws -> (ScenarioCheck.Failure, String, String?)? {
    let goldenPath = golden ?? check.goldenTrace
    // With --update the new trace is written beside the golden, so putting it in place is one rename(2);
    // a scenario that fails leaves the old golden untouched.
    let goldenDirectory = (goldenPath as NSString).deletingLastPathComponent
    if options.update {
      try FileManager.default.createDirectory(atPath: goldenDirectory, withIntermediateDirectories: true)
    }
    let newTrace =
      options.update
      ? (goldenDirectory as NSString).appendingPathComponent(".update-\(UUID().uuidString).pcapng")
      : Replayer.temporaryTracePath(for: goldenPath)
    defer { try? FileManager.default.removeItem(atPath: newTrace) }
    let record = try ScenarioRecorder.record(
      scenario, source: source, to: newTrace, runOptions: options.run, options: options.record)
    if !record.run.passed {
      return (
        .expectation, "\(record.run.failedChecks) of \(record.run.totalChecks) expectations failed",
        RunReport(result: record.run, scenario: scenario, style: TextStyle(enabled: false)).text
      )
    }
    if record.manifest.droppedPackets > 0 {
      return (.droppedPackets, "the capture dropped \(record.manifest.droppedPackets) packets", nil)
    }
    if options.update {
      guard rename(newTrace, goldenPath) == 0 else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: goldenPath])
      }
      check.status = .recorded
      check.message = "recorded \(record.manifest.packetCount) packets"
      return nil
    }
    guard let golden else { return nil }
    // Both read once, side by side; a golden that is not a netdrill trace is refused as before.
    // (Reading it whole then throws the error the whole-trace reader gave: its byte offset and why.)
    if try TraceSource.manifest(path: golden) == nil { _ = try TraceDocument.scan(path: golden) }
    var diff = try StreamingDiff.compare(expectedPath: golden, actualPath: newTrace, options: options.diff)
    diff.actualPath = "this run of \(check.scenario)"
    check.diff = diff
    if !diff.same {
      return (
        .diff, "differs from \(golden): \(diff.differences.count) differences",
        DiffReport(result: diff, style: TextStyle(enabled: false)).text
      )
    }
    return nil
  }
}

/// Hands out indexes to workers, once each.
private final class Counter: Sendable {
  private let state = Mutex((next: 0, stopped: false))
  func take(below limit: Int) -> Int? {
    state.withLock { state in
      guard !state.stopped, state.next < limit else { return nil }
      defer { state.next += 1 }
      return state.next
    }
  }
  /// Hands out nothing more (`--fail-fast`).
  func stop() { state.withLock { $0.stopped = true } }
}

/// Results in scenario order, filled from worker threads.
private final class ResultSlots: Sendable {
  private let slots: Mutex<[ScenarioCheck?]>
  init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }
  func set(_ index: Int, _ check: ScenarioCheck) { slots.withLock { $0[index] = check } }
  func all() -> [ScenarioCheck] { slots.withLock { $0.compactMap { $0 } } }
}
