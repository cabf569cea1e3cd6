import NetDrillScenario

/// When a call was made: while setting the run up (faults, programs, declared
/// sockets), as a step of the scenario, or while tearing the run down
/// (stopping the programs still running).
///
/// Stored in a trace's manifest as one integer, the format every recorded
/// trace already uses: the step's index (0 or more), -1 for set-up and -2 for
/// tear-down.
public enum StepPhase: Sendable, Hashable {
  case setUp
  /// The step at this index of `Scenario.steps`.
  case step(Int)
  case tearDown

  /// The step's index in `Scenario.steps`; nil for set-up and tear-down.
  public var index: Int? {
    guard case .step(let index) = self else { return nil }
    return index
  }

  /// `setup`, `end`, or the step's number (from 1) written by `step`.
  public func label(step: (Int) -> String) -> String {
    switch self {
    case .setUp: return "setup"
    case .step(let index): return step(index + 1)
    case .tearDown: return "end"
    }
  }
}

extension StepPhase: Codable {
  private static let setUpNumber = -1
  private static let tearDownNumber = -2

  /// The number stored in a manifest.
  var storedNumber: Int {
    switch self {
    case .setUp: return Self.setUpNumber
    case .step(let index): return index
    case .tearDown: return Self.tearDownNumber
    }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let number = try container.decode(Int.self)
    switch number {
    case Self.setUpNumber: self = .setUp
    case Self.tearDownNumber: self = .tearDown
    case 0...: self = .step(number)
    default:
      throw DecodingError.dataCorrupted(
        DecodingError.Context(
          codingPath: decoder.codingPath,
          debugDescription: "expected a step index (0 or more), -1 (set-up) or -2 (tear-down), found \(number)"))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(storedNumber)
  }
}

extension Step {
  /// The phase of a call this step makes.
  var phase: StepPhase { .step(index) }
}
