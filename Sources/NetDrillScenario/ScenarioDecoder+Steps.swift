/// `steps`: one verb per step, its keys checked against the verb, and the
/// action it decodes to.
extension ScenarioDecoder {
  /// Records every accept `as` and `remember` name before the steps are
  /// decoded, so a name used too early can be told apart from a typo.
  func findNamesDefinedBySteps(_ elements: [Node]) {
    for element in elements {
      guard case .object(let members) = element.value.content else { continue }
      for member in members {
        guard case .string(let name) = member.value.content else { continue }
        if member.key == "as", laterAccepts[name] == nil { laterAccepts[name] = element.path }
        if member.key == "remember", laterRemembers[name] == nil { laterRemembers[name] = element.path }
      }
    }
  }

  func decodeStep(_ node: Node, index: Int) -> Step? {
    guard case .object(let members) = node.value.content else {
      report(
        node,
        "expected a step object like {\"send\": \"client\", \"data\": \"hello\"}, found \(node.value.kindDescription)")
      return nil
    }
    let verbMembers = members.filter { ScenarioVocabulary.verb(named: $0.key) != nil }
    if verbMembers.count > 1 {
      let second = verbMembers[1]
      report(
        second.keyPosition, JSONPath.appending(node.path, key: second.key),
        "a step has exactly one verb, but this one has both \(JSONPath.quoted(verbMembers[0].key)) and \(JSONPath.quoted(second.key))"
      )
      return nil
    }
    guard let verbMember = verbMembers.first, let spec = ScenarioVocabulary.verb(named: verbMember.key) else {
      reportStepWithoutVerb(node, members)
      return nil
    }
    if spec.subject == .repetition { return decodeRepetition(node, members: members, index: index) }
    if spec.subject == .backgroundReceiver { return decodeBackgroundStep(node, spec: spec, index: index) }
    checkStepKeys(node, members, spec: spec)
    let fields = Fields(node: node, members: members, hadUnknownKeys: false)
    let errorsBefore = errors.count
    for field in spec.fields where field.required && !fields.has(field.key) {
      report(node, "a \(spec.name) step needs \(JSONPath.quoted(field.key))")
    }
    let subject = Node(verbMember.value, path: JSONPath.appending(node.path, key: spec.name))
    var introduces: (name: String, info: SocketInfo?)?
    let action = decodeAction(spec, subject: subject, fields: fields, step: node, introduces: &introduces)
    let timeout = fields["timeout"].flatMap { self.timeout($0) }
    let note = fields["note"].flatMap { string($0) }
    let expect = fields["expect"].flatMap { decodeExpect($0, spec: spec, action: action) }
    let id = fields["id"].flatMap { stepID($0) }
    if let id { stepIDs[id] = node.path }
    // A name a step introduces is usable from the next step on.
    if let introduces {
      if let info = introduces.info {
        addSocket(introduces.name, info)
      } else if remembered[introduces.name] == nil {
        remembered[introduces.name] = node.path
        rememberedOrder.append(introduces.name)
      }
    }
    guard errors.count == errorsBefore, let action else { return nil }
    return Step(
      index: index, action: action, expect: expect, timeout: timeout, note: note, id: id,
      location: ScenarioLocation(line: node.position.line, column: node.position.column, path: node.path))
  }

  private func reportStepWithoutVerb(_ node: Node, _ members: [JSONMember]) {
    let verbNames = ScenarioVocabulary.verbs.map(\.name)
    let known = Set(ScenarioVocabulary.commonStepKeys + ScenarioVocabulary.allVerbFieldKeys)
    var reported = false
    // A misspelled verb is the likely cause: say so at the key itself.
    for member in members where !known.contains(member.key) {
      report(
        member.keyPosition, JSONPath.appending(node.path, key: member.key),
        "unknown key \(JSONPath.quoted(member.key)) in a step",
        suggestion: ScenarioError.nearest(member.key, in: verbNames + Array(known)))
      reported = true
    }
    if !reported {
      report(node, "a step needs one verb key: \(verbNames.joined(separator: ", "))")
    }
  }

  private func checkStepKeys(_ node: Node, _ members: [JSONMember], spec: VerbSpec) {
    let allowed = spec.allowedKeys
    for member in members where member.key != spec.name && !allowed.contains(member.key) {
      let path = JSONPath.appending(node.path, key: member.key)
      let quotedKey = JSONPath.quoted(member.key)
      if spec.subject != .socket, ScenarioVocabulary.commonStepKeys.contains(member.key) {
        report(member.keyPosition, path, "a \(spec.name) step makes no call, so it takes no \(quotedKey)")
        continue
      }
      let users = ScenarioVocabulary.verbs.filter { $0.fields.contains { $0.key == member.key } }.map(\.name)
      if !users.isEmpty {
        report(
          member.keyPosition, path,
          "\(quotedKey) does not apply to \(spec.name) (it is used by \(users.joined(separator: ", ")))")
      } else {
        report(
          member.keyPosition, path, "unknown key \(quotedKey) in a \(spec.name) step",
          suggestion: ScenarioError.nearest(member.key, in: allowed))
      }
    }
  }

  private func decodeAction(
    _ spec: VerbSpec, subject: Node, fields: Fields, step: Node, introduces: inout (name: String, info: SocketInfo?)?
  ) -> Action? {
    switch spec.subject {
    case .duration:
      return duration(subject).map { .wait($0) }
    case .fault:
      return declared(subject, in: faultNames, what: "fault", key: "faults").map {
        spec.verb == .enable ? .enableFault($0) : .disableFault($0)
      }
    case .program:
      guard let program = declared(subject, in: programNames, what: "program", key: "programs") else { return nil }
      guard spec.verb == .start else {
        if deferredPrograms.contains(program), !startedPrograms.contains(program) {
          report(
            subject,
            "program \(JSONPath.quoted(program)) is deferred and not started yet: add {\"start\": \(JSONPath.quoted(program))} before this step"
          )
          return nil
        }
        return .stopProgram(program)
      }
      if !deferredPrograms.contains(program) {
        report(
          subject,
          "program \(JSONPath.quoted(program)) starts before the first step; declare it with \"deferred\": true to start it with a start step"
        )
        return nil
      }
      if !startedPrograms.insert(program).inserted {
        report(subject, "program \(JSONPath.quoted(program)) is already started by an earlier start step")
        return nil
      }
      return .startProgram(program)
    case .link:
      let errorsBefore = errors.count
      let link = declared(subject, in: linkNames, what: "link", key: "links")
      let host = fields["host"].flatMap { hostName($0, known: hostNames) }
      let mtu = fields["mtu"].flatMap { integer($0, 68...65535) }
      guard errors.count == errorsBefore, let link else { return nil }
      if spec.verb == .setMTU { return mtu.map { .setMTU(link, mtu: $0) } }
      return .linkState(link, host: host, up: spec.verb == .linkUp)
    case .injection:
      return decodeInject(subject, fields: fields, step: step)
    case .socket:
      break
    case .repetition, .backgroundReceiver:
      return nil  // decodeStep hands these to decodeRepetition and decodeBackgroundStep before this
    }
    let errorsBefore = errors.count
    let socket = socketReference(subject, verb: spec.verb)
    let info = socket.flatMap { sockets[$0] }
    var action: Action?

    switch spec.verb {
    case .socket:
      if let socket, let info {
        if info.isAccepted {
          report(
            subject, "\(JSONPath.quoted(socket)) is an accepted connection; a socket step creates only deferred sockets"
          )
        } else if !info.deferred {
          report(
            subject,
            "socket \(JSONPath.quoted(socket)) is created before the first step; declare it with \"deferred\": true to create it with a socket step"
          )
        }
        createdDeferred.insert(socket)
        action = .socket(socket)
      }
    case .close:
      action = socket.map { .close($0) }
    case .disconnect:
      action = socket.map { .disconnect($0) }
    case .bind:
      let address = fields["address"].flatMap { self.address($0) }
      action = socket.map { .bind($0, address: address) }
    case .connect:
      if let socket, let target = fields["to"].flatMap({ address($0) }) { action = .connect(socket, to: target) }
    case .listen:
      let backlog = fields["backlog"].flatMap { integer($0, 0...Int(Int32.max)) } ?? ScenarioVocabulary.defaultBacklog
      action = socket.map { .listen($0, backlog: backlog) }
    case .accept:
      if let node = fields["as"], let name = newName(node, what: "name for the accepted socket") {
        introduces = (
          name,
          SocketInfo(kind: info?.kind, family: info?.family, deferred: false, definedAt: step.path, isAccepted: true)
        )
        action = socket.map { .accept($0, as: name) }
      }
    case .shutdown:
      let how = fields["how"].flatMap { word($0, as: ShutdownHow.self, what: "shutdown direction") } ?? .both
      action = socket.map { .shutdown($0, how: how) }
    case .setsockopt:
      if let optionNode = fields["option"], let option = optionName(optionNode, toSet: true),
        let valueNode = fields["value"], let value = optionValue(valueNode, for: option, isExpectation: false),
        let socket
      {
        action = .setsockopt(socket, OptionSetting(option: option, value: value))
      }
    case .getsockopt:
      if let optionNode = fields["option"], let option = optionName(optionNode, toSet: false), let socket {
        action = .getsockopt(socket, option)
      }
    case .getsockname, .getpeername:
      var remember: String?
      if let node = fields["remember"], let name = newName(node, what: "remembered name") {
        remember = name
        introduces = (name, nil)
      }
      if let socket {
        action =
          spec.verb == .getsockname
          ? .getsockname(socket, remember: remember) : .getpeername(socket, remember: remember)
      }
    case .join, .leave:
      let group = fields["group"].flatMap { multicastGroup($0) }
      let interface = fields["interface"].flatMap { multicastInterface($0, family: info?.family) }
      if let socket, let group {
        action =
          spec.verb == .join
          ? .join(socket, group: group, interface: interface) : .leave(socket, group: group, interface: interface)
      }
    case .poll:
      let events =
        fields["events"].flatMap { words($0, as: PollEvent.self, what: "poll event") }
        ?? ScenarioVocabulary.defaultPollEvents
      action = socket.map { .poll($0, events: events) }
    case .fcntl:
      let set = fields["set"].flatMap { words($0, as: FileStatusFlag.self, what: "file status flag") } ?? []
      let clear = fields["clear"].flatMap { words($0, as: FileStatusFlag.self, what: "file status flag") } ?? []
      if let both = set.first(where: clear.contains), let node = fields["clear"] {
        report(node, "\(both.rawValue) is both set and cleared")
      }
      action = socket.map { .fcntl($0, set: set, clear: clear) }
    case .write, .send, .sendto, .sendmsg, .sendmmsg:
      if let call = spec.verb.sendCall {
        action = socket.flatMap { decodeSend(call, socket: $0, fields: fields, step: step) }
      }
    case .read, .recv, .recvfrom, .recvmsg, .recvmmsg:
      var remember: String?
      if let node = fields["remember"], let name = newName(node, what: "remembered name") {
        remember = name
        introduces = (name, nil)
      }
      if let call = spec.verb.receiveCall {
        action = socket.flatMap { decodeReceive(call, socket: $0, fields: fields, remember: remember) }
      }
    case .wait, .enable, .disable, .linkDown, .linkUp, .setMTU, .start, .stop, .inject, .repetition,
      .receiveInBackground, .collect:
      // Not socket verbs: decoded by their subject above.
      report(subject, "the verb \(JSONPath.quoted(spec.name)) is not a socket call (a netdrill bug)")
    }
    return errors.count == errorsBefore ? action : nil
  }
}
