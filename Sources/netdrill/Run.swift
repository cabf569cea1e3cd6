import ArgumentParser
import Foundation
import NetDrillEngine
import NetDrillNetwork
import NetDrillScenario
import NetDrillTrace

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run scenario files and check every step's outcome against its expectation.",
    discussion: "Exit status: 0 every expectation held, 1 one failed, 2 bad input or environment.")

  @Argument(help: "Scenario files (JSON), or folders to search for them.")
  var files: [String]

  @OptionGroup var network: NetworkOptions
  @OptionGroup var output: OutputOptions

  func run() throws {
    let loaded = try ScenarioLoading.load(files)
    let scenarios = loaded.map(\.scenario)
    try ScenarioLoading.enterPrivilegesIfNeeded(hostNetwork: network.hostNetwork)
    var results: [RunResult] = []
    for (scenario, source) in loaded {
      let result: RunResult
      do {
        // Captures when the scenario expects packets, so `expect_packets` is checked.
        result = try ScenarioRecorder.runChecked(
          scenario, source: source, runOptions: RunOptions(hostNetwork: network.hostNetwork))
      } catch {
        FileHandleOutput.standardError("netdrill: \(scenario.sourcePath ?? scenario.name): \(error)")
        throw ExitCode(2)
      }
      results.append(result)
      if !output.json {
        print(RunReport(result: result, scenario: scenario, style: output.style).text)
        if scenarios.count > 1 { print() }
      }
    }
    let failed = results.filter { !$0.passed }.count
    if output.json {
      print(try JSONOutput.encode(RunsDocument(runs: results, passed: failed == 0)))
    } else if scenarios.count > 1 {
      let style = output.style
      print(
        failed == 0
          ? style.green("✓ \(results.count) scenarios passed")
          : style.red("✗ \(failed) of \(results.count) scenarios failed"))
    }
    if failed > 0 { throw ExitCode(1) }
  }
}

struct RunsDocument: Encodable {
  var runs: [RunResult]
  var passed: Bool
}

enum JSONOutput {
  static func encode<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }
}

/// Reading scenarios and getting the privileges a private network needs.
enum ScenarioLoading {
  /// Parses every file first, so a bad one stops the run before anything
  /// executes; a folder without scenarios is bad input too.
  static func load(_ files: [String]) throws -> [(scenario: Scenario, source: String)] {
    var scenarios: [(scenario: Scenario, source: String)] = []
    var bad = false
    for path in files where expand([path]).isEmpty {
      FileHandleOutput.standardError("netdrill: \(path): no scenario files (*.json) in this folder")
      bad = true
    }
    for file in expand(files) {
      do {
        scenarios.append(try loadOne(file))
      } catch {
        bad = true
      }
    }
    if bad { throw ExitCode(2) }
    return scenarios
  }

  /// One scenario and its file text (kept byte for byte in traces).
  static func loadOne(_ file: String) throws -> (Scenario, String) {
    do {
      // Read once: the text parsed is the text kept in the trace.
      let bytes = try ScenarioParser.readSource(file: file)
      let scenario = try ScenarioParser.parse(data: bytes, file: file)
      try TopologyCheck.check(scenario)
      return (scenario, String(decoding: bytes, as: UTF8.self))
    } catch {
      FileHandleOutput.standardError("\(error)")
      throw ExitCode(2)
    }
  }

  /// Folders stand for every `*.json` below them, in path order.
  static func expand(_ paths: [String]) -> [String] {
    paths.flatMap { path -> [String] in
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
        let walker = FileManager.default.enumerator(atPath: path)
      else { return [path] }
      let base = path.hasSuffix("/") ? path : path + "/"
      return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }.sorted().map { base + $0 }
    }
  }

  /// An ordinary user gets a user namespace first (while the process has one
  /// thread); then SIGINT/SIGTERM are caught so a half-written trace is removed.
  static func enterPrivilegesIfNeeded(hostNetwork: Bool) throws {
    if !hostNetwork {
      do {
        try UserNamespace.enterIfUnprivileged()
      } catch {
        FileHandleOutput.standardError("netdrill: \(error)")
        throw ExitCode(2)
      }
    }
    Interruption.install()
  }
}

/// On SIGINT or SIGTERM: remove partial traces and exit (128 + signal). The
/// private networks need no cleanup: they are held only by this process.
enum Interruption {
  nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

  static func install() {
    guard sources.isEmpty else { return }
    for signalNumber in [SIGINT, SIGTERM] {
      signal(signalNumber, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      source.setEventHandler {
        PartialTraces.removeAll()
        FileHandleOutput.standardError("netdrill: interrupted")
        _exit(128 + signalNumber)
      }
      source.resume()
      sources.append(source)
    }
  }
}
