import NetDrillEngine

/// Which outcome fields a golden comparison leaves out because the step's
/// expectation admits several answers.
///
/// A step expected with a range or a set (`"returns": {"min": 1, "max": 15}`,
/// `"error": ["EAGAIN", "ECONNREFUSED"]`) may legitimately give a different
/// answer on each run — SO_REUSEPORT spreads datagrams by a hash with a
/// random key. When that expectation passed in both traces, the answers are
/// equal for the comparison; when it failed in either, they are compared as usual.
struct OutcomeTolerance {
  private var leftOut: Set<String> = []

  init(expected: StepOutcome, actual: StepOutcome) {
    func admitted(_ outcome: StepOutcome) -> Set<String> {
      Set(outcome.checks.filter { $0.admitsSeveral == true && $0.passed }.map(\.field))
    }
    for field in admitted(expected).intersection(admitted(actual)) {
      leftOut.formUnion(Self.covered[field] ?? [])
    }
  }

  /// The expectation key → the diff fields whose value follows from its answer:
  /// how many bytes or messages a call returned decides what it received.
  static let covered: [String: Set<String>] = [
    "returns": ["result", "data", "from", "flags", "control", "messages", "more_messages"],
    "error": ["result"],
    "value": ["value"],
    "port": ["address"],
  ]

  /// True when `field` (`result`, `messages[3]`...) is not compared.
  func leavesOut(_ field: String) -> Bool {
    let base = field.split(separator: "[").first.map(String.init) ?? field
    return leftOut.contains(base)
  }
}
