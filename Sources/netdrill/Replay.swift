import ArgumentParser
import NetDrillCommands

struct Replay: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Re-run a trace's scenario, or a capture's conversations, in a fresh private network and compare.",
    discussion: "Exit status: 0 same and every expectation held, 1 different or failed, 2 error.")

  @Argument(help: "A trace written by netdrill (.pcapng), or any pcap/pcapng capture.")
  var trace: String

  @Option(name: .shortAndLong, help: "Keep the new trace here.")
  var output: String?

  @Flag(name: .long, help: "Start the programs the trace's scenario declares (they run as you: trust the trace first).")
  var allowPrograms = false

  @Option(name: .long, help: "A capture: replay only packets this BPF filter selects.")
  var filter: String?

  @OptionGroup var side: ReplaySideOptions
  @OptionGroup var comparison: ComparisonOptions
  @OptionGroup var capture: CaptureOptions
  @OptionGroup var output_: OutputOptions

  func run() throws {
    if side.request.asksForImport || filter != nil || !ReplayCommand.hasManifest(tracePath: trace) {
      let command = CaptureReplayCommand(
        capturePath: trace, outputPath: output, filter: filter, options: side.request.options,
        recordOptions: capture.recordOptions, format: output_.format)
      try finish(command.run())
      return
    }
    let command = ReplayCommand(
      tracePath: trace, outputPath: output, allowPrograms: allowPrograms, diffOptions: comparison.diffOptions,
      recordOptions: capture.recordOptions, format: output_.format)
    try finish(command.run())
  }
}
