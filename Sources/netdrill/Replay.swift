import ArgumentParser
import NetDrillCommands

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
    let command = ReplayCommand(
      tracePath: trace, outputPath: output, allowPrograms: allowPrograms, diffOptions: comparison.diffOptions,
      recordOptions: capture.recordOptions, format: output_.format)
    try finish(command.run())
  }
}
