import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// Every expectation kind that says more does something: the scenario below
/// passes as written, and each mutation (an expectation the kernel's answer
/// does not meet) fails the run on exactly that check, with exit 1.
@Suite("Engine: ranges, sets, timed_out, elapsed, total, fcntl, mutated", .privileged)
struct ExpectationSetMutationTests {
  static let scenario = #"""
    {"netdrill": 1, "name": "expectation-sets",
    "sockets": {"rx": {"type": "udp"}, "tx": {"type": "udp"}, "nb": {"type": "udp"}},
    "steps": [
     {"bind": "rx", "address": "127.0.0.1:0", "id": "bound", "expect": {"returns": {"one_of": [0]}}},
     {"bind": "nb", "address": "127.0.0.1:0"},
     {"sendto": "tx", "to": "127.0.0.1:rx", "data": "hello", "id": "sent", "expect": {"returns": {"min": 1, "max": 5}}},
     {"recv": "rx", "expect": {"data": "hello", "total": {"with": ["sent"], "returns": 10}}},
     {"recv": "rx", "flags": ["MSG_DONTWAIT"], "expect": {"error": ["EAGAIN", "ECONNREFUSED"], "timed_out": false}},
     {"recv": "rx", "timeout": "50ms", "expect": {"timed_out": true, "elapsed": {"min": "40ms", "max": "2s"}}},
     {"getsockname": "rx", "expect": {"port": {"min": 1024}}},
     {"getsockopt": "rx", "option": "SO_RCVBUF", "expect": {"value": {"min": 1024}}},
     {"wait": "30ms", "id": "pause"},
     {"getsockname": "tx", "expect": {"elapsed": {"min": "30ms", "since": "pause"}}},
     {"fcntl": "nb", "set": ["O_NONBLOCK"], "expect": {"value": ["O_NONBLOCK"]}},
     {"recv": "nb", "timeout": "300ms", "expect": {"error": "EAGAIN", "timed_out": false, "elapsed": {"max": "150ms"}}}
    ]}
    """#

  /// (text to replace, replacement, the checks that must fail, `|`-separated)
  static let mutations: [(String, String, String)] = [
    (#""returns": {"one_of": [0]}"#, #""returns": {"one_of": [1, 2]}"#, "returns"),
    (#""returns": {"min": 1, "max": 5}"#, #""returns": {"min": 6}"#, "returns"),
    (#""returns": {"min": 1, "max": 5}"#, #""returns": {"max": 4}"#, "returns"),
    (#""error": ["EAGAIN", "ECONNREFUSED"]"#, #""error": ["EINTR", "ECONNREFUSED"]"#, "error"),
    (#""timed_out": false}}"#, #""timed_out": true}}"#, "timed_out"),
    (#""timed_out": true"#, #""timed_out": false"#, "timed_out"),
    (#""min": "40ms", "max": "2s""#, #""max": "10ms""#, "elapsed"),
    (#""min": "40ms", "max": "2s""#, #""min": "5s""#, "elapsed"),
    // `about` with a tolerance: a 50 ms call is within 1 s ± 990 ms, not within 5 s ± 1 s.
    (#""min": "40ms", "max": "2s""#, #""about": "1s", "tolerance": "990ms""#, ""),
    (#""min": "40ms", "max": "2s""#, #""about": "5s", "tolerance": "1s""#, "elapsed"),
    (#""min": "30ms", "since": "pause""#, #""max": "5ms", "since": "pause""#, "elapsed"),
    (#""min": "30ms", "since": "pause""#, #""min": "30ms", "since": "bound""#, ""),
    (#""port": {"min": 1024}"#, #""port": {"max": 1023}"#, "port"),
    (#""port": {"min": 1024}"#, #""port": {"one_of": [1, 2]}"#, "port"),
    (#""value": {"min": 1024}"#, #""value": {"max": 1023}"#, "value"),
    (#""value": {"min": 1024}"#, #""value": {"one_of": [1, 2]}"#, "value"),
    (#""returns": 10"#, #""returns": 11"#, "total"),
    (#""returns": 10"#, #""returns": {"min": 11}"#, "total"),
    (#""value": ["O_NONBLOCK"]"#, #""value": []"#, "value"),
    // Without the fcntl, the socket blocks: recv waits for its whole bound.
    (#""set": ["O_NONBLOCK"], "#, "", "value|timed_out|elapsed"),
    // The literal IP with rx's port reaches rx; with nb's port it reaches nb, whose later recv then finds it.
    (#""to": "127.0.0.1:rx""#, #""to": "127.0.0.1:nb""#, "total|data|error"),
  ]

  private func run(_ text: String) throws -> RunResult { try BundledScenarioMutation.run(text) }

  @Test("the scenario passes as written")
  func passes() throws {
    let result = try run(Self.scenario)
    let failed = result.outcomes.flatMap(\.checks).filter { !$0.passed }.map { "\($0.field): \($0.actual)" }
    #expect(result.passed, "\(failed)")
  }

  @Test("a wrong expectation fails the run on that check, and exits 1", arguments: 0..<mutations.count)
  func mutationFails(_ index: Int) throws {
    let (original, replacement, fields) = Self.mutations[index]
    #expect(Self.scenario.components(separatedBy: original).count >= 2, "\(original) must occur")
    let text = Self.scenario.replacingOccurrences(of: original, with: replacement)
    let result = try run(text)
    let failed = result.outcomes.flatMap(\.checks).filter { !$0.passed }.map(\.field)
    #expect(failed.joined(separator: "|") == fields, "\(replacement)")
    #expect(result.passed == fields.isEmpty)
    let path = try temporaryScenario(text, name: "mutated")
    let cli = try Command.netdrill(["run", path, "--color", "never"])
    #expect(cli.status == (fields.isEmpty ? 0 : 1), "\(cli.standardOutput)")
  }
}

/// The golden comparison and a step whose expectation admits several answers.
@Suite("Diff: range and set answers against a golden", .privileged, .serialized)
struct RangeGoldenTests {
  private func received(_ record: RecordResult, _ id: String) -> Int? {
    record.run.outcomes.first { $0.id == id }?.returned
  }

  @Test("two runs whose SO_REUSEPORT split differs diff clean: both meet the range")
  func differentSplitIsSame() throws {
    let first = try recordBundled("udp/reuseport-distribution.json")
    #expect(first.passed)
    var other: RecordResult?
    for _ in 1...30 {
      let next = try recordBundled("udp/reuseport-distribution.json")
      if received(next, "got_a") != received(first, "got_a") {
        other = next
        break
      }
    }
    let second = try #require(other, "30 runs all split the datagrams the same way")
    let result = TraceDiff.compare(
      expected: try TraceDocument.load(path: first.tracePath), actual: try TraceDocument.load(path: second.tracePath))
    #expect(result.same, "\(DiffReport(result: result, style: TextStyle(enabled: false)).text)")
  }

  @Test("when the range failed in one run, the answers are compared and the step is named by its id")
  func failedRangeIsCompared() throws {
    // The same scenario with a range that never holds: the answers must be compared again.
    let file = TestPaths.scenarios.appendingPathComponent("udp/reuseport-distribution.json").path
    let source = try String(contentsOfFile: file, encoding: .utf8)
    let strict = source.replacingOccurrences(
      of: #""id": "got_a", "count": 16, "flags": ["MSG_DONTWAIT"], "expect": {"returns": {"min": 1, "max": 15}}"#,
      with: #""id": "got_a", "count": 16, "flags": ["MSG_DONTWAIT"], "expect": {"returns": {"min": 16}}"#)
    #expect(strict != source)
    let scenario = try ScenarioParser.parse(data: Array(strict.utf8), file: file)
    var traces: [RecordResult] = []
    for _ in 1...30 {
      let next = try ScenarioRecorder.record(
        scenario, source: strict, to: temporaryTrace("strict"), options: .init())
      if let first = traces.first, received(first, "got_a") != received(next, "got_a") {
        traces.append(next)
        break
      }
      if traces.isEmpty { traces.append(next) }
    }
    try #require(traces.count == 2, "30 runs all split the datagrams the same way")
    #expect(!traces[0].run.passed || !traces[1].run.passed)
    let result = TraceDiff.compare(
      expected: try TraceDocument.load(path: traces[0].tracePath),
      actual: try TraceDocument.load(path: traces[1].tracePath))
    let report = DiffReport(result: result, style: TextStyle(enabled: false)).text
    #expect(!result.same)
    #expect(report.contains("step #19 got_a recvmmsg(rx_a)"), "\(report)")
  }

  @Test("show and run name a step by its id")
  func idsInReports() throws {
    let record = try recordBundled("udp/reuseport-distribution.json")
    let show = try Command.netdrill(["show", "--color", "never", record.tracePath])
    #expect(show.status == 0)
    #expect(show.standardOutput.contains("#19 got_a"), "\(show.standardOutput)")
    let run = try Command.netdrill([
      "run", "--color", "never", TestPaths.scenarios.appendingPathComponent("udp/reuseport-distribution.json").path,
    ])
    #expect(run.status == 0)
    #expect(run.standardOutput.contains("#20 got_b recvmmsg(rx_b"), "\(run.standardOutput)")
  }

  @Test("a failing labelled step is named by its id in the JUnit report")
  func idInJUnit() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-ids-\(UUID().uuidString)")
    let scenarios = root.appendingPathComponent("scenarios/udp")
    try FileManager.default.createDirectory(at: scenarios, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    let source = try String(
      contentsOf: TestPaths.scenarios.appendingPathComponent("udp/reuseport-distribution.json"), encoding: .utf8)
    let strict = source.replacingOccurrences(
      of: #""id": "got_a", "count": 16, "flags": ["MSG_DONTWAIT"], "expect": {"returns": {"min": 1, "max": 15}}"#,
      with: #""id": "got_a", "count": 16, "flags": ["MSG_DONTWAIT"], "expect": {"returns": {"min": 16}}"#)
    try Data(strict.utf8).write(to: scenarios.appendingPathComponent("strict.json"))
    let junit = root.appendingPathComponent("report.xml").path
    let cli = try Command.netdrill([
      "check", root.appendingPathComponent("scenarios").path, "--traces", root.appendingPathComponent("traces").path,
      "--update", "--junit", junit, "--color", "never",
    ])
    #expect(cli.status == 1)
    let report = try String(contentsOfFile: junit, encoding: .utf8)
    #expect(report.contains("#19 got_a recvmmsg(rx_a"), "\(report)")
  }

  @Test("check passes the SO_REUSEPORT distribution 20 times in a row")
  func twentyChecks() throws {
    let options = CheckOptions(
      scenariosDirectory: TestPaths.scenarios.path,
      tracesDirectory: TestPaths.packageRoot.appendingPathComponent("traces").path, filter: "reuseport-distribution",
      repeatCount: 20)
    let result = try SuiteChecker.check(options: options)
    #expect(result.checks.count == 1)
    #expect(
      result.checks.allSatisfy { $0.status == .passed }, "\(result.checks.map { $0.details ?? $0.message ?? "" })")
  }
}

@Suite("CLI: a bad range, set, elapsed, id or fcntl value exits 2 with its position")
struct ExpectationSetCLITests {
  /// (a step with a bad value, the `file:line:column: error at PATH` it must print)
  static let cases: [(String, String)] = [
    (#"{"recv": "c", "expect": {"returns": {"min": 5, "max": 2}}}"#, ":3:43: error at $.steps[0].expect.returns"),
    (#"{"recv": "c", "expect": {"error": ["EAGAIN", 5]}}"#, ":3:52: error at $.steps[0].expect.error[1]"),
    (#"{"recv": "c", "expect": {"timed_out": 1}}"#, ":3:45: error at $.steps[0].expect.timed_out"),
    (#"{"recv": "c", "expect": {"elapsed": {"max": "1 s"}}}"#, ":3:51: error at $.steps[0].expect.elapsed.max"),
    (
      #"{"recv": "c", "expect": {"total": {"with": [], "returns": 1}}}"#, ":3:50: error at $.steps[0].expect.total.with"
    ),
    (#"{"recv": "c", "id": "a b"}"#, ":3:27: error at $.steps[0].id"),
    (#"{"fcntl": "c", "clear": ["NONBLOCK"]}"#, ":3:32: error at $.steps[0].clear[0]"),
    (#"{"sendto": "c", "to": "10.0.0.1:nobody", "data": "x"}"#, ":3:29: error at $.steps[0].to"),
  ]

  @Test("exit 2, file:line:column and JSON path", arguments: 0..<cases.count)
  func badValue(_ index: Int) throws {
    let (step, position) = Self.cases[index]
    let text =
      "{\"netdrill\": 1, \"name\": \"t\",\n\"sockets\": {\"c\": {\"type\": \"udp\"}}, \"steps\": [\n      \(step)\n]}\n"
    let path = try temporaryScenario(text, name: "bad")
    let cli = try Command.netdrill(["run", path, "--color", "never"])
    #expect(cli.status == 2)
    #expect(cli.standardError.contains(path + position), "\(cli.standardError)")
  }
}
