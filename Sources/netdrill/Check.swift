import ArgumentParser
import Foundation
import NetDrillCommands

extension Shard: ExpressibleByArgument {
  public init?(argument: String) { self.init(argument) }
}

struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run every scenario of a folder, check its expectations and compare with its golden trace.",
    discussion: "Golden traces: the scenario's relative path with .pcapng under --traces. Exit status: 0, 1 or 2.")

  @Argument(help: "The scenario folder.")
  var directory: String = "scenarios"

  @Option(name: .long, help: "The golden trace folder.")
  var traces: String = "traces"

  @Flag(name: .long, help: "Record the golden traces instead of comparing (only for scenarios that pass).")
  var update = false

  @Option(name: .long, help: "Write a JUnit XML report here.")
  var junit: String?

  @Option(name: .long, help: "Scenarios run at once.")
  var jobs: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

  @Option(name: .long, help: "Only scenarios whose relative path matches: a glob (udp/*) or a substring.")
  var filter: String?

  @Option(
    name: .long, help: ArgumentHelp("Only part I of N (1 ≤ I ≤ N) of the suite, for CI matrices.", valueName: "I/N"))
  var shard: Shard?

  @Option(name: .customLong("repeat"), help: "Run each scenario N times; any run that fails or differs fails it.")
  var repeatCount: Int = 1

  @Flag(name: .long, help: "Start no further scenario after the first that fails.")
  var failFast = false

  @Flag(name: .long, help: "A scenario whose `requires` this machine does not meet fails instead of being skipped.")
  var noSkip = false

  @OptionGroup var comparison: ComparisonOptions
  @OptionGroup var capture: CaptureOptions
  @OptionGroup var output: OutputOptions

  func run() throws {
    let options = CheckOptions(
      scenariosDirectory: directory, tracesDirectory: traces, update: update, jobs: jobs, filter: filter,
      shard: shard, repeatCount: repeatCount, failFast: failFast, noSkip: noSkip, diff: comparison.diffOptions,
      record: capture.recordOptions)
    try finish(CheckCommand(options: options, junitPath: junit, format: output.format).run())
  }
}
