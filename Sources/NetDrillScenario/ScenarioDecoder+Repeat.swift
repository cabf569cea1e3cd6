import NetDrillSockets

extension ScenarioVocabulary {
  static let repetitionStepKeys = ["steps", "id", "receiver", "expect", "note"]
  static let repetitionKeys = ["count", "rate", "duration"]
  static let receiverKeys = ["socket", "idle", "size"]
  static let repetitionExpectKeys = ["calls", "bytes", "errors", "received", "lost", "duplicated", "reordered"]
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
        report(how, "a repeat needs \"count\", \"duration\" or both, like {\"count\": 1000}")
      }
    }
    let id = fields["id"].flatMap { string($0, what: "a name for the repeat") }
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
    let note = fields["note"].flatMap { string($0) }
    guard errors.count == errorsBefore else { return nil }
    let repetition = Repetition(
      count: count, rate: rate, duration: limit, id: id, body: body, receiver: receiver, expect: expect)
    return Step(
      index: index, action: .repetition(repetition), note: note,
      location: ScenarioLocation(line: node.position.line, column: node.position.column, path: node.path))
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
    expectation.received = fields["received"].flatMap { countExpectation($0) }
    expectation.lost = fields["lost"].flatMap { countExpectation($0) }
    expectation.duplicated = fields["duplicated"].flatMap { countExpectation($0) }
    expectation.reordered = fields["reordered"].flatMap { countExpectation($0) }
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
