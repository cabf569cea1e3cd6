import Foundation
import Glibc
import NetDrillScenario
import Synchronization
import Testing

/// Where the repository and the built binary are.
enum TestPaths {
  /// The package root: the nearest folder above this file with a Package.swift.
  static let packageRoot: URL = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while url.path != "/" {
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
      url.deleteLastPathComponent()
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
  }()

  static let scenarios = packageRoot.appendingPathComponent("scenarios")

  /// The `netdrill` executable built beside the test bundle.
  static let binary: URL = {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return exe.deletingLastPathComponent().appendingPathComponent("netdrill")
  }()

  /// Every bundled scenario file, sorted: the files `netdrill run scenarios` runs.
  static func bundledScenarios() -> [URL] {
    ScenarioFiles.expand([scenarios.path]).map { URL(fileURLWithPath: $0) }
  }
}

/// Private networks need CAP_SYS_ADMIN (root here; CI runs as root).
/// Outside CI a missing privilege skips with a reason; under CI=true it is a failure.
enum Privileges {
  static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
  static var isRoot: Bool { geteuid() == 0 }

  /// True when the test may go on. Records a failure under CI when it may not.
  static func canCreateNamespaces(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    if isRoot { return true }
    if isCI {
      Issue.record(
        "CI=true but not root: private network namespaces need CAP_SYS_ADMIN", sourceLocation: sourceLocation)
    }
    return false
  }

  /// Condition for `.enabled(if:)`: outside CI, skip without root; under CI always run (and fail if not root).
  static var mayRun: Bool { isRoot || isCI }
}

/// The result of running the built binary.
struct CommandResult {
  var status: Int32
  var standardOutput: String
  var standardError: String
}

enum Command {
  /// Runs the netdrill binary with a time bound; kills it if it overruns.
  static func netdrill(_ arguments: [String], timeout: TimeInterval = 60) throws -> CommandResult {
    try run(TestPaths.binary.path, arguments, timeout: timeout)
  }

  static func run(
    _ executable: String, _ arguments: [String], timeout: TimeInterval = 60, environment: [String: String]? = nil
  ) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Drain both pipes while it runs so a large output cannot block it.
    let outData = LockedData()
    let errData = LockedData()
    let group = DispatchGroup()
    for (pipe, sink) in [(out, outData), (err, errData)] {
      group.enter()
      DispatchQueue.global().async {
        sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
        group.leave()
      }
    }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
      process.terminate()
      Issue.record("\(executable) \(arguments) did not finish within \(timeout)s")
    }
    process.waitUntilExit()
    group.wait()
    return CommandResult(
      status: process.terminationStatus,
      standardOutput: String(decoding: outData.get(), as: UTF8.self),
      standardError: String(decoding: errData.get(), as: UTF8.self))
  }
}

final class LockedData: Sendable {
  private let data = Mutex(Data())
  func set(_ value: Data) { data.withLock { $0 = value } }
  func get() -> Data { data.withLock { $0 } }
}

/// Writes a scenario into a temporary file and returns its path.
func temporaryScenario(_ json: String, name: String = "scenario") throws -> String {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-tests-\(getpid())")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  let path = directory.appendingPathComponent("\(name)-\(UUID().uuidString).json").path
  try json.write(toFile: path, atomically: true, encoding: .utf8)
  return path
}
