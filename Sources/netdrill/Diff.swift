import ArgumentParser
import NetDrillCommands

struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compare two traces: step outcomes, and packets after normalization.",
    discussion: "Exit status: 0 same, 1 different, 2 error.")

  @Argument(help: "The expected trace.") var expected: String
  @Argument(help: "The actual trace.") var actual: String
  @Option(name: .long, help: "Compare only packets this BPF filter (tcpdump syntax) selects.") var filter: String?
  @Option(name: .long, help: "Also write both as ladder diagrams (HTML page) here.") var html: String?
  @OptionGroup var comparison: ComparisonOptions
  @OptionGroup var output: OutputOptions

  func run() throws {
    let command = DiffCommand(
      expectedPath: expected, actualPath: actual, options: comparison.diffOptions, filter: filter,
      format: output.format, htmlPath: html)
    try finish(command.run())
  }
}
