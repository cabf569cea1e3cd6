import ArgumentParser
import NetDrillCommands

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run scenario files and check every step's outcome against its expectation.",
    discussion: "Exit status: 0 every expectation held, 1 one failed, 2 bad input or environment.")

  @Argument(help: "Scenario files (JSON), or folders to search for them.")
  var files: [String]

  @OptionGroup var network: NetworkOptions
  @OptionGroup var output: OutputOptions

  func run() throws {
    try finish(RunCommand(paths: files, hostNetwork: network.hostNetwork, format: output.format).run())
  }
}
