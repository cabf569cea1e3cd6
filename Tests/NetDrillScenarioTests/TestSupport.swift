import Foundation
import NetDrillScenario
import Testing

/// Locations and helpers shared by the scenario tests.
enum TestSupport {
  /// This test target's directory, whichever checkout it was copied into.
  static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

  /// Hand-written sample scenarios that belong to these tests.
  static let fixturesDirectory = testsDirectory.appendingPathComponent("Fixtures")

  /// The netdrill checkout these tests run in: the nearest directory above
  /// this file holding both `Package.swift` and `scenarios/`. `isOwnCheckout`
  /// is false when none was found and `/work/main` is used instead (the
  /// tests are being developed in a scratch package).
  static let repository: (root: URL, isOwnCheckout: Bool) = {
    let files = FileManager.default
    var directory = testsDirectory
    while directory.pathComponents.count > 1 {
      let hasPackage = files.fileExists(atPath: directory.appendingPathComponent("Package.swift").path)
      var isDirectory: ObjCBool = false
      let hasScenarios = files.fileExists(
        atPath: directory.appendingPathComponent("scenarios").path, isDirectory: &isDirectory)
      if hasPackage, hasScenarios, isDirectory.boolValue { return (directory, true) }
      directory = directory.deletingLastPathComponent()
    }
    return (URL(fileURLWithPath: "/work/main"), false)
  }()

  /// Every `*.json` file below `directory`, sorted so failures read in a stable order.
  static func jsonFiles(under directory: URL) -> [URL] {
    guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
      return []
    }
    return enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }
      .sorted { $0.path < $1.path }
  }

  static func read(_ url: URL) throws -> [UInt8] {
    Array(try Data(contentsOf: url))
  }

  /// True on a CI runner, where a missing tool must fail a test, not skip it.
  static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

  /// Runs `python3 -c script arguments...`; nil if python3 cannot be started.
  static func python(_ script: String, _ arguments: [String]) -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    // One pipe for both streams: reading two pipes in turn can deadlock
    // when the unread one fills up.
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do {
      try process.run()
    } catch {
      return nil
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
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
