import ArgumentParser
import NetDrillCommands

struct Show: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print a trace as a timeline: steps and outcomes interleaved with packets, endpoints by name.")

  @Argument(help: "A trace written by netdrill (.pcapng).")
  var trace: String

  @OptionGroup var output: OutputOptions

  func run() throws {
    try finish(ShowCommand(tracePath: trace, format: output.format).run())
  }
}
