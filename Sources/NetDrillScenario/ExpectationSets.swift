import NetDrillSockets

/// A number an expectation admits more than one value of: `{"min": 1, "max": 31}`
/// (either bound may be left out) or `{"one_of": [0, 5]}`.
public enum NumberSet: Sendable, Equatable, CustomStringConvertible {
  case range(min: Int?, max: Int?)
  case oneOf([Int])

  public func contains(_ value: Int) -> Bool {
    switch self {
    case .range(let low, let high): return value >= (low ?? Int.min) && value <= (high ?? Int.max)
    case .oneOf(let values): return values.contains(value)
    }
  }

  /// `1…31`, `≥ 1`, `≤ 31`, `one of 0, 5`.
  public var description: String {
    switch self {
    case .range(let low?, let high?): return "\(low)…\(high)"
    case .range(let low?, nil): return "≥ \(low)"
    case .range(nil, let high?): return "≤ \(high)"
    case .range(nil, nil): return "any"
    case .oneOf(let values): return "one of " + values.map(String.init).joined(separator: ", ")
    }
  }
}

/// How long a call took, or how long since another step began (`"elapsed"`).
/// Opt-in and never part of a golden comparison: timing varies with the machine.
public struct ElapsedExpectation: Sendable, Equatable, CustomStringConvertible {
  public var minimum: Duration?
  public var maximum: Duration?
  /// The `id` of an earlier step: measured from that step's start to this
  /// step's end, instead of this call's own start.
  public var since: String?

  public init(minimum: Duration? = nil, maximum: Duration? = nil, since: String? = nil) {
    self.minimum = minimum
    self.maximum = maximum
    self.since = since
  }

  public func contains(_ duration: Duration) -> Bool {
    (minimum.map { duration >= $0 } ?? true) && (maximum.map { duration <= $0 } ?? true)
  }

  public var description: String {
    let bounds: String
    switch (minimum, maximum) {
    case (let low?, let high?): bounds = "\(DurationText.format(low))…\(DurationText.format(high))"
    case (let low?, nil): bounds = "≥ \(DurationText.format(low))"
    case (nil, let high?): bounds = "≤ \(DurationText.format(high))"
    case (nil, nil): bounds = "any"
    }
    return since.map { "\(bounds) since \($0)" } ?? bounds
  }
}

/// `"total": {"with": ["got_a"], "returns": 16}`: this step's return value
/// plus those of the earlier steps named, e.g. datagrams shared out among receivers.
public struct TotalExpectation: Sendable, Equatable, CustomStringConvertible {
  /// The ids of earlier steps.
  public var steps: [String]
  public var returns: NumberSet

  public init(steps: [String], returns: NumberSet) {
    self.steps = steps
    self.returns = returns
  }

  public var description: String {
    let value: String
    if case .oneOf(let values) = returns, values.count == 1 {
      value = String(values[0])
    } else {
      value = returns.description
    }
    return "\(value) with \(steps.joined(separator: ", "))"
  }
}

extension Scenario {
  /// The step labelled `id` (`"id"` in JSON), for references by `since`, `inject`...
  public func step(withID id: String) -> Step? { steps.first { $0.id == id } }
}
