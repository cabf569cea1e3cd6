import NetDrillScenario
import NetDrillSockets

// The readiness family: poll on one socket, bounded by the step.
extension StepExecutor {
  /// poll(2) on one socket for the step's bound; no event in time is `timed out`.
  func performPoll(_ name: String, events: [PollEvent], _ step: Step, bound: Duration) throws(RunError) -> StepOutcome {
    let open = try socket(name, step)
    let mask = events.reduce(Int16(0)) { $0 | $1.value }
    let call = "poll(\(name), \(events.map(\.rawValue).joined(separator: "|")), \(DurationText.format(bound)))"
    var outcome = begin(step: step.phase, verb: .poll, socket: name, call: call)
    switch open.socket.poll(events: mask, timeoutMilliseconds: bound.milliseconds) {
    case .success(let revents):
      outcome.returned = revents == 0 ? 0 : 1
      outcome.revents = PollEvent.names(in: revents)
      if revents == 0 { outcome.timedOut = true }
    case .failure(let errno):
      outcome.error = errno.name
    }
    finish(&outcome)
    return outcome
  }
}
