/// Name scoping: the sockets a step may use, the names a step introduces,
/// and the faults, links and programs the network declared.
extension ScenarioDecoder {
  /// The socket a step acts on: it must be declared, or accepted by an
  /// earlier step, and if deferred, created by an earlier socket step.
  func socketReference(_ node: Node, verb: Verb) -> String? {
    guard let name = string(node, what: "a socket name") else { return nil }
    if let info = sockets[name] {
      if info.deferred, !createdDeferred.contains(name), verb != .socket {
        report(
          node,
          "socket \(JSONPath.quoted(name)) is deferred and not created yet: add {\"socket\": \(JSONPath.quoted(name))} before this step"
        )
        return nil
      }
      return name
    }
    if remembered[name] != nil || laterRemembers[name] != nil {
      report(node, "\(JSONPath.quoted(name)) is a remembered address, not a socket")
    } else if let definedAt = laterAccepts[name] {
      report(node, "socket \(JSONPath.quoted(name)) does not exist yet: it is accepted at \(definedAt)")
    } else {
      report(
        node, "unknown socket \(JSONPath.quoted(name)); declare it in \"sockets\"",
        suggestion: ScenarioError.nearest(name, in: socketOrder))
    }
    return nil
  }

  /// A name a step introduces (accept `as`, `remember`): well formed and not
  /// already taken by a socket or another remembered address.
  func newName(_ node: Node, what: String) -> String? {
    guard let name = string(node, what: "a name") else { return nil }
    guard checkNewName(name, at: node.position, path: node.path, what: what) else { return nil }
    if let info = sockets[name] {
      report(node, "\(JSONPath.quoted(name)) is already a socket (introduced at \(info.definedAt))")
      return nil
    }
    if let definedAt = remembered[name] {
      report(node, "\(JSONPath.quoted(name)) is already a remembered address (from \(definedAt))")
      return nil
    }
    return name
  }

  @discardableResult
  func checkNewName(_ name: String, at position: JSONPosition, path: String, what: String) -> Bool {
    if ScenarioVocabulary.verb(named: name) != nil {
      report(position, path, "\(JSONPath.quoted(name)) is a verb and cannot be a \(what)")
      return false
    }
    if name == ScenarioVocabulary.closedPortWord {
      report(position, path, "\"$closed\" is reserved for the closed port and cannot be a \(what)")
      return false
    }
    guard ValueSyntax.isName(name) else {
      report(
        position, path,
        "\(JSONPath.quoted(name)) is not a valid \(what): use letters, digits, '_', '.' and '-', starting with a letter or '_'"
      )
      return false
    }
    return true
  }

  /// A name the scenario declared under `key` (a fault, link or program).
  func declared(_ node: Node, in names: [String], what: String, key: String) -> String? {
    guard let name = string(node, what: "a \(what) name") else { return nil }
    guard names.contains(name) else {
      report(
        node, "unknown \(what) \(JSONPath.quoted(name)); declare it in \(JSONPath.quoted(key))",
        suggestion: ScenarioError.nearest(name, in: names))
      return nil
    }
    return name
  }
}
