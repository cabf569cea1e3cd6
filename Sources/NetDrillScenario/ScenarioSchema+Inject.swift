extension ScenarioSchema {
  /// One branch per inject kind: its keys, the ones it needs, and `from`'s shape.
  static var injectBranches: SchemaValue {
    .array(
      InjectKind.allCases.map { kind in
        let keys = ScenarioVocabulary.injectKeys[kind]!
        var properties: [String: SchemaValue] = ["inject": .object(["const": .string(kind.rawValue)])]
        if keys.allowed.contains("from") {
          properties["from"] = .object(["$ref": .string(kind == .icmp ? "#/$defs/ipAddress" : "#/$defs/address")])
        }
        return .object([
          "properties": .object(properties),
          "required": .array((["inject"] + keys.required).map { .string($0) }),
          "propertyNames": .object([
            "enum": .array((ScenarioVocabulary.injectCommonKeys + keys.allowed).map { .string($0) })
          ]),
        ])
      })
  }
}
