import Foundation
import Testing

/// Where the package and the built binary are, found from this file's own location.
public enum TestPaths {
  /// The package root: the nearest folder above this file holding Package.swift. This file is compiled
  /// from inside the package, so one is always there; there is no fallback to guess a checkout with.
  public static let packageRoot: URL = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while url.path != "/" {
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
      url.deleteLastPathComponent()
    }
    preconditionFailure("no Package.swift in any folder above \(#filePath)")
  }()

  public static let scenarios = packageRoot.appendingPathComponent("scenarios")
  public static let traces = packageRoot.appendingPathComponent("traces")

  /// A bundled scenario by its path below `scenarios/`, e.g. `udp/connected-closed-port.json`.
  public static func scenario(_ relative: String) -> String { scenarios.appendingPathComponent(relative).path }

  /// The golden trace of a bundled scenario, e.g. `udp/connected-closed-port.pcapng`.
  public static func golden(_ relative: String) -> String { traces.appendingPathComponent(relative).path }

  /// The `netdrill` executable built beside the test bundle (`swift build` builds it before `swift test`).
  public static let binary: URL = {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return exe.deletingLastPathComponent().appendingPathComponent("netdrill")
  }()

  /// Every `*.json` file below `directory`, sorted so failures read in a stable order.
  public static func jsonFiles(under directory: URL) -> [URL] {
    guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
      return []
    }
    return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
  }

  /// Every bundled scenario file, sorted.
  public static func bundledScenarios() -> [URL] { jsonFiles(under: scenarios) }
}

/// A fresh folder under the temporary directory for one test.
public func temporaryDirectory(_ label: String = "netdrill-tests") throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// Writes a scenario into a temporary file and returns its path.
public func temporaryScenario(_ json: String, name: String = "scenario") throws -> String {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-tests-\(getpid())")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  let path = directory.appendingPathComponent("\(name)-\(UUID().uuidString).json").path
  try json.write(toFile: path, atomically: true, encoding: .utf8)
  return path
}

/// A path for a trace in the temporary directory (not created).
public func temporaryTrace(_ name: String) -> String {
  FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-\(name)-\(UUID().uuidString).pcapng").path
}
