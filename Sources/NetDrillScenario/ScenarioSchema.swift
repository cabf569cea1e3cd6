import NetDrillSockets

/// The JSON Schema (draft 2020-12) of the scenario format, for editors and
/// for tools that write scenarios.
///
/// Generated from the same vocabularies `ScenarioParser` accepts (its verbs,
/// keys and limits, `SendCall`, `ReceiveCall`, `MessageFlag`, `PollEvent`,
/// `ShutdownHow`, `Errno.allNames`, `SocketOptionName.all`), so the two cannot
/// drift. The schema checks shape; the parser additionally checks references
/// (a step's socket exists by then, `quotes` points back) and IP literals.
public enum ScenarioSchema {
  /// The schema, pretty-printed with sorted keys: the same text on every run.
  public static var json: String {
    var out = ""
    document.render(into: &out, indent: 0)
    return out + "\n"
  }

  static var document: SchemaValue {
    let vocabulary = ScenarioVocabulary.self
    let properties: [String: SchemaValue] = [
      vocabulary.versionKey: .object(["const": .integer(Int64(Scenario.formatVersion))]),
      "name": .object(["type": "string"]),
      "description": .object(["type": "string"]),
      "defaults": ref("defaults"),
      "sockets": .object([
        "type": "object",
        "propertyNames": ref("name"),
        "additionalProperties": ref("socket"),
      ]),
      "steps": .object(["type": "array", "items": ref("step")]),
      "hosts": .object([
        "type": "object", "propertyNames": ref("name"),
        "additionalProperties": strictObject(["forwarding": .object(["type": "boolean"])]),
      ]),
      "links": .object(["type": "array", "items": ref("link")]),
      "routes": .object(["type": "array", "items": ref("route")]),
      "faults": .object(["type": "object", "propertyNames": ref("name"), "additionalProperties": ref("fault")]),
      "programs": .object(["type": "object", "propertyNames": ref("name"), "additionalProperties": ref("program")]),
      "expect_packets": expectedPacketsSchema,
      "requires": .object([
        "description": "What the scenario needs; `netdrill check` skips it with the reason where something is missing.",
        "type": "array",
        "items": .object([
          "oneOf": .array([
            .object(["enum": strings(ScenarioVocabulary.requirementWords)]),
            strictObject(
              [ScenarioVocabulary.requirementProgramKey: .object(["type": "string", "minLength": 1])],
              required: [ScenarioVocabulary.requirementProgramKey]),
          ])
        ]),
      ]),
    ]
    var root = strictObject(properties, required: vocabulary.requiredTopLevelKeys)
    root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    root["title"] = .string("netdrill scenario, format \(Scenario.formatVersion)")
    root["description"] = "Sockets, steps to run on them and the outcomes and packets each step should give."
    root["$defs"] = .object(definitions)
    return root
  }

  // MARK: Definitions

  private static var definitions: [String: SchemaValue] {
    let vocabulary = ScenarioVocabulary.self
    var defs: [String: SchemaValue] = [
      "name": .object([
        "type": "string",
        "pattern": .string(vocabulary.namePattern),
        "not": .object(["enum": strings(vocabulary.verbs.map(\.name))]),
      ]),
      "duration": .object([
        "type": "string",
        "pattern": #"^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m)$"#,
        "description": "A non-negative number and a unit: \"20ms\", \"1.5s\", \"500us\".",
      ]),
      "address": .object([
        "type": "string",
        "pattern": .string(
          #"^(\$closed(\.[A-Za-z_][A-Za-z0-9_.-]*)?|[A-Za-z_][A-Za-z0-9_.-]*|([0-9]{1,3}(\.[0-9]{1,3}){3}|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5}|\$closed(\.[A-Za-z_][A-Za-z0-9_.-]*)?|[A-Za-z_][A-Za-z0-9_.-]*))$"#
        ),
        "description":
          "\"A.B.C.D:PORT\", \"[IPv6]:PORT\" (PORT a number, $closed, $closed.NAME, or a socket or remembered name: its port), \"$closed\", \"$closed.NAME\", or a socket or remembered name.",
      ]),
      "ipAddress": .object([
        "type": "string",
        "pattern": #"^([0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)$"#,
      ]),
      "interface": .object(["type": "string", "pattern": #"^[^\s/]{1,15}$"#]),
      "errno": .object(["enum": strings(Errno.allNames)]),
      "expectedError": .object([
        "enum": strings(Errno.allNames + [vocabulary.succeedsWord]),
        "description": "The errno the call fails with, or \"none\": it must succeed.",
      ]),
      "messageFlags": .object([
        "type": "array", "items": .object(["enum": strings(MessageFlag.allCases.map(\.rawValue))]),
      ]),
      "statusFlags": .object([
        "type": "array", "items": .object(["enum": strings(FileStatusFlag.allCases.map(\.rawValue))]),
      ]),
      "pollEvents": .object(["type": "array", "items": .object(["enum": strings(PollEvent.allCases.map(\.rawValue))])]),
      "payload": payloadSchema(),
      "sentPayload": payloadSchema(echo: true),
      "defaults": strictObject([
        "timeout": ref("duration"),
        "seed": .object(["type": "integer", "minimum": 0, "maximum": .unsigned(UInt64.max)]),
      ]),
      "socket": socketSchema,
      "link": strictObject(
        [
          "name": ref("name"),
          "hosts": .object(["type": "array", "items": ref("name"), "minItems": 2]),
          "ipv4": .object(["type": "string", "pattern": #"^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$"#]),
          "ipv6": .object(["type": "string", "pattern": #"^[0-9A-Fa-f:.]+/[0-9]{1,3}$"#]),
          "mtu": integer(68...65535),
        ], required: ["name", "hosts"]),
      "route": strictObject(
        ["host": ref("name"), "to": .object(["type": "string"]), "via": ref("ipAddress")],
        required: vocabulary.routeKeys),
      "fault": faultSchema,
      "program": programSchema,
      "step": .object(["oneOf": .array(vocabulary.verbs.map { ref("step." + $0.name) })]),
      "packet": packetSchema,
    ]
    for verb in vocabulary.verbs {
      defs["step." + verb.name] = stepSchema(verb)
    }
    return defs
  }

  /// `echo`: a sent payload's object forms may copy ranges from the datagram last received.
  private static func payloadSchema(echo: Bool = false) -> SchemaValue {
    let size = integer(0...ScenarioVocabulary.maximumPayloadSize)
    var forms: [SchemaValue] = [
      .object(["type": "string"]),
      strictObject(["text": .object(["type": "string"])], required: ["text"]),
      strictObject(
        ["hex": .object(["type": "string", "pattern": "^[ :]*([0-9A-Fa-f]{2}[ :]*)*$"])], required: ["hex"]),
      strictObject(
        [
          "base64": .object([
            "type": "string",
            "pattern": "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
          ])
        ], required: ["base64"]),
      strictObject(
        ["pattern": size, "seed": .object(["type": "integer", "minimum": 0, "maximum": .unsigned(UInt64.max)])],
        required: ["pattern"]),
      strictObject(["zeros": size], required: ["zeros"]),
      strictObject(
        [
          "sequence": integer(SequencePayload.numberSize...ScenarioVocabulary.maximumPayloadSize),
          "seed": .object(["type": "integer", "minimum": 0, "maximum": .unsigned(UInt64.max)]),
        ], required: ["sequence"]),
    ]
    if echo {
      let limit = ScenarioVocabulary.maximumPayloadSize
      let range = strictObject(
        ["from": integer(0...limit - 1), "to": integer(0...limit - 1), "length": integer(1...limit)],
        required: ScenarioVocabulary.echoRangeKeys)
      let ranges = SchemaValue.object([
        "type": "array", "items": range, "minItems": 1,
        "maxItems": .integer(Int64(ScenarioVocabulary.maximumEchoRanges)),
      ])
      forms = forms.map { form in
        guard case .object(var members) = form, case .object(var properties)? = members["properties"] else {
          return form
        }
        properties[ScenarioVocabulary.echoKey] = ranges
        members["properties"] = .object(properties)
        return .object(members)
      }
    }
    return .object(["oneOf": .array(forms)])
  }

  private static var socketSchema: SchemaValue {
    var options: [String: SchemaValue] = [:]
    for option in ScenarioVocabulary.settableOptions {
      options[option.name] = optionValueSchema(option, isExpectation: false)
    }
    return strictObject(
      [
        "type": .object(["enum": strings(SocketKind.allCases.map(\.rawValue))]),
        "family": .object(["enum": strings(AddressFamily.allCases.map(\.rawValue))]),
        "options": strictObject(options),
        "nonblocking": .object(["type": "boolean"]),
        "cloexec": .object(["type": "boolean"]),
        "deferred": .object(["type": "boolean"]),
        "host": ref("name"),
      ], required: ScenarioVocabulary.requiredSocketKeys)
  }

  private static var faultSchema: SchemaValue {
    let vocabulary = ScenarioVocabulary.self
    var schema = strictObject(
      [
        "host": ref("name"),
        "link": ref("name"),
        "direction": .object(["enum": strings(FaultDeclaration.Direction.allCases.map(\.rawValue))]),
        "protocol": .object(["enum": strings(vocabulary.faultProtocols)]),
        "port": integer(1...65535),
        "active": .object(["type": "boolean"]),
        "drop": .object(["const": .bool(true)]),
        "reject": .object(["enum": strings(vocabulary.rejectKinds)]),
        "loss": .object([
          "oneOf": .array([
            strictObject(["every": integer(1...1_000_000)], required: ["every"]),
            strictObject(["percent": integer(0...100)], required: ["percent"]),
          ])
        ]),
        "rate": strictObject(
          [
            "rate": .object(["type": "string", "pattern": "^[0-9]+(bit|kbit|mbit|gbit|bps|kbps|mbps)$"]),
            "burst": .object(["type": "string", "pattern": "^[0-9]+(b|kb|mb|k|m)$"]),
            "latency": ref("duration"),
          ], required: ["rate"]),
        "delay": ref("duration"),
      ], required: ["host"])
    schema["oneOf"] = .array(vocabulary.faultActionKeys.map { SchemaValue.object(["required": strings([$0])]) })
    return schema
  }

  private static var programSchema: SchemaValue {
    strictObject(
      [
        "host": ref("name"),
        "command": .object(["type": "array", "items": .object(["type": "string"]), "minItems": 1]),
        "env": .object(["type": "object", "additionalProperties": .object(["type": "string"])]),
        "cwd": .object(["type": "string"]),
        "ready": .object([
          "oneOf": .array([
            strictObject(["udp_port": integer(1...65535)], required: ["udp_port"]),
            strictObject(["tcp_port": integer(1...65535)], required: ["tcp_port"]),
            strictObject(["output": .object(["type": "string"])], required: ["output"]),
          ])
        ]),
        "ready_timeout": ref("duration"),
        "stop_grace": ref("duration"),
        "deferred": .object(["type": "boolean"]),
      ], required: ["command"])
  }

  private static func stepSchema(_ verb: VerbSpec) -> SchemaValue {
    if verb.subject == .repetition { return repetitionStepSchema }
    if verb.subject == .backgroundReceiver { return backgroundStepSchema(verb) }
    var properties: [String: SchemaValue] = [
      verb.name: verb.subject == .duration
        ? ref("duration")
        : verb.subject == .injection ? .object(["enum": strings(InjectKind.allCases.map(\.rawValue))]) : ref("name")  // socket, fault, link or program
    ]
    for field in verb.fields {
      properties[field.key] = fieldSchema(field.kind)
    }
    for key in verb.allowedKeys where properties[key] == nil {
      switch key {
      case "expect": properties[key] = expectSchema(verb)
      case "timeout": properties[key] = ref("duration")
      case "id": properties[key] = ref("name")
      default: properties[key] = .object(["type": "string"])  // note
      }
    }
    var schema = strictObject(properties, required: [verb.name] + verb.fields.filter(\.required).map(\.key))
    switch verb.verb {
    case .setsockopt:
      // The value's shape depends on the option: one branch per option.
      schema["oneOf"] = .array(
        ScenarioVocabulary.settableOptions.map { option in
          .object([
            "properties": .object([
              "option": .object(["const": .string(option.name)]),
              "value": optionValueSchema(option, isExpectation: false),
            ])
          ])
        })
    case .getsockopt:
      schema["oneOf"] = .array(
        SocketOptionName.all.map { option in
          .object([
            "properties": .object([
              "option": .object(["const": .string(option.name)]),
              "expect": .object([
                "properties": .object(["value": optionValueSchema(option, isExpectation: true)])
              ]),
            ])
          ])
        })
    case .inject:
      properties["from"] = .object(["type": "string"])  // an address for udp, an IP for icmp: narrowed below
      schema = strictObject(properties, required: [verb.name])
      schema["oneOf"] = injectBranches
    case .sendmmsg:
      // `data` (repeated `count` times) or `messages`, never both.
      schema["oneOf"] = .array([
        .object(["required": strings(["data"])]),
        .object(["required": strings(["messages"]), "not": .object(["required": strings(["count"])])]),
      ])
    default:
      break
    }
    return schema
  }

  private static func fieldSchema(_ kind: StepField.Kind) -> SchemaValue {
    switch kind {
    case .address: return ref("address")
    case .payload: return ref("payload")
    case .sentPayload: return ref("sentPayload")
    case .payloads:
      return .object([
        "type": "array", "items": ref("payload"), "minItems": 1,
        "maxItems": .integer(Int64(ScenarioVocabulary.maximumBatch)),
      ])
    case .messageFlags: return ref("messageFlags")
    case .batchCount: return integer(1...ScenarioVocabulary.maximumBatch)
    case .bufferSize: return integer(0...ScenarioVocabulary.maximumPayloadSize)
    case .backlog: return integer(0...Int(Int32.max))
    case .newName: return ref("name")
    case .optionName: return .object(["enum": strings(SocketOptionName.all.map(\.name))])
    case .settableOptionName: return .object(["enum": strings(ScenarioVocabulary.settableOptions.map(\.name))])
    case .optionValue: return .object([:])  // narrowed by the step's oneOf
    case .shutdownHow: return .object(["enum": strings(ShutdownHow.allCases.map(\.rawValue))])
    case .ipLiteral: return ref("ipAddress")
    case .multicastInterface: return ref("interface")
    case .pollEvents: return ref("pollEvents")
    case .hostName: return ref("name")
    case .mtu: return integer(68...65535)
    case .statusFlags: return ref("statusFlags")
    case .controlMessages: return controlSchema(sending: true)
    case .controlSize: return integer(0...ScenarioVocabulary.maximumControlSize)
    case .icmpError: return .object(["enum": strings(ICMPErrorKind.allCases.map(\.rawValue))])
    case .tcpFlags:
      return .object([
        "type": "array", "minItems": 1, "items": .object(["enum": strings(TCPFlag.allCases.map(\.rawValue))]),
      ])
    case .stepNumber: return .object(["oneOf": .array([integer(1...Int(Int32.max)), ref("name")])])
    case .sequenceOffset:
      let limit = Int(ScenarioVocabulary.maximumSequenceOffset)
      return integer(-limit...limit)
    case .window: return integer(0...65535)
    }
  }

  /// sendmsg's `control`, or recvmsg's expected `control` (which also takes "present"/"absent").
  private static func controlSchema(sending: Bool) -> SchemaValue {
    var properties: [String: SchemaValue] = [:]
    for name in sending ? ControlMessageName.sendable : ControlMessageName.allCases {
      var value: SchemaValue
      if name.isPresenceOnly {
        value = .object(["enum": strings(ScenarioVocabulary.controlPresence)])
        properties[name.rawValue] = value
        continue
      }
      if name.isPacketInfo {
        let ipv4 = name == .IP_PKTINFO
        var fields: [String: SchemaValue] = [
          "ifindex": integer(0...Int(Int32.max)), "interface": ref("interface"),
        ]
        if !(ipv4 && sending) { fields["addr"] = ref("ipAddress") }
        if ipv4 { fields["spec_dst"] = ref("ipAddress") }
        value = strictObject(fields)
      } else {
        value = integer(0...name.maximumValue)
      }
      if !sending {
        value = .object(["anyOf": .array([value, .object(["enum": strings(ScenarioVocabulary.controlPresence)])])])
      }
      properties[name.rawValue] = value
    }
    return strictObject(properties)
  }

  private static func expectSchema(_ verb: VerbSpec) -> SchemaValue {
    var properties: [String: SchemaValue] = [:]
    for key in verb.expectKeys {
      switch key {
      case "returns": properties[key] = integerOrSet(0...Int.max)
      case "error":
        properties[key] = .object([
          "anyOf": .array([
            ref("expectedError"),
            .object([
              "type": "array", "items": ref("errno"), "minItems": 1,
              "maxItems": .integer(Int64(ScenarioVocabulary.maximumOneOf)),
            ]),
          ])
        ])
      case "timed_out": properties[key] = .object(["type": "boolean"])
      case "elapsed": properties[key] = elapsedSchema
      case "total":
        properties[key] = strictObject(
          [
            "with": .object(["type": "array", "items": ref("name"), "minItems": 1]),
            "returns": integerOrSet(0...Int.max),
          ], required: ScenarioVocabulary.totalKeys)
      case "data": properties[key] = ref("payload")
      case "from", "address": properties[key] = ref("address")
      case "flags": properties[key] = ref("messageFlags")
      case "value" where verb.verb == .fcntl: properties[key] = ref("statusFlags")
      case "value": properties[key] = .object([:])  // narrowed by getsockopt's oneOf
      case "port": properties[key] = integerOrSet(0...65535)
      case "revents": properties[key] = ref("pollEvents")
      case "extended_error":
        properties[key] = strictObject([
          "errno": ref("errno"),
          "origin": .object([
            "anyOf": .array([.object(["enum": strings(ScenarioVocabulary.errorOrigins)]), integer(0...255)])
          ]),
          "type": integer(0...255),
          "code": integer(0...255),
          "info": integer(0...Int(UInt32.max)),
          "data": integer(0...Int(UInt32.max)),
          "offender": ref("ipAddress"),
        ])
      case "messages": properties[key] = .object(["type": "array", "items": ref("payload")])
      case "control": properties[key] = controlSchema(sending: false)
      default: properties[key] = .object([:])
      }
    }
    var schema = strictObject(properties)
    if verb.expectKeys.contains("returns"), verb.expectKeys.contains("error") {
      schema["not"] = .object(["required": strings(["returns", "error"])])
    }
    return schema
  }

  static func optionValueSchema(_ option: SocketOptionName, isExpectation: Bool) -> SchemaValue {
    let flag: SchemaValue = .object([
      "anyOf": .array([.object(["type": "boolean"]), .object(["enum": .array([0, 1])])])
    ])
    switch option.kind {
    case .boolean:
      return isExpectation ? .object(["anyOf": .array([flag, numberSet(Int(Int32.min)...Int(Int32.max))])]) : flag
    case .integer:
      var forms: [SchemaValue] = [integer(Int(Int32.min)...Int(Int32.max)), .object(["type": "boolean"])]
      if isExpectation { forms.append(numberSet(Int(Int32.min)...Int(Int32.max))) }
      if !option.symbols.isEmpty { forms.append(.object(["enum": strings(option.symbols.keys.sorted())])) }
      return .object(["anyOf": .array(forms)])
    case .linger:
      return strictObject(
        ["onoff": flag, "linger": integer(0...Int(Int32.max))], required: ScenarioVocabulary.lingerKeys)
    case .interface:
      return ref("interface")
    case .ipv4Address:
      return .object(["type": "string", "pattern": #"^[0-9]{1,3}(\.[0-9]{1,3}){3}$"#])
    case .duration:
      return ref("duration")
    case .errno:
      // Read-only: only getsockopt's expectation can name one.
      return isExpectation ? .object(["anyOf": .array([ref("errno"), .object(["const": 0])])]) : .bool(false)
    }
  }

  private static var expectedPacketsSchema: SchemaValue {
    let list: SchemaValue = .object(["type": "array", "items": ref("packet")])
    return .object([
      "description":
        "Packets the run must capture, in order: a list (others allowed between them), {\"in_order\": [...]} (the same), or {\"exactly\": [...]} (nothing else, ARP/ND/MLD/IGMP aside).",
      "oneOf": .array(
        [list] + ScenarioVocabulary.packetMatchModes.map { strictObject([$0: list], required: [$0]) }),
    ])
  }

  private static var packetSchema: SchemaValue {
    let vocabulary = ScenarioVocabulary.self
    let udp = strictObject(["from": ref("address"), "to": ref("address")])
    let tcp = strictObject([
      "from": ref("address"), "to": ref("address"),
      "flags": .object(["type": "array", "items": .object(["enum": strings(vocabulary.tcpFlags)])]),
    ])
    return .object([
      "oneOf": .array([
        strictObject(["udp": udp], required: ["udp"]),
        strictObject(["tcp": tcp], required: ["tcp"]),
        strictObject(
          [
            "icmp": .object(["enum": strings(vocabulary.icmpErrors)]),
            "quotes": integer(0...Int.max),
          ], required: ["icmp"]),
      ])
    ])
  }

  // MARK: Building blocks

  static func ref(_ name: String) -> SchemaValue { .object(["$ref": .string("#/$defs/" + name)]) }
  /// `{"min": 1, "max": 31}` (one bound at least) or `{"one_of": [...]}`, within `range`.
  private static func numberSet(_ range: ClosedRange<Int>) -> SchemaValue {
    var bounds = strictObject(["min": integer(range), "max": integer(range)])
    if case .object(var fields) = bounds {
      fields["minProperties"] = 1
      bounds = .object(fields)
    }
    let list = strictObject(
      [
        "one_of": .object([
          "type": "array", "items": integer(range), "minItems": 1,
          "maxItems": .integer(Int64(ScenarioVocabulary.maximumOneOf)),
        ])
      ], required: ["one_of"])
    return .object(["anyOf": .array([bounds, list])])
  }

  private static func integerOrSet(_ range: ClosedRange<Int>) -> SchemaValue {
    .object(["anyOf": .array([integer(range), numberSet(range)])])
  }

  /// `{"max": "50ms"}`, `{"about": "100ms", "tolerance": "20ms"}`, optionally `"since": "<step id>"`.
  private static var elapsedSchema: SchemaValue {
    let since: [String: SchemaValue] = ["since": ref("name")]
    var bounds = strictObject(since.merging(["min": ref("duration"), "max": ref("duration")]) { a, _ in a })
    if case .object(var fields) = bounds {
      fields["anyOf"] = .array([
        .object(["required": strings(["min"])]), .object(["required": strings(["max"])]),
      ])
      bounds = .object(fields)
    }
    let about = strictObject(
      since.merging(["about": ref("duration"), "tolerance": ref("duration")]) { a, _ in a },
      required: ["about", "tolerance"])
    return .object(["oneOf": .array([bounds, about])])
  }


  static func strings(_ words: [String]) -> SchemaValue { .array(words.map { .string($0) }) }

  static func integer(_ range: ClosedRange<Int>) -> SchemaValue {
    var schema: [String: SchemaValue] = ["type": "integer", "minimum": .integer(Int64(range.lowerBound))]
    if range.upperBound != Int.max { schema["maximum"] = .integer(Int64(range.upperBound)) }
    return .object(schema)
  }

  /// An object that allows exactly `properties` (`additionalProperties: false`).
  static func strictObject(_ properties: [String: SchemaValue], required: [String] = []) -> SchemaValue {
    var schema: [String: SchemaValue] = [
      "type": "object", "properties": .object(properties), "additionalProperties": .bool(false),
    ]
    if !required.isEmpty { schema["required"] = strings(required) }
    return .object(schema)
  }
}

/// A JSON document being built, rendered with sorted keys so the output is
/// byte-for-byte stable.
enum SchemaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
  case object([String: SchemaValue])
  case array([SchemaValue])
  case string(String)
  case integer(Int64)
  case unsigned(UInt64)
  case bool(Bool)

  init(stringLiteral value: String) { self = .string(value) }
  init(integerLiteral value: Int64) { self = .integer(value) }

  subscript(key: String) -> SchemaValue? {
    get {
      guard case .object(let members) = self else { return nil }
      return members[key]
    }
    set {
      guard case .object(var members) = self else { return }
      members[key] = newValue
      self = .object(members)
    }
  }

  func render(into out: inout String, indent: Int) {
    let inner = String(repeating: " ", count: indent + 2)
    let outer = String(repeating: " ", count: indent)
    switch self {
    case .object(let members):
      guard !members.isEmpty else {
        out += "{}"
        return
      }
      // Code-point order, as Python's json.dumps(sort_keys=True) uses.
      let keys = members.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
      out += "{\n"
      for (position, key) in keys.enumerated() {
        out += inner + asciiQuoted(key) + ": "
        members[key]?.render(into: &out, indent: indent + 2)
        out += position == keys.count - 1 ? "\n" : ",\n"
      }
      out += outer + "}"
    case .array(let elements):
      guard !elements.isEmpty else {
        out += "[]"
        return
      }
      out += "[\n"
      for (position, element) in elements.enumerated() {
        out += inner
        element.render(into: &out, indent: indent + 2)
        out += position == elements.count - 1 ? "\n" : ",\n"
      }
      out += outer + "]"
    case .string(let text):
      out += asciiQuoted(text)
    case .integer(let value):
      out += String(value)
    case .unsigned(let value):
      out += String(value)
    case .bool(let value):
      out += value ? "true" : "false"
    }
  }

  /// A JSON string literal in plain ASCII (`µ` becomes `\u00b5`), so the
  /// schema survives any tool that mangles encodings.
  private func asciiQuoted(_ text: String) -> String {
    JSONString.quoted(text, escaping: .asciiOnly)
  }
}
