/// `inject` steps: `{"inject": "udp" | "icmp" | "tcp", ...}`, each kind with its keys.
extension ScenarioDecoder {
  func decodeInject(_ subject: Node, fields: Fields, step: Node) -> Action? {
    guard let kind = word(subject, as: InjectKind.self, what: "inject kind") else { return nil }
    let errorsBefore = errors.count
    let keys = ScenarioVocabulary.injectKeys[kind]!
    for member in fields.members where !ScenarioVocabulary.injectCommonKeys.contains(member.key) {
      guard !keys.allowed.contains(member.key) else { continue }
      let users = InjectKind.allCases.filter { ScenarioVocabulary.injectKeys[$0]!.allowed.contains(member.key) }
      report(
        member.keyPosition, JSONPath.appending(step.path, key: member.key),
        "\(JSONPath.quoted(member.key)) does not apply to an inject of \(kind.rawValue) (it is used by inject \(users.map(\.rawValue).joined(separator: ", ")))"
      )
    }
    for key in keys.required where !fields.has(key) {
      report(step, "an inject of \(kind.rawValue) needs \(JSONPath.quoted(key))")
    }
    let host = fields["host"].flatMap { hostName($0, known: hostNames) }
    guard errors.count == errorsBefore else { return nil }
    let packet: InjectStep.Packet?
    switch kind {
    case .udp: packet = decodeInjectedDatagram(fields)
    case .icmp: packet = decodeInjectedError(fields, step: step)
    case .tcp: packet = decodeInjectedSegment(fields)
    }
    guard errors.count == errorsBefore, let packet else { return nil }
    return .inject(InjectStep(packet: packet, host: host))
  }

  private func decodeInjectedDatagram(_ fields: Fields) -> InjectStep.Packet? {
    guard let fromNode = fields["from"], let toNode = fields["to"], let dataNode = fields["data"] else { return nil }
    let from = address(fromNode)
    let to = address(toNode)
    let data = payload(dataNode)
    if case .named(let name) = from, sockets[name] != nil {
      report(
        fromNode,
        "an injected datagram comes from a peer that is not one of the scenario's sockets: write an address like \"192.0.2.7:5353\", not the socket \(JSONPath.quoted(name))"
      )
      return nil
    }
    guard let from, let to, let data else { return nil }
    return .udp(from: from, to: to, data: data)
  }

  /// An ICMP error must quote a UDP datagram an earlier step sent.
  private func decodeInjectedError(_ fields: Fields, step: Node) -> InjectStep.Packet? {
    guard let errorNode = fields["error"], let quotingNode = fields["quoting"] else { return nil }
    let error = word(errorNode, as: ICMPErrorKind.self, what: "ICMP error")
    let mtu = fields["mtu"].flatMap { integer($0, 68...65535) }
    if let mtuNode = fields["mtu"], error != nil, error != .fragNeeded {
      report(mtuNode, "\"mtu\" belongs to a frag-needed error only (an ICMPv6 packet too big for IPv6)")
    }
    var offender: String?
    if let fromNode = fields["from"], let text = string(fromNode, what: "an IP address") {
      if ValueSyntax.isIPv4Literal(text) || ValueSyntax.isIPv6Literal(text) {
        offender = text
      } else {
        report(
          fromNode,
          "expected the IP address of the node sending the error, like \"192.0.2.1\", found \(JSONPath.quoted(text))")
      }
    }
    guard let (index, name) = quotedStep(quotingNode), let error else { return nil }
    // Only steps before this one are decoded yet.
    guard let action = decodedActions[index] else {
      report(
        quotingNode,
        "\"quoting\" names an earlier step whose datagram the error quotes: step \(name) does not come before this one"
      )
      return nil
    }
    guard case .send(let send) = action else {
      report(
        quotingNode,
        "step \(name) sends no datagram for an ICMP error to quote: \"quoting\" takes the number or id of an earlier send, sendto, sendmsg, sendmmsg or write step"
      )
      return nil
    }
    if sockets[send.socket]?.kind != .udp {
      report(
        quotingNode,
        "step \(name) sends on \(JSONPath.quoted(send.socket)), which is not a UDP socket: an injected ICMP error quotes a UDP datagram"
      )
      return nil
    }
    return .icmp(error, quoting: index, offender: offender, mtu: mtu)
  }

  /// `"quoting": 3` (a step number, as `#3` in reports) or `"quoting": "probe"`
  /// (an earlier step's `id`): the 0-based index, and how to name the step in a message.
  private func quotedStep(_ node: Node) -> (index: Int, name: String)? {
    if case .string = node.value.content {
      guard let id = earlierStepID(node) else { return nil }
      guard let index = decodedStepIndices[id] else {
        report(
          node,
          "step \(JSONPath.quoted(id)) is inside a repeat, which records no datagram of its own: quote a send outside the repeat"
        )
        return nil
      }
      return (index, JSONPath.quoted(id))
    }
    guard case .number = node.value.content else {
      report(
        node,
        "expected the number of an earlier step (3, as #3 in reports) or its id (\"probe\"), found \(node.value.kindDescription)"
      )
      return nil
    }
    guard let number = integer(node, 1...Int(Int32.max)) else { return nil }
    return (number - 1, String(number))
  }

  private func decodeInjectedSegment(_ fields: Fields) -> InjectStep.Packet? {
    guard let intoNode = fields["into"], let flagsNode = fields["flags"] else { return nil }
    let socket = socketReference(intoNode, verb: .inject)
    if let socket, let kind = sockets[socket]?.kind, kind != .tcp {
      report(intoNode, "\(JSONPath.quoted(socket)) is not a TCP socket: a TCP segment goes into a TCP connection")
    }
    let flags = words(flagsNode, as: TCPFlag.self, what: "TCP flag")
    if let flags, flags.isEmpty { report(flagsNode, "a TCP segment needs at least one flag, e.g. [\"RST\"]") }
    let limit = Int(ScenarioVocabulary.maximumSequenceOffset)
    let seq = fields["seq"].flatMap { integer($0, -limit...limit) } ?? 0
    let ack = fields["ack"].flatMap { integer($0, -limit...limit) } ?? 0
    let window = fields["window"].flatMap { integer($0, 0...65535) } ?? ScenarioVocabulary.defaultInjectWindow
    let data = fields["data"].flatMap { payload($0) }
    guard let socket, let flags, !flags.isEmpty else { return nil }
    return .tcp(into: socket, flags: flags, seq: Int64(seq), ack: Int64(ack), window: window, data: data)
  }
}
