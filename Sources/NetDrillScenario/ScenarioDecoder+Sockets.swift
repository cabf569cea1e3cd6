/// `sockets`: the declared sockets and their options.
extension ScenarioDecoder {
  func decodeSockets(_ node: Node) -> [SocketDeclaration] {
    guard case .object(let members) = node.value.content else {
      report(
        node,
        "expected an object of named sockets like {\"client\": {\"type\": \"udp\"}}, found \(node.value.kindDescription)"
      )
      return []
    }
    var declarations: [SocketDeclaration] = []
    for member in members {
      let path = JSONPath.appending(node.path, key: member.key)
      checkNewName(member.key, at: member.keyPosition, path: path, what: "socket name")
      let declaration = decodeSocketDeclaration(
        Node(member.value, path: path), name: member.key, keyPosition: member.keyPosition)
      // Known even when its declaration is broken, so steps using it do not
      // each add an "unknown socket" error on top.
      addSocket(
        member.key,
        SocketInfo(
          kind: declaration?.kind, family: declaration?.family, deferred: declaration?.deferred ?? false,
          definedAt: path, isAccepted: false))
      if let declaration { declarations.append(declaration) }
    }
    return declarations
  }

  private func decodeSocketDeclaration(_ node: Node, name: String, keyPosition: JSONPosition) -> SocketDeclaration? {
    guard let fields = object(node, allowed: ScenarioVocabulary.socketKeys, context: "a socket declaration") else {
      return nil
    }
    let errorsBefore = errors.count
    for key in ScenarioVocabulary.requiredSocketKeys where !fields.has(key) {
      report(node, "a socket declaration needs \(JSONPath.quoted(key)): \"udp\" or \"tcp\"")
    }
    let kind = fields["type"].flatMap { word($0, as: SocketKind.self, what: "socket type") }
    let family = fields["family"].flatMap { word($0, as: AddressFamily.self, what: "address family") }
    let options = fields["options"].map { decodeOptionSettings($0) } ?? []
    let nonBlocking = fields["nonblocking"].flatMap { bool($0) } ?? false
    let closeOnExec = fields["cloexec"].flatMap { bool($0) } ?? false
    let deferred = fields["deferred"].flatMap { bool($0) } ?? false
    let host = fields["host"].flatMap { hostName($0, known: hostNames) }
    guard errors.count == errorsBefore, let kind else { return nil }
    return SocketDeclaration(
      name: name, kind: kind, family: family ?? .ipv4, options: options, nonBlocking: nonBlocking,
      closeOnExec: closeOnExec, deferred: deferred, host: host,
      location: ScenarioLocation(line: keyPosition.line, column: keyPosition.column, path: node.path))
  }

  private func decodeOptionSettings(_ node: Node) -> [OptionSetting] {
    guard case .object(let members) = node.value.content else {
      report(node, "expected an object of options like {\"SO_REUSEADDR\": true}, found \(node.value.kindDescription)")
      return []
    }
    var settings: [OptionSetting] = []
    for member in members {
      let path = JSONPath.appending(node.path, key: member.key)
      guard let option = optionName(member.key, at: member.keyPosition, path: path, toSet: true) else { continue }
      if let value = optionValue(Node(member.value, path: path), for: option, isExpectation: false) {
        settings.append(OptionSetting(option: option, value: value))
      }
    }
    return settings
  }

  func addSocket(_ name: String, _ info: SocketInfo) {
    if sockets[name] == nil { socketOrder.append(name) }
    sockets[name] = info
  }
}
