import ArgumentParser
import NetDrillCommands

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
    try finish(
      RecordCommand(file: file, tracePath: output, options: capture.recordOptions, format: output_.format).run())
  }
}
