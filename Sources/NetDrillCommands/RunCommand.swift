import NetDrillEngine
import NetDrillScenario

/// `netdrill run`: runs scenario files (or every scenario below folders) and
/// checks each step's outcome against its expectation.
public struct RunCommand: Sendable {
  public var paths: [String]
  public var hostNetwork: Bool
  public var format: OutputFormat

  public init(paths: [String], hostNetwork: Bool = false, format: OutputFormat) {
    self.paths = paths
    self.hostNetwork = hostNetwork
    self.format = format
  }

  /// `.failure` when an expectation failed in any scenario.
  public func run(console: CommandConsole = .standard) throws -> CommandStatus {
    try CommandStatus.of {
      let loaded: [LoadedScenario]
      do throws(ScenarioLoadingError) {
        loaded = try ScenarioLoading.load(paths)
      } catch {
        error.problems.forEach(console.error)
        throw CommandStatus.badInput
      }
      do {
        try ProcessSetup.prepareForScenarios(hostNetwork: hostNetwork, console: console)
      } catch {
        throw console.badInput("netdrill: \(error)")
      }
      var results: [RunResult] = []
      for entry in loaded {
        let scenario = entry.scenario
        let result: RunResult
        do {
          // Captures when the scenario expects packets, so `expect_packets` is checked.
          result = try ScenarioRecorder.runChecked(
            scenario, source: entry.source, runOptions: RunOptions(hostNetwork: hostNetwork))
        } catch {
          throw console.badInput("netdrill: \(scenario.sourcePath ?? scenario.name): \(error)")
        }
        results.append(result)
        if case .text(let style) = format {
          console.print(RunReport(result: result, scenario: scenario, style: style).text)
          if loaded.count > 1 { console.print() }
        }
      }
      let failed = results.filter { !$0.passed }.count
      switch format {
      case .json:
        console.print(try JSONOutput.encode(RunsDocument(runs: results, passed: failed == 0)))
      case .text(let style) where loaded.count > 1:
        console.print(
          failed == 0
            ? style.green("✓ \(results.count) scenarios passed")
            : style.red("✗ \(failed) of \(results.count) scenarios failed"))
      case .text:
        break
      }
      return CommandStatus(passed: failed == 0)
    }
  }
}
