import NetDrillScenario

/// A repeat's expectations against its aggregate outcome: counts only, never
/// time or rate, so a golden's verdict is the same on every machine.
enum RepetitionChecks {
  static func check(_ expectation: RepetitionExpectation?, against outcome: RepetitionOutcome) -> [ExpectationCheck] {
    guard let expectation else { return [] }
    var checks: [ExpectationCheck] = []
    func add(_ field: String, _ expected: CountExpectation?, _ actual: Int?) {
      guard let expected else { return }
      checks.append(
        .init(
          field: field, expected: expected.description, actual: actual.map(String.init) ?? "no receiver",
          passed: actual.map(expected.holds) ?? false))
    }
    add("calls", expectation.calls, outcome.calls)
    add("bytes", expectation.bytes, outcome.bytes)
    for error in expectation.errors ?? [] {
      add("errors.\(error.errno.name)", error.count, outcome.count(of: error.errno.name))
    }
    add("received", expectation.received, outcome.receiver?.received)
    add("lost", expectation.lost, outcome.receiver?.lost)
    add("duplicated", expectation.duplicated, outcome.receiver?.duplicated)
    add("reordered", expectation.reordered, outcome.receiver?.reordered)
    return checks
  }
}
