/// `requires`: what the scenario needs from the machine.
extension ScenarioDecoder {
  /// `["root", "netem", "ipv6", {"program": "python3"}]`.
  func decodeRequirements(_ node: Node) -> [Requirement] {
    guard let items = array(node) else { return [] }
    return items.compactMap { item -> Requirement? in
      let location = ScenarioLocation(line: item.position.line, column: item.position.column, path: item.path)
      if case .object = item.value.content {
        let key = ScenarioVocabulary.requirementProgramKey
        guard let fields = object(item, allowed: [key], context: "a requirement"),
          let programNode = fields[key], let program = string(programNode, what: "a program name")
        else {
          if case .object(let members) = item.value.content, members.isEmpty {
            report(item, "a program requirement is written {\"program\": \"NAME\"}")
          }
          return nil
        }
        guard !program.isEmpty, !program.utf8.contains(0) else {
          report(programNode, "expected a program name or path, found \(JSONPath.quoted(program))")
          return nil
        }
        return Requirement(kind: .program(program), location: location)
      }
      guard let word = oneOf(item, ScenarioVocabulary.requirementWords, what: "requirement") else { return nil }
      switch word {
      case "root": return Requirement(kind: .root, location: location)
      case "netem": return Requirement(kind: .netem, location: location)
      default: return Requirement(kind: .ipv6, location: location)
      }
    }
  }
}
