import ArgumentParser
import NetDrillEngine
import NetDrillReplay

struct Replay: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Re-run the scenario a trace carries in a fresh private network and compare with the trace.",
    discussion: "Exit status: 0 same and every expectation held, 1 different or failed, 2 error.")

  @Argument(help: "A trace written by netdrill (.pcapng).")
  var trace: String

  @Option(name: .shortAndLong, help: "Keep the new trace here.")
  var output: String?

  @Flag(
    name: .long,
    help: "Start the programs the trace's scenario declares (they run on this machine as you: trust the trace first).")
  var allowPrograms = false

  @OptionGroup var comparison: ComparisonOptions
  @OptionGroup var capture: CaptureOptions
  @OptionGroup var output_: OutputOptions

  func run() throws {
    try ScenarioLoading.enterPrivilegesIfNeeded(hostNetwork: false)
    let result: ReplayResult
    do {
      result = try Replayer.replay(
        trace: trace, output: output, diffOptions: comparison.diffOptions, recordOptions: capture.recordOptions,
        allowPrograms: allowPrograms)
    } catch {
      FileHandleOutput.standardError("netdrill: \(error)")
      throw ExitCode(2)
    }
    if output_.json {
      print(try JSONOutput.encode(result.diff))
    } else {
      let style = output_.style
      if !result.record.run.passed {
        print(style.red("✗ \(result.record.run.failedChecks) expectation(s) failed in the replay"))
      }
      print(DiffReport(result: result.diff, style: style).text)
    }
    if !result.passed { throw ExitCode(1) }
  }
}
