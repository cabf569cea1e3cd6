import ArgumentParser
import NetDrillCommands

/// A command's status as the process's exit code (0 needs no throw).
func finish(_ status: CommandStatus) throws {
  if status != .success { throw ExitCode(status.rawValue) }
}

extension OutputFormat.Color: ExpressibleByArgument {}

extension OptionHelp {
  var argumentHelp: ArgumentHelp { ArgumentHelp(abstract, discussion: discussion, valueName: valueName) }
}

/// Output options every command shares.
struct OutputOptions: ParsableArguments {
  @Flag(name: .long, help: "Print machine-readable JSON instead of text.")
  var json = false

  @Option(name: .long, help: "Colour: auto (on a terminal, unless NO_COLOR is set), always, never.")
  var color: OutputFormat.Color = .auto

  var format: OutputFormat { OutputFormat(json: json, color: color) }
}

/// Where a run happens.
struct NetworkOptions: ParsableArguments {
  @Flag(name: .long, help: "Run on the host's own network instead of a fresh private namespace (no isolation).")
  var hostNetwork = false
}

/// Capture settings for the commands that record.
struct CaptureOptions: ParsableArguments {
  @Option(name: .long, help: "Bytes kept of each packet.")
  var snapLength: Int32 = 262_144

  @Option(
    name: .long,
    help: "Kernel capture buffer per interface in MiB (default: sized from the scenario's traffic, 1 to 64 MiB).")
  var bufferMib: Int32?

  @Option(name: .customLong("capture-filter"), help: "A BPF filter for the capture (tcpdump syntax).")
  var filter: String?

  @Flag(
    name: .long,
    help: "Write every packet: do not summarise runs of more than 64 same-shaped UDP datagrams of a flow.")
  var full = false

  func validate() throws {
    // `<< 20` of a larger value would overflow Int32 (a crash, not a message).
    if let bufferMib, !(1...2047).contains(bufferMib) {
      throw ValidationError("--buffer-mib must be between 1 and 2047, got \(bufferMib)")
    }
  }

  var recordOptions: RecordOptions {
    RecordOptions(snapLength: snapLength, bufferBytes: bufferMib.map { $0 << 20 }, captureFilter: filter, full: full)
  }
}

/// How traces are compared; shared by diff, replay and check.
struct ComparisonOptions: ParsableArguments {
  @Flag(name: .long, help: "Compare the order of all packets, not only within each flow.")
  var strictOrder = false

  @Option(name: .long, parsing: .upToNextOption, help: ComparisonChoices.ignoreHelp.argumentHelp)
  var ignore: [String] = []

  @Option(name: .long, parsing: .upToNextOption, help: ComparisonChoices.compareHelp.argumentHelp)
  var compare: [String] = []

  @Option(name: .long, help: "Compare when steps and packets happened, within this tolerance (e.g. 5ms).")
  var timing: String?

  var choices: ComparisonChoices {
    ComparisonChoices(strictOrder: strictOrder, ignore: ignore, compare: compare, timing: timing)
  }

  func validate() throws {
    if let problem = choices.problem { throw ValidationError(problem) }
  }

  var diffOptions: DiffOptions { choices.diffOptions }
}
