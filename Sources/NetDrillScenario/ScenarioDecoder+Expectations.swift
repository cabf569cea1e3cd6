import NetDrillSockets

/// A step's `expect`, checked against what its verb can report.
extension ScenarioDecoder {
  func decodeExpect(_ node: Node, spec: VerbSpec, action: Action?) -> StepExpectation? {
    guard let fields = object(node, allowed: ScenarioVocabulary.expectKeys, context: "expect") else { return nil }
    for member in fields.members where ScenarioVocabulary.expectKeys.contains(member.key) {
      guard !spec.expectKeys.contains(member.key) else { continue }
      if member.key == "returns", [.socket, .accept].contains(spec.verb) {
        report(
          member.keyPosition, JSONPath.appending(node.path, key: member.key),
          "\(spec.name)() returns a new descriptor, whose number netdrill does not report (it depends on what else is open): check \"error\": \"none\" instead"
        )
        continue
      }
      let users = ScenarioVocabulary.verbs.filter { $0.expectKeys.contains(member.key) }.map(\.name)
      report(
        member.keyPosition, JSONPath.appending(node.path, key: member.key),
        "\(JSONPath.quoted(member.key)) cannot be checked on a \(spec.name) step (it applies to \(users.joined(separator: ", ")))"
      )
    }
    func field(_ key: String) -> Node? { spec.expectKeys.contains(key) ? fields[key] : nil }

    var expectation = StepExpectation()
    if let returnsNode = field("returns") {
      if case .object = returnsNode.value.content {
        expectation.returnsAmong = numberSet(returnsNode, 0...Int.max)
      } else if case .number(let number) = returnsNode.value.content, let value = number.integer, value < 0 {
        report(returnsNode, "a failing call is written \"error\": \"E...\", not as a return of \(value)")
      } else {
        expectation.returns = integer(returnsNode, 0...Int.max)
      }
    }
    if let errorNode = field("error"), case .array = errorNode.value.content {
      expectation.errorAmong = errnoSet(errorNode)
      if fields.has("returns") {
        report(errorNode, "\"returns\" and \"error\" cannot both be given: a call that fails returns no value")
      }
    } else if let errorNode = field("error"), let text = string(errorNode, what: "an errno name or a list of them") {
      if text == ScenarioVocabulary.succeedsWord {
        expectation.succeeds = true
      } else if let errno = Errno(name: text) {
        expectation.error = errno
      } else {
        reportUnknownExpectedErrno(errorNode, text)
      }
      if fields.has("returns") {
        report(
          errorNode,
          text == ScenarioVocabulary.succeedsWord
            ? "\"returns\" already means the call succeeds; drop \"error\": \"none\""
            : "\"returns\" and \"error\" cannot both be given: a call that fails returns no value")
      }
    }
    expectation.data = field("data").flatMap { payload($0) }
    expectation.from = field("from").flatMap { address($0) }
    expectation.flags = field("flags").flatMap { words($0, as: MessageFlag.self, what: "message flag") }
    if let valueNode = field("value"), case .object = valueNode.value.content,
      case .getsockopt(_, let option)? = action, option.kind == .integer || option.kind == .boolean
    {
      expectation.valueAmong = numberSet(valueNode, Int(Int32.min)...Int(Int32.max))
    } else if let valueNode = field("value"), case .fcntl? = action {
      expectation.statusFlags = words(valueNode, as: FileStatusFlag.self, what: "file status flag")
    } else if let valueNode = field("value"), case .getsockopt(_, let option)? = action {
      expectation.value = optionValue(valueNode, for: option, isExpectation: true)
    }
    expectation.address = field("address").flatMap { address($0) }
    if let portNode = field("port"), case .object = portNode.value.content {
      expectation.portAmong = numberSet(portNode, 0...65535)
    } else {
      expectation.port = field("port").flatMap { integer($0, 0...65535) }
    }
    expectation.timedOut = field("timed_out").flatMap { bool($0) }
    expectation.elapsed = field("elapsed").flatMap { elapsed($0) }
    expectation.total = field("total").flatMap { total($0) }
    expectation.revents = field("revents").flatMap { words($0, as: PollEvent.self, what: "poll event") }
    if let node = field("extended_error") {
      expectation.extendedError = extendedError(node)
      if case .receive(let receive)? = action, !receive.flags.contains(.MSG_ERRQUEUE) {
        report(
          node, "the extended error is read only with MSG_ERRQUEUE: add \"flags\": [\"MSG_ERRQUEUE\"] to the step")
      }
    }
    expectation.control = field("control").flatMap { controlEntries($0, sending: false) }
    if let node = field("messages"), let elements = array(node) {
      let payloads = elements.compactMap { payload($0) }
      if payloads.count == elements.count { expectation.messages = payloads }
      if case .receive(let receive)? = action, elements.count > receive.count {
        report(
          node,
          "expects \(elements.count) messages, but this \(receive.call.rawValue) receives at most \"count\": \(receive.count)"
        )
      }
    }
    return expectation
  }

  private func extendedError(_ node: Node) -> ExtendedErrorExpectation? {
    guard let fields = object(node, allowed: ScenarioVocabulary.extendedErrorKeys, context: "extended_error") else {
      return nil
    }
    var result = ExtendedErrorExpectation()
    if let errnoNode = fields["errno"], let text = string(errnoNode, what: "an errno name") {
      result.errno = Errno(name: text)
      if result.errno == nil {
        report(
          errnoNode, "unknown errno \(JSONPath.quoted(text))",
          suggestion: ScenarioError.nearest(text, in: Errno.allNames))
      }
    }
    result.origin = fields["origin"].flatMap { errorOrigin($0) }
    result.type = fields["type"].flatMap { integer($0, 0...255) }
    result.code = fields["code"].flatMap { integer($0, 0...255) }
    result.info = fields["info"].flatMap { integer($0, 0...Int(UInt32.max)) }
    result.data = fields["data"].flatMap { integer($0, 0...Int(UInt32.max)) }
    if let offenderNode = fields["offender"], let text = string(offenderNode, what: "an IP address") {
      if ValueSyntax.isIPv4Literal(text) || ValueSyntax.isIPv6Literal(text) {
        result.offender = text
      } else {
        report(offenderNode, "expected an IP address like \"10.0.0.1\" or \"fd00::1\", found \(JSONPath.quoted(text))")
      }
    }
    return result
  }

  /// SO_EE_ORIGIN_* by name (`"icmp"`) or number (`2`); a wrong one lists every name.
  private func errorOrigin(_ node: Node) -> String? {
    let names = ScenarioVocabulary.errorOrigins
    switch node.value.content {
    case .number:
      return integer(node, 0...255).map { ExtendedError.originName(UInt8($0)) }
    case .string(let text):
      if names.contains(text) { return text }
      report(
        node,
        "unknown error origin \(JSONPath.quoted(text)) (one of \(names.joined(separator: ", ")), or a number 0 to 255)",
        suggestion: ScenarioError.nearest(text, in: names))
      return nil
    default:
      report(
        node,
        "expected an error origin (one of \(names.joined(separator: ", ")), or a number 0 to 255), found \(node.value.kindDescription)"
      )
      return nil
    }
  }
}
