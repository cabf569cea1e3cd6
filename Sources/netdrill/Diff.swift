import ArgumentParser
import NetDrillReplay
import NetDrillScenario

/// How traces are compared; shared by diff, replay and check.
struct ComparisonOptions: ParsableArguments {
  @Flag(name: .long, help: "Compare the order of all packets, not only within each flow.")
  var strictOrder = false

  @Option(
    name: .long, parsing: .upToNextOption,
    help: ArgumentHelp(
      "Leave out these normally compared fields (the field table in README.md, \"Comparing runs\").",
      discussion: "One of: \(NormalizationOptions.ignorableFields.joined(separator: ", ")).", valueName: "field"))
  var ignore: [String] = []

  @Option(
    name: .long, parsing: .upToNextOption,
    help: ArgumentHelp(
      "Compare these normally ignored fields too.",
      discussion: "One of: \(NormalizationOptions.volatileFields.joined(separator: ", ")).", valueName: "field"))
  var compare: [String] = []

  @Option(name: .long, help: "Compare when steps and packets happened, within this tolerance (e.g. 5ms).")
  var timing: String?

  func validate() throws {
    for field in ignore where !NormalizationOptions.ignorableFields.contains(field) {
      throw ValidationError("--ignore \(field): \(Self.why(field, isCompared: true))")
    }
    for field in compare where !NormalizationOptions.volatileFields.contains(field) {
      throw ValidationError("--compare \(field): \(Self.why(field, isCompared: false))")
    }
    if let timing, DurationText.parse(timing) == nil {
      throw ValidationError("--timing \(timing): expected a duration such as 5ms")
    }
  }

  /// Why a name cannot be given to --ignore (`isCompared`) or --compare.
  private static func why(_ field: String, isCompared: Bool) -> String {
    let choices = isCompared ? NormalizationOptions.ignorableFields : NormalizationOptions.volatileFields
    switch DiffField.byName[field] {
    case let known? where !known.adjustable:
      return "\(field) identifies a packet and is always \(known.treatment.rawValue)"
    case let known? where known.comparedByDefault == isCompared:
      return "not possible for this field"
    case let known?:
      return
        "\(field) is already \(known.treatment.rawValue) (use --\(isCompared ? "compare" : "ignore") for the opposite)"
    case nil:
      return "not a field (choose from \(choices.joined(separator: ", ")))"
    }
  }

  var diffOptions: DiffOptions {
    DiffOptions(
      normalization: NormalizationOptions(ignored: Set(ignore), compared: Set(compare)), strictOrder: strictOrder,
      timingTolerance: timing.flatMap(DurationText.parse))
  }
}

struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compare two traces: step outcomes, and packets after normalization.",
    discussion: "Exit status: 0 same, 1 different, 2 error.")

  @Argument(help: "The expected trace.")
  var expected: String
  @Argument(help: "The actual trace.")
  var actual: String

  @Option(name: .long, help: "Compare only packets this BPF filter (tcpdump syntax, compiled by libpcap) selects.")
  var filter: String?

  @OptionGroup var comparison: ComparisonOptions
  @OptionGroup var output: OutputOptions

  func run() throws {
    let options = comparison.diffOptions
    let packetFilter = try TraceLoading.filter(filter)
    // Both traces are read once, side by side (netdrill's or any capture).
    let result = try TraceLoading.failing {
      try StreamingDiff.compare(expectedPath: expected, actualPath: actual, options: options, filter: packetFilter)
    }
    if output.json {
      print(try JSONOutput.encode(result))
    } else {
      print(DiffReport(result: result, style: output.style).text)
    }
    if !result.same { throw ExitCode(1) }
  }
}
