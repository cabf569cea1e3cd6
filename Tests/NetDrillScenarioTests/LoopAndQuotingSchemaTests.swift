import Foundation
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// The JSON Schema on what issue 12 added last: `quoting` by a step id, an
/// `id` on inject steps, and a repeat's `until`. What the parser takes the
/// schema takes, and what both refuse for shape, both refuse.
@Suite("ScenarioSchema: quoting by id, inject ids, repeat until")
struct LoopAndQuotingSchemaTests {
  static let good = #"""
    {"netdrill": 1, "name": "t", "sockets": {"c": {"type": "udp"}, "s": {"type": "udp"}},
    "steps": [
     {"bind": "s", "address": "127.0.0.1:0"},
     {"sendto": "c", "to": "s", "data": "x", "id": "probe"},
     {"inject": "icmp", "error": "port-unreachable", "quoting": "probe", "id": "refused"},
     {"inject": "icmp", "error": "frag-needed", "quoting": 2, "mtu": 1200},
     {"inject": "udp", "from": "192.0.2.7:9", "to": "s", "data": "y", "id": "spoofed"},
     {"repeat": {"count": 8, "until": {"step": "drain", "expect": {"error": "EAGAIN"}}},
      "steps": [{"recv": "s", "id": "drain", "flags": ["MSG_DONTWAIT"]}], "expect": {"errors": {"EAGAIN": 1}}},
     {"repeat": {"duration": "10ms", "until": {"expect": {"returns": {"min": 1}}}}, "steps": [{"recv": "s"}]}
    ]}
    """#

  /// Steps after `{"sendto": "c", "to": "s", "data": "x", "id": "probe"}`.
  static let bad: [String] = [
    #"{"inject": "icmp", "error": "port-unreachable", "quoting": true}"#,
    #"{"inject": "icmp", "error": "port-unreachable", "quoting": ["probe"]}"#,
    #"{"repeat": {"count": 2, "until": "drain"}, "steps": [{"recv": "s", "id": "drain"}]}"#,
    #"{"repeat": {"count": 2, "until": {"step": "drain"}}, "steps": [{"recv": "s", "id": "drain"}]}"#,
    #"{"repeat": {"count": 2, "until": {"expect": {}}}, "steps": [{"recv": "s"}]}"#,
    #"{"repeat": {"count": 2, "until": {"expect": {"error": "EAGAIN"}, "max": 3}}, "steps": [{"recv": "s"}]}"#,
    #"{"repeat": {"count": 2, "until": {"step": 1, "expect": {"error": "EAGAIN"}}}, "steps": [{"recv": "s"}]}"#,
    #"{"repeat": {"count": 2, "until": {"expect": {"speed": 1}}}, "steps": [{"recv": "s"}]}"#,
  ]

  private func validate(_ texts: [String]) throws -> (status: Int32, output: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-loop-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let schema = directory.appendingPathComponent("schema.json")
    try Data(ScenarioSchema.json.utf8).write(to: schema)
    var paths: [String] = []
    for (index, text) in texts.enumerated() {
      let file = directory.appendingPathComponent("\(index).json")
      try Data(text.utf8).write(to: file)
      paths.append(file.path)
    }
    guard let result = TestSupport.python(ScenarioSchemaTests.validator, [schema.path] + paths) else {
      throw MissingPrerequisite("python3 could not be started")
    }
    return result
  }

  @Test("the new forms validate and parse", ScenarioSchemaTests.needsJsonschema)
  func goodFormsValidateAndParse() throws {
    #expect(throws: Never.self) { try ScenarioParser.parse(data: Array(Self.good.utf8), file: "good.json") }
    let result = try validate([Self.good])
    #expect(result.status == 0, "\(result.output)")
  }

  @Test(
    "a malformed quoting or until is refused by the parser and by the schema",
    ScenarioSchemaTests.needsJsonschema, arguments: bad)
  func badValueIsRefusedByBoth(_ step: String) throws {
    let text =
      #"{"netdrill": 1, "name": "t", "sockets": {"c": {"type": "udp"}, "s": {"type": "udp"}}, "steps": [{"sendto": "c", "to": "s", "data": "x", "id": "probe"}, "#
      + step + "]}"
    #expect(!TestSupport.errors(parsing: text).isEmpty, "the parser accepts \(step)")
    let result = try validate([text])
    #expect(result.status != 0, "the schema accepts \(step)")
  }
}
