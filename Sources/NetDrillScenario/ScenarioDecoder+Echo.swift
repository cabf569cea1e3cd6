/// A sent payload's `echo`: the ranges copied from the datagram the socket last received.
extension ScenarioDecoder {
  /// `[]` when `data` has no `echo`; nil after reporting a bad one. Each
  /// range must fit in the payload written (`to`) and in the largest
  /// datagram a receive can hold (`from`); whether it fits the datagram
  /// actually received is known only when the step runs.
  func echoRanges(in data: Node, payloadSize: Int) -> [EchoRange]? {
    guard case .object(let members) = data.value.content,
      let echo = Fields(node: data, members: members, hadUnknownKeys: false)[ScenarioVocabulary.echoKey]
    else { return [] }
    guard let elements = array(echo, count: 1...ScenarioVocabulary.maximumEchoRanges) else { return nil }
    var ranges: [EchoRange] = []
    for element in elements {
      guard let fields = object(element, allowed: ScenarioVocabulary.echoRangeKeys, context: "an echo range") else {
        return nil
      }
      let limit = ScenarioVocabulary.maximumPayloadSize
      var values: [String: Int] = [:]
      for key in ScenarioVocabulary.echoRangeKeys {
        guard let node = fields[key] else {
          if !fields.hadUnknownKeys { report(element, "an echo range needs \"from\", \"to\" and \"length\"") }
          return nil
        }
        guard let value = integer(node, key == "length" ? 1...limit : 0...limit - 1) else { return nil }
        values[key] = value
      }
      let range = EchoRange(from: values["from"] ?? 0, to: values["to"] ?? 0, length: values["length"] ?? 1)
      guard range.to + range.length <= payloadSize else {
        report(
          element,
          "echo range bytes \(range.to)..\(range.to + range.length - 1) lie outside the \(payloadSize)-byte payload: \"to\" + \"length\" must be at most \(payloadSize)"
        )
        return nil
      }
      guard range.from + range.length <= limit else {
        report(
          element,
          "echo range bytes \(range.from)..\(range.from + range.length - 1) lie beyond the largest datagram received (\(limit) bytes)"
        )
        return nil
      }
      ranges.append(range)
    }
    return ranges
  }
}
