import Foundation
import NetDrillSockets
import NetDrillTestSupport
import Testing

@testable import NetDrillScenario

/// The column (1-based) where `marker` first occurs in `step`: steps sit at
/// the start of line 4 of `MalformedCase.template`.
private func at(_ marker: String, in step: String) -> (Int, Int) {
  guard let range = step.range(of: marker) else { return (4, 0) }
  return (4, step.distance(from: step.startIndex, to: range.lowerBound) + 1)
}

private func bad(
  _ name: String, _ step: String, marker: String, path: String, _ fragment: String, suggestion: String? = nil
) -> MalformedCase {
  .init(name, step: step, at: at(marker, in: step), path: path, fragment, suggestion: suggestion)
}

/// Ranges, sets, `timed_out`, `elapsed`, `total`, step `id`s, `fcntl` and
/// the new address forms: each bad value is refused with its position.
@Suite("ScenarioParser: expectations that say more, bad values")
struct ExpectationSetParserTests {
  static let cases: [MalformedCase] = [
    bad(
      "returns range upside down", #"{"recv": "client", "expect": {"returns": {"min": 5, "max": 2}}}"#,
      marker: #"{"min""#, path: "$.steps[0].expect.returns", "\"min\" (5) is above \"max\" (2)"),
    bad(
      "returns range misspelled", #"{"recv": "client", "expect": {"returns": {"mim": 1}}}"#,
      marker: #""mim""#, path: "$.steps[0].expect.returns.mim", "unknown key \"mim\" in a range or set",
      suggestion: "min"),
    bad(
      "returns range empty", #"{"recv": "client", "expect": {"returns": {}}}"#,
      marker: "{}", path: "$.steps[0].expect.returns", "expected {\"min\": N, \"max\": M}"),
    bad(
      "returns one_of with a negative", #"{"recv": "client", "expect": {"returns": {"one_of": [1, -2]}}}"#,
      marker: "-2", path: "$.steps[0].expect.returns.one_of[1]", "must be 0 or more, found -2"),
    bad(
      "returns one_of and min", #"{"recv": "client", "expect": {"returns": {"one_of": [1], "min": 0}}}"#,
      marker: #"{"one_of""#, path: "$.steps[0].expect.returns", "write either \"one_of\" or \"min\"/\"max\""),
    bad(
      "errno set with a typo", #"{"recv": "client", "expect": {"error": ["EAGAIN", "ECONREFUSED"]}}"#,
      marker: #""ECONREFUSED""#, path: "$.steps[0].expect.error[1]", "unknown errno \"ECONREFUSED\"",
      suggestion: "ECONNREFUSED"),
    bad(
      "errno set with none", #"{"recv": "client", "expect": {"error": ["EAGAIN", "none"]}}"#,
      marker: #""none""#, path: "$.steps[0].expect.error[1]", "cannot be one of several errnos"),
    bad(
      "errno set empty", #"{"recv": "client", "expect": {"error": []}}"#,
      marker: "[]", path: "$.steps[0].expect.error", "must have between 1 and 64 elements, found 0"),
    bad(
      "port range above 65535", #"{"getsockname": "client", "expect": {"port": {"max": 70000}}}"#,
      marker: "70000", path: "$.steps[0].expect.port.max", "must be between 0 and 65535, found 70000"),
    bad(
      "value range with a string",
      #"{"getsockopt": "client", "option": "SO_RCVBUF", "expect": {"value": {"min": "a"}}}"#,
      marker: #""a""#, path: "$.steps[0].expect.value.min", "expected an integer, found a string"),
    bad(
      "timed_out not a boolean", #"{"recv": "client", "expect": {"timed_out": "yes"}}"#,
      marker: #""yes""#, path: "$.steps[0].expect.timed_out", "expected true or false, found a string"),
    bad(
      "elapsed without a unit", #"{"recv": "client", "expect": {"elapsed": {"max": "50"}}}"#,
      marker: #""50""#, path: "$.steps[0].expect.elapsed.max", "expected a duration like \"20ms\""),
    bad(
      "elapsed about without tolerance", #"{"recv": "client", "expect": {"elapsed": {"about": "100ms"}}}"#,
      marker: #"{"about""#, path: "$.steps[0].expect.elapsed", "\"about\" needs a \"tolerance\""),
    bad(
      "elapsed min above max", #"{"recv": "client", "expect": {"elapsed": {"min": "2s", "max": "1s"}}}"#,
      marker: #"{"min""#, path: "$.steps[0].expect.elapsed", "\"min\" is above \"max\""),
    bad(
      "elapsed since an unknown id",
      #"{"wait": "1ms", "id": "begin"}, {"recv": "client", "expect": {"elapsed": {"max": "1s", "since": "begn"}}}"#,
      marker: #""begn""#, path: "$.steps[1].expect.elapsed.since", "no step has the id \"begn\"", suggestion: "begin"),
    bad(
      "elapsed since a later step",
      #"{"recv": "client", "expect": {"elapsed": {"max": "1s", "since": "later"}}}, {"wait": "1ms", "id": "later"}"#,
      marker: #""later""#, path: "$.steps[0].expect.elapsed.since", "step \"later\" is not before this one"),
    bad(
      "elapsed since itself", #"{"recv": "client", "id": "me", "expect": {"elapsed": {"max": "1s", "since": "me"}}}"#,
      marker: #""me"}"#, path: "$.steps[0].expect.elapsed.since", "step \"me\" is not before this one"),
    bad(
      "duplicate step id", #"{"wait": "1ms", "id": "a"}, {"wait": "2ms", "id": "a" }"#,
      marker: #""a" }"#, path: "$.steps[1].id", "the id \"a\" is already used by the step at $.steps[0]"),
    bad(
      "step id not a name", #"{"wait": "1ms", "id": "9 lives"}"#,
      marker: #""9 lives""#, path: "$.steps[0].id", "is not a valid step id"),
    bad(
      "step id not a string", #"{"recv": "client", "id": 3}"#,
      marker: "3}", path: "$.steps[0].id", "expected a step id, found a number"),
    bad(
      "total without with", #"{"recv": "client", "expect": {"total": {"returns": 3}}}"#,
      marker: #"{"returns""#, path: "$.steps[0].expect.total", "\"total\" needs \"with\""),
    bad(
      "total with an unknown id", #"{"recv": "client", "expect": {"total": {"with": ["x"], "returns": 3}}}"#,
      marker: #""x""#, path: "$.steps[0].expect.total.with[0]", "no step has the id \"x\""),
    bad(
      "fcntl unknown flag", #"{"fcntl": "client", "set": ["O_NONBLOK"]}"#,
      marker: #""O_NONBLOK""#, path: "$.steps[0].set[0]", "unknown file status flag \"O_NONBLOK\"",
      suggestion: "O_NONBLOCK"),
    bad(
      "fcntl sets and clears one flag", #"{"fcntl": "client", "set": ["O_ASYNC"], "clear": ["O_ASYNC"]}"#,
      marker: #"["O_ASYNC"]}"#, path: "$.steps[0].clear", "O_ASYNC is both set and cleared"),
    bad(
      "fcntl expected value unknown", #"{"fcntl": "client", "expect": {"value": ["O_SYNC"]}}"#,
      marker: #""O_SYNC""#, path: "$.steps[0].expect.value[0]", "unknown file status flag \"O_SYNC\"",
      suggestion: "O_ASYNC"),
    bad(
      "fcntl with a poll key", #"{"fcntl": "client", "events": ["POLLIN"]}"#,
      marker: #""events""#, path: "$.steps[0].events", "\"events\" does not apply to fcntl"),
    bad(
      "literal IP with an unknown socket's port", #"{"sendto": "client", "to": "239.1.2.3:sever", "data": "x"}"#,
      marker: #""239"#, path: "$.steps[0].to", "unknown name \"sever\" in an address", suggestion: "server"),
    bad(
      "named closed port not a name", #"{"sendto": "client", "to": "$closed.9", "data": "x"}"#,
      marker: #""$closed.9""#, path: "$.steps[0].to", "a named closed port is \"$closed.\" and a name"),
  ]

  @Test(arguments: cases)
  func malformedScenario(_ testCase: MalformedCase) throws {
    try testCase.expectRefused()
  }

  @Test("the forms parse into what they say")
  func goodForms() throws {
    let text = MalformedCase.scenario(
      steps: """
        {"bind": "client", "id": "bound", "expect": {"returns": {"one_of": [0]}}},
        {"recv": "client", "expect": {"error": ["EAGAIN", "ECONNREFUSED"], "timed_out": true,
          "elapsed": {"about": "100ms", "tolerance": "20ms", "since": "bound"}, "total": {"with": ["bound"], "returns": {"max": 4}}}},
        {"getsockname": "client", "expect": {"port": {"min": 1024}}},
        {"getsockopt": "client", "option": "SO_RCVBUF", "expect": {"value": {"min": 1, "max": 31}}},
        {"fcntl": "client", "set": ["O_NONBLOCK"], "clear": ["O_ASYNC"], "expect": {"value": ["O_NONBLOCK"]}},
        {"sendto": "client", "to": "127.0.0.2:client", "data": "x"},
        {"sendto": "client", "to": "$closed.a", "data": "x"},
        {"sendto": "client", "to": "[::1]:$closed.b", "data": "x"}
        """)
    let scenario = try ScenarioParser.parse(data: Array(text.utf8), file: "good.json")
    #expect(scenario.steps[0].id == "bound")
    #expect(scenario.step(withID: "bound")?.index == 0)
    #expect(scenario.steps[0].expect?.returnsAmong == .oneOf([0]))
    let recv = try #require(scenario.steps[1].expect)
    #expect(recv.errorAmong?.map(\.name) == ["EAGAIN", "ECONNREFUSED"])
    #expect(recv.timedOut == true)
    #expect(
      recv.elapsed == ElapsedExpectation(minimum: .milliseconds(80), maximum: .milliseconds(120), since: "bound"))
    #expect(recv.total == TotalExpectation(steps: ["bound"], returns: .range(min: nil, max: 4)))
    #expect(scenario.steps[2].expect?.portAmong == .range(min: 1024, max: nil))
    #expect(scenario.steps[3].expect?.valueAmong == .range(min: 1, max: 31))
    #expect(scenario.steps[4].action == .fcntl("client", set: [.O_NONBLOCK], clear: [.O_ASYNC]))
    #expect(scenario.steps[4].expect?.statusFlags == [.O_NONBLOCK])
    #expect(scenario.steps[5].action.sendTarget == .literal(host: "127.0.0.2", port: .of("client")))
    #expect(scenario.steps[6].action.sendTarget == .namedClosedPort("a"))
    #expect(scenario.steps[7].action.sendTarget == .literal(host: "::1", port: .namedClosed("b")))
    #expect(scenario.closedPortNames == ["a", "b"])
  }
}

extension Action {
  fileprivate var sendTarget: AddressSpec? {
    guard case .send(let send) = self else { return nil }
    return send.to
  }
}

/// The JSON Schema describes every new key: the good forms validate, and
/// each bad value the parser refuses, the schema refuses too.
@Suite("ScenarioSchema: ranges, sets, timed_out, elapsed, total, id, fcntl, addresses")
struct ExpectationSetSchemaTests {
  static let good = #"""
    {"netdrill": 1, "name": "t", "sockets": {"c": {"type": "udp"}},
    "steps": [
     {"bind": "c", "id": "bound", "expect": {"returns": {"one_of": [0]}}},
     {"recv": "c", "expect": {"error": ["EAGAIN", "ECONNREFUSED"], "timed_out": true,
       "elapsed": {"about": "100ms", "tolerance": "20ms", "since": "bound"}, "total": {"with": ["bound"], "returns": {"max": 4}}}},
     {"recv": "c", "expect": {"returns": {"min": 1}, "elapsed": {"max": "1s"}}},
     {"getsockname": "c", "expect": {"port": {"min": 1024}}},
     {"getsockopt": "c", "option": "SO_RCVBUF", "expect": {"value": {"min": 1, "max": 31}}},
     {"getsockopt": "c", "option": "SO_REUSEPORT", "expect": {"value": {"one_of": [0, 1]}}},
     {"fcntl": "c", "set": ["O_NONBLOCK"], "clear": ["O_ASYNC"], "expect": {"value": ["O_NONBLOCK"], "timed_out": false}},
     {"wait": "1ms", "id": "pause"},
     {"sendto": "c", "to": "127.0.0.2:c", "data": "x"},
     {"sendto": "c", "to": "$closed.a", "data": "x"},
     {"sendto": "c", "to": "[::1]:$closed.b", "data": "x"}
    ]}
    """#

  static let bad: [String] = [
    #"{"recv": "c", "expect": {"returns": {"min": "a"}}}"#,
    #"{"recv": "c", "expect": {"returns": {}}}"#,
    #"{"recv": "c", "expect": {"returns": {"one_of": []}}}"#,
    #"{"recv": "c", "expect": {"error": []}}"#,
    #"{"recv": "c", "expect": {"error": ["EAGAIN", "none"]}}"#,
    #"{"recv": "c", "expect": {"timed_out": "yes"}}"#,
    #"{"recv": "c", "expect": {"elapsed": {"about": "1s"}}}"#,
    #"{"recv": "c", "expect": {"elapsed": {"since": "x"}}}"#,
    #"{"recv": "c", "expect": {"total": {"with": [], "returns": 1}}}"#,
    #"{"recv": "c", "id": "9 x"}"#,
    #"{"fcntl": "c", "set": ["O_SYNC"]}"#,
    #"{"fcntl": "c", "expect": {"value": 1}}"#,
    #"{"getsockname": "c", "expect": {"port": {"max": 70000}}}"#,
    #"{"sendto": "c", "to": "1.2.3.4:$closed.", "data": "x"}"#,
  ]

  private func validate(_ texts: [String]) throws -> (status: Int32, output: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-sets-\(UUID().uuidString)")
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

  @Test(ScenarioSchemaTests.needsJsonschema)
  func goodFormsValidateAndParse() throws {
    #expect(throws: Never.self) { try ScenarioParser.parse(data: Array(Self.good.utf8), file: "good.json") }
    let result = try validate([Self.good])
    #expect(result.status == 0, "\(result.output)")
  }

  @Test(ScenarioSchemaTests.needsJsonschema, arguments: bad)
  func badValueIsRefusedByBoth(_ step: String) throws {
    let text =
      #"{"netdrill": 1, "name": "t", "sockets": {"c": {"type": "udp"}}, "steps": [{"wait": "1ms", "id": "a"}, "#
      + step + "]}"
    #expect(!TestSupport.errors(parsing: text).isEmpty, "the parser accepts \(step)")
    let result = try validate([text])
    #expect(result.status != 0, "the schema accepts \(step)")
  }
}
