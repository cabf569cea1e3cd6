import Foundation
import NetDrillScenario
import NetDrillSockets
import NetDrillTestSupport
import Testing

@Suite("ScenarioSchema: the published JSON Schema")
struct ScenarioSchemaTests {
  /// Validates each file against the schema with python's jsonschema; prints
  /// one `OK path` or `FAIL path: reason` line per file.
  static let validator = """
    import json, sys
    import jsonschema
    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failed = 0
    for path in sys.argv[2:]:
        errors = list(validator.iter_errors(json.load(open(path))))
        if errors:
            failed += 1
            best = jsonschema.exceptions.best_match(errors)
            print("FAIL %s: %s at %s" % (path, best.message[:300], best.json_path))
        else:
            print("OK %s" % path)
    sys.exit(1 if failed else 0)
    """

  static let pythonAvailable = TestSupport.jsonschemaAvailable
  /// Skips without python3's jsonschema outside CI, fails under `CI=true`.
  static let needsJsonschema = PrerequisiteTrait(
    missing: pythonAvailable ? nil : "needs python3 with jsonschema (pip install jsonschema)")

  /// Runs `validator` on `files`; throws (a failure, never an early pass) when
  /// python3 cannot run at all.
  private func validate(_ files: [URL]) throws -> (status: Int32, output: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "netdrill-schema-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let schemaFile = directory.appendingPathComponent("scenario.schema.json")
    try Data(ScenarioSchema.json.utf8).write(to: schemaFile)
    guard let result = TestSupport.python(Self.validator, [schemaFile.path] + files.map(\.path)) else {
      throw MissingPrerequisite("python3 could not be started")
    }
    return result
  }

  private func writeTemporary(_ text: String, name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-\(UUID().uuidString)-\(name)")
    try Data(text.utf8).write(to: url)
    return url
  }

  @Test func schemaIsValidJSON() throws {
    let schema = try JSONValue.parse(Array(ScenarioSchema.json.utf8))
    #expect(schema["$schema"]?.content == .string("https://json-schema.org/draft/2020-12/schema"))
    #expect(schema["additionalProperties"]?.content == .bool(false))
    guard case .object(let properties)? = schema["properties"]?.content else {
      Issue.record("no properties")
      return
    }
    #expect(
      Set(properties.map(\.key)) == [
        "netdrill", "name", "description", "defaults", "hosts", "links", "routes", "faults", "programs", "sockets",
        "steps", "expect_packets", "requires",
      ])
  }

  @Test func schemaIsDeterministicAndSorted() throws {
    #expect(ScenarioSchema.json == ScenarioSchema.json)
    let schema = try JSONValue.parse(Array(ScenarioSchema.json.utf8))
    var unsorted: [String] = []
    func walk(_ value: JSONValue, _ path: String) {
      switch value.content {
      case .object(let members):
        let keys = members.map(\.key)
        if keys != keys.sorted(by: { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }) {
          unsorted.append(path)
        }
        for member in members { walk(member.value, JSONPath.appending(path, key: member.key)) }
      case .array(let elements):
        for (index, element) in elements.enumerated() { walk(element, JSONPath.appending(path, index: index)) }
      default: break
      }
    }
    walk(schema, "$")
    #expect(unsorted.isEmpty, "\(unsorted)")
  }

  /// The vocabularies the parser uses appear in the schema.
  @Test func schemaUsesTheParsersVocabulary() {
    let json = ScenarioSchema.json
    for word in SendCall.allCases.map(\.rawValue) + ReceiveCall.allCases.map(\.rawValue)
      + MessageFlag.allCases.map(\.rawValue) + PollEvent.allCases.map(\.rawValue) + Errno.allNames
      + SocketOptionName.all.map(\.name)
    {
      #expect(json.contains("\"\(word)\""), "\(word) missing")
    }
  }

  @Test(needsJsonschema)
  func fixturesValidate() throws {
    let files = TestSupport.jsonFiles(under: TestSupport.fixturesDirectory)
    try #require(!files.isEmpty)
    let result = try validate(files)
    #expect(result.status == 0, "\(result.output)")
  }

  /// Every bundled scenario under `scenarios/` validates against the schema
  /// and parses. In a real checkout there must be at least one.
  @Test(needsJsonschema)
  func bundledScenariosValidateAndParse() throws {
    let files = TestPaths.bundledScenarios()
    try #require(!files.isEmpty, "no scenarios under \(TestPaths.scenarios.path)")
    for file in files {
      #expect(throws: Never.self, "\(file.path)") { try ScenarioParser.parse(file: file.path) }
    }
    let result = try validate(files)
    #expect(result.status == 0, "\(result.output)")
  }

  /// The schema rejects what the parser rejects for shape, so the test above
  /// can fail.
  @Test(
    needsJsonschema,
    arguments: [
      ("missing-version", #"{"name": "x", "steps": []}"#),
      ("version-2", #"{"netdrill": 2, "name": "x", "steps": []}"#),
      ("unknown-key", #"{"netdrill": 1, "name": "x", "steps": [], "sokets": {}}"#),
      ("two-verbs", #"{"netdrill": 1, "name": "x", "steps": [{"send": "c", "recv": "c", "data": "x"}]}"#),
      (
        "unknown-errno", #"{"netdrill": 1, "name": "x", "steps": [{"close": "c", "expect": {"error": "ECONREFUSED"}}]}"#
      ),
      (
        "get-only-option",
        #"{"netdrill": 1, "name": "x", "steps": [{"setsockopt": "c", "option": "SO_ERROR", "value": 0}]}"#
      ),
      (
        "option-kind",
        #"{"netdrill": 1, "name": "x", "steps": [{"setsockopt": "c", "option": "SO_RCVTIMEO", "value": 5}]}"#
      ),
      ("flags-on-write", #"{"netdrill": 1, "name": "x", "steps": [{"write": "c", "data": "x", "flags": []}]}"#),
      (
        "expect-misfit",
        #"{"netdrill": 1, "name": "x", "steps": [{"send": "c", "data": "x", "expect": {"revents": []}}]}"#
      ),
      (
        "returns-and-error",
        #"{"netdrill": 1, "name": "x", "steps": [{"close": "c", "expect": {"returns": 0, "error": "EBADF"}}]}"#
      ),
      ("bad-hex", #"{"netdrill": 1, "name": "x", "steps": [{"send": "c", "data": {"hex": "6"}}]}"#),
      ("bad-duration", #"{"netdrill": 1, "name": "x", "steps": [{"wait": "20 ms"}]}"#),
      ("mmsg-both", #"{"netdrill": 1, "name": "x", "steps": [{"sendmmsg": "c", "data": "x", "messages": ["y"]}]}"#),
      ("verb-socket-name", #"{"netdrill": 1, "name": "x", "sockets": {"send": {"type": "udp"}}, "steps": []}"#),
      ("icmp-kind", #"{"netdrill": 1, "name": "x", "steps": [], "expect_packets": [{"icmp": "port-unreachible"}]}"#),
      (
        "packets-two-modes",
        #"{"netdrill": 1, "name": "x", "steps": [], "expect_packets": {"exactly": [], "in_order": []}}"#
      ),
      ("socket-returns", #"{"netdrill": 1, "name": "x", "steps": [{"socket": "c", "expect": {"returns": 3}}]}"#),
      (
        "accept-returns",
        #"{"netdrill": 1, "name": "x", "steps": [{"accept": "c", "as": "d", "expect": {"returns": 3}}]}"#
      ),
      ("requires-word", #"{"netdrill": 1, "name": "x", "steps": [], "requires": ["netemm"]}"#),
      ("inject-kind", #"{"netdrill": 1, "name": "x", "steps": [{"inject": "arp"}]}"#),
      (
        "inject-other-kinds-key",
        #"{"netdrill": 1, "name": "x", "steps": [{"inject": "udp", "from": "192.0.2.7:9", "to": "c", "data": "x", "seq": 1}]}"#
      ),
      (
        "inject-icmp-without-quoting",
        #"{"netdrill": 1, "name": "x", "steps": [{"inject": "icmp", "error": "port-unreachable"}]}"#
      ),
      (
        "inject-icmp-offender-by-name",
        #"{"netdrill": 1, "name": "x", "steps": [{"inject": "icmp", "error": "time-exceeded", "quoting": 1, "from": "router"}]}"#
      ),
      (
        "repeat-count-zero",
        #"{"netdrill": 1, "name": "x", "steps": [{"repeat": {"count": 0}, "steps": [{"wait": "1ms"}]}]}"#
      ),
      (
        "repeat-rate-word",
        #"{"netdrill": 1, "name": "x", "steps": [{"repeat": {"count": 1, "rate": "fast"}, "steps": [{"wait": "1ms"}]}]}"#
      ),
      ("repeat-no-steps", #"{"netdrill": 1, "name": "x", "steps": [{"repeat": {"count": 1}}]}"#),
      (
        "repeat-expect-rate",
        #"{"netdrill": 1, "name": "x", "steps": [{"repeat": {"count": 1}, "steps": [{"wait": "1ms"}], "expect": {"rate": 1}}]}"#
      ),
      ("sequence-too-small", #"{"netdrill": 1, "name": "x", "steps": [{"send": "c", "data": {"sequence": 4}}]}"#),
    ])
  func wrongScenarioIsRejectedBySchema(name: String, text: String) throws {
    // The parser rejects it too: the schema is never looser on these.
    #expect(!TestSupport.errors(parsing: text).isEmpty)
    let file = try writeTemporary(text, name: name + ".json")
    defer { try? FileManager.default.removeItem(at: file) }
    let result = try validate([file])
    #expect(result.status == 1, "\(result.output)")
    #expect(result.output.contains("FAIL"), "\(result.output)")
  }
}
