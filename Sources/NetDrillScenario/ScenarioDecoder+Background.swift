extension ScenarioVocabulary {
  static let backgroundReceiveKeys = ["until", "size", "data", "note", "id"]
  static let receiverUntilKeys = ["count", "idle"]
  static let collectKeys = ["expect", "timeout", "note", "id"]
  static let receiverExpectKeys = ["received", "bytes", "lost", "duplicated", "reordered", "corrupted"]
  /// Most datagrams one background receiver may wait for (as a repeat's count).
  static let maximumReceiverCount = 1_000_000_000
}

/// `{"receive_in_background": "server", "until": {"count": N, "idle": "200ms"}, "size": 2048,
/// "data": {"sequence": 64}}` and `{"collect": "server", "expect": {...}}`.
///
/// A pair of steps, like `start` and `stop` for programs: the receiver runs
/// from its step to its socket's `collect` (or the end of the scenario), so
/// the steps between — several repeats, waits, link changes — all feed it.
extension ScenarioDecoder {
  func decodeBackgroundStep(_ node: Node, spec: VerbSpec, index: Int) -> Step? {
    guard let fields = object(node, allowed: [spec.name] + spec.allowedKeys, context: "a \(spec.name) step") else {
      return nil
    }
    if node.path.contains("].steps[") {
      report(
        node,
        "a \(spec.name) step cannot be in a repeat: start the receiver before the repeat, or give the repeat a \"receiver\""
      )
      return nil
    }
    let errorsBefore = errors.count
    let subject = fields[spec.name]!
    let socket = socketReference(subject, verb: .recvmmsg)
    let note = fields["note"].flatMap { string($0) }
    let id = fields["id"].flatMap { stepID($0) }
    if let id { stepIDs[id] = node.path }
    var action: Action?
    var timeout: Duration?
    if spec.verb == .receiveInBackground {
      action = socket.flatMap { decodeReceiveInBackground($0, subject: subject, fields: fields) }.map {
        .receiveInBackground($0)
      }
    } else {
      timeout = fields["timeout"].flatMap { self.timeout($0) }
      action = socket.flatMap { decodeCollect($0, subject: subject, fields: fields) }.map { .collect($0) }
    }
    guard errors.count == errorsBefore, let action else { return nil }
    return Step(
      index: index, action: action, timeout: timeout, note: note, id: id,
      location: ScenarioLocation(line: node.position.line, column: node.position.column, path: node.path))
  }

  /// False (and reported) when the socket already has a background receiver running.
  func checkNotReceiving(_ node: Node, _ socket: String) -> Bool {
    guard let running = runningReceivers[socket] else { return true }
    report(
      node,
      "socket \(JSONPath.quoted(socket)) already receives in the background (from \(running.path)): add {\"collect\": \(JSONPath.quoted(socket))} before this step"
    )
    return false
  }

  private func decodeReceiveInBackground(_ socket: String, subject: Node, fields: Fields) -> BackgroundReceiveStep? {
    if let kind = sockets[socket]?.kind, kind != .udp {
      report(subject, "a background receiver counts datagrams: \(JSONPath.quoted(socket)) is a \(kind) socket, not udp")
      return nil
    }
    guard checkNotReceiving(subject, socket) else { return nil }
    var step = BackgroundReceiveStep(socket: socket)
    if let until = fields["until"],
      let limits = object(until, allowed: ScenarioVocabulary.receiverUntilKeys, context: "a receiver's until")
    {
      step.count = limits["count"].flatMap { integer($0, 1...ScenarioVocabulary.maximumReceiverCount) }
      step.idle = limits["idle"].flatMap { timeout($0) }
      if !limits.has("count"), !limits.has("idle") {
        report(until, "\"until\" needs \"count\", \"idle\" or both, like {\"count\": 1000}")
      }
    }
    if let size = fields["size"] { step.size = integer(size, 1...65536) ?? step.size }
    if let dataNode = fields["data"], let payload = payload(dataNode) {
      guard case .sequence(let size, let seed) = payload else {
        report(dataNode, "a background receiver checks sequence payloads only, like {\"sequence\": 64}")
        return nil
      }
      step.sequence = SequencePayload(size: size, seed: seed)
    }
    runningReceivers[socket] = (subject.path, step)
    return step
  }

  private func decodeCollect(_ socket: String, subject: Node, fields: Fields) -> CollectStep? {
    guard let running = runningReceivers.removeValue(forKey: socket) else {
      report(
        subject,
        "socket \(JSONPath.quoted(socket)) has no background receiver to collect: add {\"receive_in_background\": \(JSONPath.quoted(socket))} before this step"
      )
      return nil
    }
    var step = CollectStep(socket: socket)
    guard let expectNode = fields["expect"] else { return step }
    guard let expect = object(expectNode, allowed: ScenarioVocabulary.receiverExpectKeys, context: "a collect's expect")
    else { return nil }
    var expectation = receiverCounts(expect)
    expectation.bytes = expect["bytes"].flatMap { countExpectation($0) }
    // Loss is what was expected and did not come: without a count or sequence numbers nothing says what was expected.
    if let lost = expect["lost"], running.spec.count == nil, running.spec.sequence == nil {
      report(
        lost,
        "\"lost\" needs the receiver to know what to expect: give its receive_in_background \"until\": {\"count\": N} or \"data\": {\"sequence\": N}"
      )
      return nil
    }
    for key in ["duplicated", "reordered"] where running.spec.sequence == nil {
      if let node = expect[key] {
        report(
          node,
          "\(JSONPath.quoted(key)) needs sequence numbers: give the receive_in_background \"data\": {\"sequence\": N}")
        return nil
      }
    }
    step.expect = expectation
    return step
  }

  /// The receiver counts of an `expect` (a collect's or a repeat's; each allows its own keys):
  /// received, lost, duplicated, reordered, corrupted. `bytes` means different things in the two.
  func receiverCounts(_ expect: Fields) -> ReceiverExpectation {
    var expectation = ReceiverExpectation()
    expectation.received = expect["received"].flatMap { countExpectation($0) }
    expectation.lost = expect["lost"].flatMap { countExpectation($0) }
    expectation.duplicated = expect["duplicated"].flatMap { countExpectation($0) }
    expectation.reordered = expect["reordered"].flatMap { countExpectation($0) }
    expectation.corrupted = expect["corrupted"].flatMap { countExpectation($0) }
    return expectation
  }
}
