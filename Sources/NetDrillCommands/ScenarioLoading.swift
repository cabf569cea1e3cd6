import NetDrillEngine
import NetDrillScenario

/// A scenario and its file text, kept byte for byte in traces.
public struct LoadedScenario: Sendable {
  public var scenario: Scenario
  public var source: String
}

/// Why scenarios could not be loaded: one message per bad file or empty folder.
public struct ScenarioLoadingError: Error, CustomStringConvertible, Sendable {
  public var problems: [String]
  public var description: String { problems.joined(separator: "\n") }
}

/// Reading scenario files and folders for `run` and `record`.
public enum ScenarioLoading {
  /// Parses every file first (folders stand for the scenarios below them,
  /// `ScenarioFiles.expand`), so one bad file stops the run before anything
  /// executes; a folder without scenarios is bad input too.
  public static func load(_ paths: [String]) throws(ScenarioLoadingError) -> [LoadedScenario] {
    var problems: [String] = []
    for path in paths where ScenarioFiles.expand([path]).isEmpty {
      problems.append("netdrill: \(path): no scenario files (*.json) in this folder")
    }
    var scenarios: [LoadedScenario] = []
    for file in ScenarioFiles.expand(paths) {
      do {
        scenarios.append(try loadOne(file))
      } catch {
        problems += error.problems
      }
    }
    guard problems.isEmpty else { throw ScenarioLoadingError(problems: problems) }
    return scenarios
  }

  /// One scenario file, parsed and its topology checked.
  public static func loadOne(_ file: String) throws(ScenarioLoadingError) -> LoadedScenario {
    do {
      // Read once: the text parsed is the text kept in the trace.
      let bytes = try ScenarioParser.readSource(file: file)
      let scenario = try ScenarioParser.parse(data: bytes, file: file)
      try TopologyCheck.check(scenario)
      return LoadedScenario(scenario: scenario, source: String(decoding: bytes, as: UTF8.self))
    } catch {
      throw ScenarioLoadingError(problems: ["\(error)"])
    }
  }
}
