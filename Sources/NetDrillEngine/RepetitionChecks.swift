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
    if let receiver = outcome.receiver {
      checks += ReceiverChecks.check(expectation.receiver, against: receiver)
    } else {
      // Decoding refuses receiver counts without a receiver; should one come here, each fails.
      for (field, expected) in ReceiverChecks.expected(expectation.receiver) { add(field, expected, nil) }
    }
    // Opt-in only (a golden carries none unless its author wrote one): latency differs from run to run.
    for bound in expectation.latency ?? [] {
      let actual = outcome.receiver?.latency.map { $0.value(of: bound.statistic) }
      checks.append(
        .init(
          field: "latency.\(bound.statistic.rawValue)", expected: bound.range.description,
          actual: actual.map(LatencySummary.format) ?? "not measured",
          passed: actual.map { bound.range.contains(.nanoseconds(Int64(clamping: $0))) } ?? false))
    }
    return checks
  }
}
