import NetDrillReplay
import NetDrillScenario

/// The comparison a user asks for by name (`--ignore`, `--compare`,
/// `--timing`), checked before anything runs and turned into `DiffOptions`.
public struct ComparisonChoices: Sendable {
  public var strictOrder: Bool
  /// Normally compared fields to leave out.
  public var ignore: [String]
  /// Normally ignored fields to compare too.
  public var compare: [String]
  /// A tolerance such as `5ms`: compare when steps and packets happened.
  public var timing: String?

  public init(strictOrder: Bool = false, ignore: [String] = [], compare: [String] = [], timing: String? = nil) {
    self.strictOrder = strictOrder
    self.ignore = ignore
    self.compare = compare
    self.timing = timing
  }

  /// Why these choices cannot be used (for the first bad one), or nil.
  public var problem: String? {
    for field in ignore where !NormalizationOptions.ignorableFields.contains(field) {
      return "--ignore \(field): \(Self.why(field, isCompared: true))"
    }
    for field in compare where !NormalizationOptions.volatileFields.contains(field) {
      return "--compare \(field): \(Self.why(field, isCompared: false))"
    }
    if let timing, DurationText.parse(timing) == nil {
      return "--timing \(timing): expected a duration such as 5ms"
    }
    return nil
  }

  /// The options for `TraceDiff`; a choice `problem` names is left out.
  public var diffOptions: DiffOptions {
    DiffOptions(
      normalization: NormalizationOptions(ignored: Set(ignore), compared: Set(compare)), strictOrder: strictOrder,
      timingTolerance: timing.flatMap(DurationText.parse))
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
}

/// The text of an option's help, kept beside the behaviour it describes.
public struct OptionHelp: Sendable {
  public var abstract: String
  public var discussion: String
  public var valueName: String
}

extension ComparisonChoices {
  public static let ignoreHelp = OptionHelp(
    abstract: "Leave out these normally compared fields (the field table in README.md, \"Comparing runs\").",
    discussion: "One of: \(NormalizationOptions.ignorableFields.joined(separator: ", ")).", valueName: "field")

  public static let compareHelp = OptionHelp(
    abstract: "Compare these normally ignored fields too.",
    discussion: "One of: \(NormalizationOptions.volatileFields.joined(separator: ", ")).", valueName: "field")
}
