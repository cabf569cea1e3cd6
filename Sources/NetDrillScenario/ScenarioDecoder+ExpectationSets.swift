import NetDrillSockets

/// The expectation forms that admit more than one answer (ranges, sets),
/// `timed_out`, `elapsed`, and step labels (`id`).
extension ScenarioDecoder {
  /// `{"min": 1, "max": 31}` (either bound may be left out) or `{"one_of": [0, 5]}`,
  /// every number within `range`.
  func numberSet(_ node: Node, _ range: ClosedRange<Int>) -> NumberSet? {
    guard let fields = object(node, allowed: ScenarioVocabulary.numberSetKeys, context: "a range or set") else {
      return nil
    }
    // A misspelled key is reported as such; "expected min or max" would only repeat it.
    if fields.hadUnknownKeys { return nil }
    if let list = fields["one_of"] {
      if fields.has("min") || fields.has("max") {
        report(node, "write either \"one_of\" or \"min\"/\"max\", not both")
        return nil
      }
      guard let elements = array(list, count: 1...ScenarioVocabulary.maximumOneOf) else { return nil }
      let values = elements.compactMap { integer($0, range) }
      return values.count == elements.count ? .oneOf(values) : nil
    }
    guard fields.has("min") || fields.has("max") else {
      report(node, "expected {\"min\": N, \"max\": M} (either may be left out) or {\"one_of\": [N, ...]}")
      return nil
    }
    let low = fields["min"].flatMap { integer($0, range) }
    let high = fields["max"].flatMap { integer($0, range) }
    if (fields.has("min") && low == nil) || (fields.has("max") && high == nil) { return nil }
    if let low, let high, low > high {
      report(node, "\"min\" (\(low)) is above \"max\" (\(high)): no value could match")
      return nil
    }
    return .range(min: low, max: high)
  }

  /// `"error": ["EAGAIN", "ECONNREFUSED"]`: errno names, at least one.
  func errnoSet(_ node: Node) -> [Errno]? {
    guard let elements = array(node, count: 1...ScenarioVocabulary.maximumOneOf) else { return nil }
    var result: [Errno] = []
    for element in elements {
      guard let text = string(element, what: "an errno name") else { continue }
      if let errno = Errno(name: text) {
        result.append(errno)
      } else if text == ScenarioVocabulary.succeedsWord {
        report(element, "\"none\" means the call succeeds; it cannot be one of several errnos")
      } else {
        reportUnknownExpectedErrno(element, text)
      }
    }
    return result.count == elements.count ? result : nil
  }

  /// `{"max": "50ms"}`, `{"min": "90ms", "max": "150ms"}` or
  /// `{"about": "100ms", "tolerance": "20ms"}`, optionally `"since": "<step id>"`.
  func elapsed(_ node: Node) -> ElapsedExpectation? {
    guard let fields = object(node, allowed: ScenarioVocabulary.elapsedKeys, context: "elapsed") else { return nil }
    let errorsBefore = errors.count
    var result = ElapsedExpectation()
    if let aboutNode = fields["about"] {
      if fields.has("min") || fields.has("max") {
        report(aboutNode, "write either \"about\" with \"tolerance\" or \"min\"/\"max\", not both")
      }
      guard let toleranceNode = fields["tolerance"] else {
        report(node, "\"about\" needs a \"tolerance\" (\"about\": \"100ms\", \"tolerance\": \"20ms\")")
        return nil
      }
      if let about = duration(aboutNode), let tolerance = duration(toleranceNode) {
        result.minimum = about > tolerance ? about - tolerance : .zero
        result.maximum = about + tolerance
      }
    } else {
      if let toleranceNode = fields["tolerance"] {
        report(toleranceNode, "\"tolerance\" goes with \"about\"")
      }
      result.minimum = fields["min"].flatMap { duration($0) }
      result.maximum = fields["max"].flatMap { duration($0) }
      if !fields.has("min") && !fields.has("max") {
        report(node, "expected \"max\", \"min\" or \"about\" with \"tolerance\"")
      }
      if let low = result.minimum, let high = result.maximum, low > high {
        report(node, "\"min\" is above \"max\": no duration could match")
      }
    }
    if let sinceNode = fields["since"] { result.since = earlierStepID(sinceNode) }
    return errors.count == errorsBefore ? result : nil
  }

  /// `{"with": ["got_a"], "returns": 16}` (or a range or set for `returns`).
  func total(_ node: Node) -> TotalExpectation? {
    guard let fields = object(node, allowed: ScenarioVocabulary.totalKeys, context: "total") else { return nil }
    guard let withNode = fields["with"], let returnsNode = fields["returns"] else {
      report(node, "\"total\" needs \"with\" (ids of earlier steps) and \"returns\" (their sum with this step's)")
      return nil
    }
    guard let elements = array(withNode, count: 1...ScenarioVocabulary.maximumOneOf) else { return nil }
    let ids = elements.compactMap { earlierStepID($0) }
    let returns: NumberSet?
    if case .object = returnsNode.value.content {
      returns = numberSet(returnsNode, 0...Int.max)
    } else {
      returns = integer(returnsNode, 0...Int.max).map { .oneOf([$0]) }
    }
    guard ids.count == elements.count, let returns else { return nil }
    return TotalExpectation(steps: ids, returns: returns)
  }

  /// A reference to the `id` of a step before this one.
  func earlierStepID(_ node: Node) -> String? {
    guard let id = string(node, what: "a step id") else { return nil }
    if stepIDs[id] != nil { return id }
    if laterStepIDs[id] != nil {
      report(node, "step \(JSONPath.quoted(id)) is not before this one: name an earlier step")
    } else {
      report(
        node, "no step has the id \(JSONPath.quoted(id))",
        suggestion: ScenarioError.nearest(id, in: Array(stepIDs.keys).sorted()))
    }
    return nil
  }

  /// A step's `id`: a name, unique among the steps.
  func stepID(_ node: Node) -> String? {
    guard let id = string(node, what: "a step id") else { return nil }
    guard checkNewName(id, at: node.position, path: node.path, what: "step id") else { return nil }
    if let first = stepIDs[id] {
      report(node, "the id \(JSONPath.quoted(id)) is already used by the step at \(first)")
      return nil
    }
    return id
  }

  /// Records every step's `id` before the steps are decoded, so a reference
  /// to a later step can say so.
  func findStepIDs(_ elements: [Node]) {
    for element in elements {
      guard case .object(let members) = element.value.content else { continue }
      for member in members where member.key == "id" {
        if case .string(let id) = member.value.content, laterStepIDs[id] == nil { laterStepIDs[id] = element.path }
      }
    }
  }
}
