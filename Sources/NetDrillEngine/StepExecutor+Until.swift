import NetDrillScenario

// A repeat's `until`: the watched body step runs with the condition as its
// expectation, so it is checked exactly as a step's own expectation would be
// (same resolver, names and labelled steps; before the outcome is trimmed).
extension StepExecutor {
  /// Runs the watched body step and notes whether the condition held this iteration.
  func executeWatched(_ step: Step, until: RepetitionUntil, into tally: inout RepetitionTally) throws(RunError)
    -> [StepOutcome]
  {
    var watched = step
    watched.expect = until.expect
    let outcomes = try execute(watched)
    let checks = outcomes.first?.checks ?? []
    tally.untilChecks = checks
    tally.untilMet = !checks.isEmpty && checks.allSatisfy(\.passed)
    return outcomes
  }

  /// The repeat's `until` check: met at which iteration, or what the watched
  /// step answered last when the count or duration ran out first.
  static func untilCheck(_ until: RepetitionUntil, in repetition: Repetition, tally: RepetitionTally)
    -> ExpectationCheck
  {
    let step = repetition.body[until.bodyIndex]
    let name = step.id ?? step.action.verb.rawValue + (step.action.socketName.map { "(\($0)) of the body" } ?? "")
    let checks = tally.untilChecks ?? []
    let wanted = checks.map { "\($0.field) \($0.expected)" }.joined(separator: ", ")
    let expected = "\(name): \(wanted.isEmpty ? "its expectation" : wanted)"
    if tally.untilMet {
      return ExpectationCheck(
        field: "until", expected: expected, actual: "met at iteration \(tally.iterations)", passed: true)
    }
    let last = checks.filter { !$0.passed }.map { "\($0.field) \($0.actual)" }.joined(separator: ", ")
    let bound = repetition.count.map { "\($0) iterations" } ?? "the duration"
    return ExpectationCheck(
      field: "until", expected: expected + " within \(bound)",
      actual: "not met in \(tally.iterations) iterations"
        + (last.isEmpty ? " (the step never ran)" : "; last: \(last)"),
      passed: false)
  }
}
