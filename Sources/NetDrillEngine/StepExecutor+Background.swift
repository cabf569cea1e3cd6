import NetDrillScenario

// `receive_in_background` starts a receiver thread on a socket; `collect`
// (or the end of the scenario) stops it and records its totals as one outcome.
extension StepExecutor {
  func performReceiveInBackground(_ receive: BackgroundReceiveStep, _ step: Step) throws(RunError) -> StepOutcome {
    let open = try socket(receive.socket, step)
    let receiver = BackgroundReceiver(
      standalone: receive, descriptor: open.socket.descriptor, limit: Self.sequenceLimit(of: scenario))
    var outcome = begin(
      step: step.phase, verb: .receiveInBackground, socket: receive.socket, call: Self.describe(receive))
    receiver.start()
    backgroundReceivers[receive.socket] = receiver
    finish(&outcome)
    return outcome
  }

  func performCollect(_ collect: CollectStep, _ step: Step, bound: Duration) throws(RunError) -> StepOutcome {
    // The decoder lets a collect follow only its socket's receive_in_background.
    guard let receiver = backgroundReceivers.removeValue(forKey: collect.socket) else {
      throw .undeclaredSocket(collect.socket, step.location)
    }
    var outcome = begin(step: step.phase, verb: .collect, socket: collect.socket, call: "collect(\(collect.socket))")
    let totals = receiver.collect(within: bound)
    finish(&outcome)
    outcome.background = totals
    outcome.checks = ReceiverChecks.check(collect.expect, against: totals)
    return outcome
  }

  /// Receivers no `collect` stopped: stopped after the last step, their totals recorded (nothing to check).
  func collectRemainingReceivers() -> [StepOutcome] {
    backgroundReceivers.sorted { $0.key < $1.key }.map { socket, receiver in
      var outcome = begin(step: .tearDown, verb: Verb.collect, socket: socket, call: "collect(\(socket))")
      outcome.background = receiver.collect(within: scenario.defaults.timeout)
      finish(&outcome)
      backgroundReceivers[socket] = nil
      return outcome
    }
  }

  /// `receive_in_background(server, until count 1000 idle 200ms, sequence 64B seed 1)`.
  static func describe(_ receive: BackgroundReceiveStep) -> String {
    var parts = [receive.socket]
    let until = [receive.count.map { "count \($0)" }, receive.idle.map { "idle \(DurationText.format($0))" }]
      .compactMap { $0 }
    if !until.isEmpty { parts.append("until " + until.joined(separator: " ")) }
    if let sequence = receive.sequence { parts.append("sequence \(sequence.size)B") }
    return "receive_in_background(\(parts.joined(separator: ", ")))"
  }

  /// The most datagrams the scenario's repeats could number: a sequence
  /// number at or above it is damage, not a datagram to remember.
  static func sequenceLimit(of scenario: Scenario) -> Int {
    var total = 0
    for step in scenario.steps {
      guard case .repetition(let repetition) = step.action else { continue }
      let perIteration = repetition.body.reduce(0) { sum, inner in
        guard case .send(let send) = inner.action else { return sum }
        return sum + max(1, send.messages.count)
      }
      let iterations = repetition.count ?? BackgroundReceiverLimits.uncountedRepeat
      total =
        total.addingReportingOverflow(iterations.multipliedReportingOverflow(by: perIteration).partialValue)
        .partialValue
    }
    return max(1, min(total, BackgroundReceiverLimits.uncountedRepeat * 100))
  }
}

enum BackgroundReceiverLimits {
  /// Datagrams assumed for a repeat bounded only by its duration (10M: 1.25 MB of sequence bitmap).
  static let uncountedRepeat = 10_000_000
}

/// A `collect`'s expectations against its receiver's totals: counts only.
enum ReceiverChecks {
  static func check(_ expectation: ReceiverExpectation?, against totals: ReceiverOutcome) -> [ExpectationCheck] {
    guard let expectation else { return [] }
    let actual = [
      "received": totals.received, "bytes": totals.bytes, "lost": totals.lost, "duplicated": totals.duplicated,
      "reordered": totals.reordered, "corrupted": totals.corrupted,
    ]
    return expected(expectation).map { field, expected in
      let value = actual[field] ?? 0
      return ExpectationCheck(
        field: field, expected: expected.description, actual: String(value), passed: expected.holds(value))
    }
  }

  /// The counts an expectation names, in the order their checks are reported.
  static func expected(_ expectation: ReceiverExpectation) -> [(String, CountExpectation)] {
    let fields: [(String, CountExpectation?)] = [
      ("received", expectation.received), ("bytes", expectation.bytes), ("lost", expectation.lost),
      ("duplicated", expectation.duplicated), ("reordered", expectation.reordered),
      ("corrupted", expectation.corrupted),
    ]
    return fields.compactMap { field, expected in expected.map { (field, $0) } }
  }
}
