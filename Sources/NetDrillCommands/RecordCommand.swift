import NetDrillEngine

/// `netdrill record`: runs a scenario and writes one pcapng trace of it.
public struct RecordCommand: Sendable {
  public var file: String
  public var tracePath: String
  public var options: RecordOptions
  public var format: OutputFormat

  public init(file: String, tracePath: String, options: RecordOptions = .init(), format: OutputFormat) {
    self.file = file
    self.tracePath = tracePath
    self.options = options
    self.format = format
  }

  /// `.failure` when an expectation failed or the capture dropped packets:
  /// an incomplete trace is never a clean pass.
  public func run(console: CommandConsole = .standard) throws -> CommandStatus {
    try CommandStatus.of {
      let loaded: LoadedScenario
      do {
        loaded = try ScenarioLoading.loadOne(file)
        try ProcessSetup.prepareForScenarios(hostNetwork: false, console: console)
      } catch let error as ScenarioLoadingError {
        throw console.badInput(error.description)
      } catch {
        throw console.badInput("netdrill: \(error)")
      }
      let result: RecordResult
      do {
        result = try ScenarioRecorder.record(
          loaded.scenario, source: loaded.source, to: tracePath, options: options)
      } catch {
        throw console.badInput("netdrill: \(file): \(error)")
      }
      switch format {
      case .json:
        console.print(try JSONOutput.encode(result.manifest))
      case .text(let style):
        console.print(RunReport(result: result.run, scenario: loaded.scenario, style: style).text)
        let dropped = result.manifest.droppedPackets
        console.print(
          "trace \(tracePath): \(result.manifest.packetCount) packets on \(result.manifest.interfaces.joined(separator: ", ")), "
            + (dropped == 0 ? "0 dropped" : style.red("\(dropped) DROPPED: the trace is incomplete")))
      }
      return CommandStatus(passed: result.passed)
    }
  }
}
