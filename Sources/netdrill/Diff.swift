import ArgumentParser
import NetDrillReplay
import NetDrillScenario

/// How traces are compared; shared by diff, replay and check.
struct ComparisonOptions: ParsableArguments {
  @Flag(name: .long, help: "Compare the order of all packets, not only within each flow.")
  var strictOrder = false

  @Option(
    name: .long, parsing: .upToNextOption,
    help: "Also ignore these packet fields: \(NormalizationOptions.ignorableFields.joined(separator: ", ")).")
  var ignore: [String] = []

  @Option(
    name: .long, parsing: .upToNextOption,
    help: "Compare these normally ignored fields too: \(NormalizationOptions.volatileFields.joined(separator: ", ")).")
  var compare: [String] = []

  @Option(name: .long, help: "Compare when steps and packets happened, within this tolerance (e.g. 5ms).")
  var timing: String?

  func validate() throws {
    for field in ignore where !NormalizationOptions.ignorableFields.contains(field) {
      throw ValidationError(
        "--ignore \(field): not a field (choose from \(NormalizationOptions.ignorableFields.joined(separator: ", ")))")
    }
    for field in compare where !NormalizationOptions.volatileFields.contains(field) {
      throw ValidationError(
        "--compare \(field): not a field (choose from \(NormalizationOptions.volatileFields.joined(separator: ", ")))")
    }
    if let timing, DurationText.parse(timing) == nil {
      throw ValidationError("--timing \(timing): expected a duration such as 5ms")
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

  @OptionGroup var comparison: ComparisonOptions
  @OptionGroup var output: OutputOptions

  func run() throws {
    let options = comparison.diffOptions
    let left = try TraceLoading.load(expected, options: options.normalization)
    let right = try TraceLoading.load(actual, options: options.normalization)
    let result = TraceDiff.compare(expected: left, actual: right, options: options)
    if output.json {
      print(try JSONOutput.encode(result))
    } else {
      print(DiffReport(result: result, style: output.style).text)
    }
    if !result.same { throw ExitCode(1) }
  }
}
