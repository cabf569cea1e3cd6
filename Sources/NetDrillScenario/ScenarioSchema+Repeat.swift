/// The `repeat` step in the JSON Schema (see `ScenarioDecoder+Repeat.swift`).
extension ScenarioSchema {
  static var repetitionStepSchema: SchemaValue {
    let count: SchemaValue = .object([
      "oneOf": .array([
        .object(["type": "integer", "minimum": 0]),
        strictObject([
          "min": .object(["type": "integer", "minimum": 0]), "max": .object(["type": "integer", "minimum": 0]),
        ]),
      ])
    ])
    let limits = strictObject([
      "count": integer(1...ScenarioVocabulary.maximumRepeatCount),
      "rate": .object(["type": "string", "pattern": #"^[0-9]+(\.[0-9]+)?([kKMG]?B)?/s$"#]),
      "duration": ref("duration"),
      // The watched step's own expectation keys: which apply depends on its verb, which the parser checks.
      "until": strictObject(
        [
          "step": ref("name"),
          "expect": .object([
            "type": "object", "minProperties": 1,
            "propertyNames": .object(["enum": .array(ScenarioVocabulary.expectKeys.map { .string($0) })]),
          ]),
        ], required: ["expect"]),
    ])
    let receiver: SchemaValue = .object([
      "oneOf": .array([
        ref("name"),
        strictObject(
          ["socket": ref("name"), "idle": ref("duration"), "size": integer(1...65536)], required: ["socket"]),
      ])
    ])
    var expect: [String: SchemaValue] = [:]
    for key in ScenarioVocabulary.repetitionExpectKeys where key != "errors" && key != "latency" { expect[key] = count }
    // Each statistic takes `elapsed`'s vocabulary without `since`.
    let latencyRange = strictObject([
      "min": ref("duration"), "max": ref("duration"), "about": ref("duration"), "tolerance": ref("duration"),
    ])
    expect["latency"] = strictObject(
      Dictionary(uniqueKeysWithValues: LatencyBound.Statistic.allCases.map { ($0.rawValue, latencyRange) }))
    expect["errors"] = .object(["type": "object", "additionalProperties": count])
    return strictObject(
      [
        "repeat": limits,
        "id": .object(["type": "string"]),
        "steps": .object([
          "type": "array", "items": ref("step"), "minItems": 1,
          "maxItems": .integer(Int64(ScenarioVocabulary.maximumRepeatBody)),
        ]),
        "receiver": receiver,
        "timestamps": .object(["type": "boolean"]),
        "expect": strictObject(expect),
        "note": .object(["type": "string"]),
      ], required: ["repeat", "steps"])
  }
}
