import NetDrillScenario
import NetDrillSockets

/// The expectations that admit several answers (ranges, sets), `timed_out`
/// and `elapsed`.
extension ExpectationChecker {
  func checkSets(_ expectation: StepExpectation, against outcome: StepOutcome) -> [ExpectationCheck] {
    var checks: [ExpectationCheck] = []
    let actualResult = outcome.resultText
    if let among = expectation.returnsAmong {
      checks.append(
        .init(
          field: "returns", expected: among.description, actual: actualResult,
          passed: outcome.error == nil && outcome.returned.map(among.contains) == true, admitsSeveral: true))
    }
    if let errors = expectation.errorAmong {
      checks.append(
        .init(
          field: "error", expected: "one of " + errors.map(\.name).joined(separator: ", "), actual: actualResult,
          passed: errors.contains { $0.name == outcome.error }, admitsSeveral: errors.count > 1))
    }
    if let among = expectation.valueAmong {
      let number = outcome.value.flatMap { Int($0) }
      checks.append(
        .init(
          field: "value", expected: among.description, actual: outcome.value ?? "no value",
          passed: number.map(among.contains) == true, admitsSeveral: true))
    }
    if let among = expectation.portAmong {
      let port = outcome.address.flatMap { $0.split(separator: ":").last.flatMap { Int($0) } }
      checks.append(
        .init(
          field: "port", expected: among.description, actual: port.map(String.init) ?? actualResult,
          passed: port.map(among.contains) == true, admitsSeveral: true))
    }
    if let timedOut = expectation.timedOut {
      let actual = outcome.timedOut == true
      checks.append(
        .init(
          field: "timed_out", expected: timedOut ? "timed out" : "not timed out",
          actual: actual ? "timed out (\(actualResult))" : "not timed out (\(actualResult))",
          passed: actual == timedOut))
    }
    if let elapsed = expectation.elapsed {
      checks.append(self.elapsed(elapsed, outcome: outcome))
    }
    if let total = expectation.total {
      checks.append(self.total(total, outcome: outcome))
    }
    return checks
  }

  /// This step's return value plus those of the earlier steps named: a failed
  /// call (EAGAIN: nothing to read) counts 0.
  private func total(_ expected: TotalExpectation, outcome: StepOutcome) -> ExpectationCheck {
    var parts = [outcome.returned ?? 0]
    for id in expected.steps {
      guard let earlier = labelled[id] else {
        return .init(
          field: "total", expected: expected.description, actual: "step \(id) has not run", passed: false)
      }
      parts.append(earlier.returned ?? 0)
    }
    let sum = parts.reduce(0, +)
    return .init(
      field: "total", expected: expected.description,
      actual: "\(sum) (\(parts.map(String.init).joined(separator: " + ")))", passed: expected.returns.contains(sum))
  }

  /// `12.345ms`: to the microsecond, whatever the duration.
  static func milliseconds(_ nanoseconds: UInt64) -> String {
    let micros = nanoseconds / 1_000
    let fraction = String(micros % 1_000)
    return "\(micros / 1_000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)ms"
  }

  /// The call's duration, or from the start of the step `since` names to this call's end.
  private func elapsed(_ expected: ElapsedExpectation, outcome: StepOutcome) -> ExpectationCheck {
    let start = expected.since.flatMap { labelled[$0]?.startNanoseconds } ?? outcome.startNanoseconds
    guard expected.since == nil || labelled[expected.since ?? ""] != nil else {
      return .init(
        field: "elapsed", expected: expected.description, actual: "step \(expected.since ?? "") has not run",
        passed: false)
    }
    let nanoseconds = outcome.endNanoseconds >= start ? outcome.endNanoseconds - start : 0
    let took = Duration.nanoseconds(Int64(clamping: nanoseconds))
    return .init(
      field: "elapsed", expected: expected.description, actual: Self.milliseconds(nanoseconds),
      passed: expected.contains(took))
  }
}
