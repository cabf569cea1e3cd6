import NetDrillSockets

extension ScenarioVocabulary {
  static let repetitionStepKeys = ["steps", "id", "receiver", "timestamps", "expect", "note"]
  static let repetitionKeys = ["count", "rate", "duration", "until"]
  static let untilKeys = ["step", "expect"]
  static let receiverKeys = ["socket", "idle", "size"]
  static let repetitionExpectKeys = [
    "calls", "bytes", "errors", "received", "lost", "duplicated", "reordered", "latency",
  ]
  static let countRangeKeys = ["min", "max"]
  /// Most iterations one repeat may ask for (10⁹: minutes of work at the kernel's limit).
  static let maximumRepeatCount = 1_000_000_000
  /// Longest a repeat may run.
  static let maximumRepeatDuration = Duration.seconds(3600)
  /// Most steps in a repeat's body.
  static let maximumRepeatBody = 64
  /// Rates outside these are typing mistakes, not loads loopback could carry.
  static let datagramRates = 1.0...100_000_000.0
  static let byteRates = 1.0...100_000_000_000.0
}

/// `{"repeat": {"count": N, "rate": "50000/s", "duration": "2s"}, "id": "...",
/// "steps": [...], "receiver": "server", "expect": {...}}`.
extension ScenarioDecoder {
  func decodeRepetition(_ node: Node, members: [JSONMember], index: Int) -> Step? {
    guard
      let fields = object(node, allowed: ["repeat"] + ScenarioVocabulary.repetitionStepKeys, context: "a repeat step")
    else { return nil }
    let errorsBefore = errors.count
    var count: Int?
    var rate: Repetition.Rate?
    var limit: Duration?
    var untilNode: Node?
    if let how = fields["repeat"],
      let limits = object(how, allowed: ScenarioVocabulary.repetitionKeys, context: "repeat")
    {
      count = limits["count"].flatMap { integer($0, 1...ScenarioVocabulary.maximumRepeatCount) }
      rate = limits["rate"].flatMap { repetitionRate($0) }
      if let durationNode = limits["duration"], let value = duration(durationNode) {
        if value < .microseconds(1) || value > ScenarioVocabulary.maximumRepeatDuration {
          report(durationNode, "a repeat's duration must be between 1us and 1h, found \(DurationText.format(value))")
        } else {
          limit = value
        }
      }
      if !limits.has("count"), !limits.has("duration") {
        report(
          how,
          "a repeat needs \"count\", \"duration\" or both, like {\"count\": 1000} (with \"until\", the most iterations to try)"
        )
      }
      untilNode = limits["until"]
    }
    // A step id like any other: unique, and usable by `since`, `total` and inject's `quoting` checks.
    let id = fields["id"].flatMap { stepID($0) }
    let receiver = fields["receiver"].flatMap { backgroundReceiver($0) }
    var body: [Step] = []
    if let stepsNode = fields["steps"] {
      if let elements = array(stepsNode, count: 1...ScenarioVocabulary.maximumRepeatBody) {
        for element in elements {
          if case .object(let inner) = element.value.content,
            let nested = inner.first(where: { $0.key == "repeat" })
          {
            report(nested.keyPosition, JSONPath.appending(element.path, key: "repeat"), "a repeat cannot be nested")
            continue
          }
          if case .object(let inner) = element.value.content, let expect = inner.first(where: { $0.key == "expect" }) {
            report(
              expect.keyPosition, JSONPath.appending(element.path, key: "expect"),
              "a step in a repeat has no expectation of its own: put it on the repeat's \"expect\" (calls, bytes, errors…)"
            )
            continue
          }
          if let step = decodeStep(element, index: index) { body.append(step) }
        }
      }
    } else {
      report(node, "a repeat step needs \"steps\", the steps to repeat")
    }
    let expect = fields["expect"].flatMap { repetitionExpectation($0) }
    let timestamps = repetitionTimestamps(fields, body: body, hasUntil: untilNode != nil)
    let note = fields["note"].flatMap { string($0) }
    // After the body: the condition names one of its steps.
    let until = errors.count == errorsBefore ? untilNode.flatMap { repetitionUntil($0, body: body) } : nil
    guard errors.count == errorsBefore else { return nil }
    if let id { stepIDs[id] = node.path }
    var repetition = Repetition(
      count: count, rate: rate, duration: limit, id: id, body: body, receiver: receiver, expect: expect, until: until)
    repetition.timestamps = timestamps
    return Step(
      index: index, action: .repetition(repetition), note: note, id: id,
      location: ScenarioLocation(line: node.position.line, column: node.position.column, path: node.path))
  }

  /// `{"step": "drained", "expect": {"error": "EAGAIN"}}`: the body step
  /// labelled `step` (the body's last when left out) and what its outcome must
  /// be, in that step's own expectation vocabulary, for the loop to end.
  private func repetitionUntil(_ node: Node, body: [Step]) -> RepetitionUntil? {
    guard let fields = object(node, allowed: ScenarioVocabulary.untilKeys, context: "until") else { return nil }
    var bodyIndex = body.count - 1
    if let stepNode = fields["step"] {
      guard let id = string(stepNode, what: "the id of a step in the repeat's body") else { return nil }
      guard let index = body.firstIndex(where: { $0.id == id }) else {
        let elsewhere = stepIDs[id] != nil || laterStepIDs[id] != nil
        report(
          stepNode,
          elsewhere
            ? "step \(JSONPath.quoted(id)) is not in this repeat's body: \"until\" watches one of the steps it repeats"
            : "no step in this repeat's body has the id \(JSONPath.quoted(id))",
          suggestion: elsewhere ? nil : ScenarioError.nearest(id, in: body.compactMap(\.id)))
        return nil
      }
      bodyIndex = index
    }
    guard let expectNode = fields["expect"] else {
      report(
        node,
        "\"until\" needs \"expect\": what the step's outcome must be to end the loop, like {\"error\": \"EAGAIN\"}")
      return nil
    }
    if case .object(let members) = expectNode.value.content, members.isEmpty {
      report(
        expectNode,
        "\"until\" needs at least one expectation, like {\"error\": \"EAGAIN\"}: an empty one never ends the loop")
      return nil
    }
    let watched = body[bodyIndex]
    guard let spec = ScenarioVocabulary.verbs.first(where: { $0.verb == watched.action.verb }),
      let expect = decodeExpect(expectNode, spec: spec, action: watched.action)
    else { return nil }
    return RepetitionUntil(bodyIndex: bodyIndex, expect: expect)
  }

  /// `"50000/s"` (datagrams a second) or `"10MB/s"` (payload bytes: B, KB, MB, GB, powers of 1000).
  private func repetitionRate(_ node: Node) -> Repetition.Rate? {
    guard let text = string(node, what: "a rate like \"50000/s\" or \"10MB/s\"") else { return nil }
    let units: [(String, Double, Bool)] = [
      ("GB/s", 1e9, true), ("MB/s", 1e6, true), ("KB/s", 1e3, true), ("kB/s", 1e3, true), ("B/s", 1, true),
      ("/s", 1, false),
    ]
    for (suffix, scale, isBytes) in units where text.hasSuffix(suffix) {
      let digits = text.dropLast(suffix.count)
      guard let value = Double(digits), value.isFinite, digits.first?.isNumber == true else { break }
      let perSecond = value * scale
      let allowed = isBytes ? ScenarioVocabulary.byteRates : ScenarioVocabulary.datagramRates
      guard allowed.contains(perSecond) else {
        report(
          node,
          "a rate must be between 1 and \(Int64(allowed.upperBound)) \(isBytes ? "bytes" : "datagrams") a second, found \(JSONPath.quoted(text))"
        )
        return nil
      }
      return isBytes ? .bytes(perSecond: perSecond) : .datagrams(perSecond: perSecond)
    }
    report(
      node,
      "expected a rate like \"50000/s\" (datagrams a second) or \"10MB/s\" (B, KB, MB, GB), found \(JSONPath.quoted(text))"
    )
    return nil
  }

  private func backgroundReceiver(_ node: Node) -> BackgroundReceiverSpec? {
    if case .string = node.value.content {
      return socketReference(node, verb: .recvmmsg).flatMap { checkNotReceiving(node, $0) ? $0 : nil }.map {
        BackgroundReceiverSpec(socket: $0)
      }
    }
    guard let fields = object(node, allowed: ScenarioVocabulary.receiverKeys, context: "a receiver") else { return nil }
    guard let socketNode = fields["socket"] else {
      report(node, "a receiver needs \"socket\", the socket that receives")
      return nil
    }
    guard let socket = socketReference(socketNode, verb: .recvmmsg), checkNotReceiving(socketNode, socket) else {
      return nil
    }
    var spec = BackgroundReceiverSpec(socket: socket)
    if let idle = fields["idle"] {
      guard let value = timeout(idle) else { return nil }
      spec.idle = value
    }
    if let size = fields["size"] {
      guard let value = integer(size, 1...65536) else { return nil }
      spec.size = value
    }
    return spec
  }

  private func repetitionExpectation(_ node: Node) -> RepetitionExpectation? {
    guard let fields = object(node, allowed: ScenarioVocabulary.repetitionExpectKeys, context: "a repeat's expect")
    else { return nil }
    var expectation = RepetitionExpectation()
    expectation.calls = fields["calls"].flatMap { countExpectation($0) }
    expectation.bytes = fields["bytes"].flatMap { countExpectation($0) }
    expectation.receiver = receiverCounts(fields)
    expectation.latency = fields["latency"].flatMap { latencyBounds($0) }
    if let errorsNode = fields["errors"] {
      guard case .object(let members) = errorsNode.value.content else {
        report(errorsNode, "expected an object of errno names to counts, like {\"ECONNREFUSED\": {\"min\": 1}}")
        return nil
      }
      var counts: [RepetitionExpectation.ErrorCount] = []
      for member in members {
        let valueNode = Node(member.value, path: JSONPath.appending(errorsNode.path, key: member.key))
        guard let errno = Errno(name: member.key) else {
          report(
            member.keyPosition, valueNode.path, "unknown errno \(JSONPath.quoted(member.key))",
            suggestion: ScenarioError.nearest(member.key, in: Errno.allNames))
          continue
        }
        if let count = countExpectation(valueNode) { counts.append(.init(errno: errno, count: count)) }
      }
      expectation.errors = counts
    }
    return expectation
  }

  /// `5` or `{"min": 1, "max": 9}` (either bound may be left out, not both).
  func countExpectation(_ node: Node) -> CountExpectation? {
    let counts = 0...Int.max
    if case .number = node.value.content { return integer(node, counts).map { .exactly($0) } }
    guard let fields = object(node, allowed: ScenarioVocabulary.countRangeKeys, context: "a count range") else {
      return nil
    }
    let min = fields["min"].flatMap { integer($0, counts) }
    let max = fields["max"].flatMap { integer($0, counts) }
    if !fields.has("min"), !fields.has("max") {
      report(node, "a count range needs \"min\", \"max\" or both")
      return nil
    }
    if let min, let max, min > max {
      report(node, "\"min\" (\(min)) is larger than \"max\" (\(max))")
      return nil
    }
    return CountExpectation(min: min, max: max)
  }
}
