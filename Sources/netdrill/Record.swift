import ArgumentParser
import NetDrillEngine

struct Record: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a scenario and write every packet, ICMP error and outcome into one pcapng trace.",
    discussion: "Exit status as for run; a capture that dropped packets is never a clean pass (1).")

  @Argument(help: "The scenario file (JSON).")
  var file: String

  @Option(name: .shortAndLong, help: "The trace to write (.pcapng). It appears only when complete.")
  var output: String

  @OptionGroup var capture: CaptureOptions
  @OptionGroup var output_: OutputOptions

  func run() throws {
    let (scenario, source) = try ScenarioLoading.loadOne(file)
    try ScenarioLoading.enterPrivilegesIfNeeded(hostNetwork: false)
    let result: RecordResult
    do {
      result = try ScenarioRecorder.record(scenario, source: source, to: output, options: capture.recordOptions)
    } catch {
      FileHandleOutput.standardError("netdrill: \(file): \(error)")
      throw ExitCode(2)
    }
    if output_.json {
      print(try JSONOutput.encode(result.manifest))
    } else {
      let style = output_.style
      print(RunReport(result: result.run, scenario: scenario, style: style).text)
      let dropped = result.manifest.droppedPackets
      print(
        "trace \(output): \(result.manifest.packetCount) packets on \(result.manifest.interfaces.joined(separator: ", ")), "
          + (dropped == 0 ? "0 dropped" : style.red("\(dropped) DROPPED: the trace is incomplete")))
    }
    if !result.passed { throw ExitCode(1) }
  }
}
