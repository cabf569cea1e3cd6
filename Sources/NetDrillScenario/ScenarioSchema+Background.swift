/// `receive_in_background` and `collect` in the JSON Schema (see `ScenarioDecoder+Background.swift`).
extension ScenarioSchema {
  static func backgroundStepSchema(_ verb: VerbSpec) -> SchemaValue {
    let note: SchemaValue = .object(["type": "string"])
    guard verb.verb == .receiveInBackground else {
      let count: SchemaValue = .object([
        "oneOf": .array([
          .object(["type": "integer", "minimum": 0]),
          strictObject([
            "min": .object(["type": "integer", "minimum": 0]), "max": .object(["type": "integer", "minimum": 0]),
          ]),
        ])
      ])
      var expect: [String: SchemaValue] = [:]
      for key in ScenarioVocabulary.receiverExpectKeys { expect[key] = count }
      return strictObject(
        [
          verb.name: ref("name"), "expect": strictObject(expect), "timeout": ref("duration"), "note": note,
          "id": ref("name"),
        ], required: [verb.name])
    }
    let sequence = strictObject(
      [
        "sequence": integer(SequencePayload.numberSize...ScenarioVocabulary.maximumPayloadSize),
        "seed": .object(["type": "integer", "minimum": 0, "maximum": .unsigned(UInt64.max)]),
      ], required: ["sequence"])
    return strictObject(
      [
        verb.name: ref("name"),
        "until": strictObject(
          ["count": integer(1...ScenarioVocabulary.maximumReceiverCount), "idle": ref("duration")]),
        "size": integer(1...65536),
        "data": sequence,
        "note": note,
        "id": ref("name"),
      ], required: [verb.name])
  }
}
