import NetDrillEngine
import Testing

@testable import NetDrillReplay

/// What a golden comparison leaves out of a step whose expectation admits
/// several answers, and only when that expectation held in both runs.
@Suite("Diff: fields a passing range or set covers")
struct OutcomeToleranceTests {
  private func recvmmsg(returned: Int, passed: Bool) -> StepOutcome {
    var outcome = StepOutcome(
      step: .step(3), verb: "recvmmsg", socket: "rx_a", call: "recvmmsg(rx_a, 32 × 65536, MSG_DONTWAIT)",
      startNanoseconds: 0)
    outcome.returned = returned
    outcome.checks = [
      ExpectationCheck(
        field: "returns", expected: "1…31", actual: String(returned), passed: passed, admitsSeveral: true)
    ]
    return outcome
  }

  // More than 16 messages are folded into `more_messages`: how many depends on the split just as `messages` does.
  @Test("a passing returns range covers the messages beyond the 16 kept whole, as it covers the 16")
  func returnsCoversMoreMessages() {
    let tolerance = OutcomeTolerance(
      expected: recvmmsg(returned: 17, passed: true), actual: recvmmsg(returned: 20, passed: true))
    for field in ["result", "messages[16]", "more_messages"] {
      #expect(tolerance.leavesOut(field), "\(field)")
    }
  }

  @Test("a range that failed in either run covers nothing")
  func failedRangeCoversNothing() {
    let tolerance = OutcomeTolerance(
      expected: recvmmsg(returned: 17, passed: true), actual: recvmmsg(returned: 32, passed: false))
    #expect(!tolerance.leavesOut("more_messages"))
    #expect(!tolerance.leavesOut("result"))
  }
}
