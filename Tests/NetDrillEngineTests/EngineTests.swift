import Foundation
import NetDrillEngine
import NetDrillScenario
import NetDrillTestSupport
import Testing

@Suite(
  "Engine: bundled scenarios through the library",
  .privileged)
struct BundledScenarioTests {
  static let files = TestPaths.bundledScenarios()

  @Test("the bundled library is not empty")
  func libraryExists() {
    #expect(Self.files.count >= 9)
  }

  @Test("every bundled scenario passes", arguments: files)
  func scenarioPasses(_ file: URL) throws {
    let scenario = try ScenarioParser.parse(file: file.path)
    let result = try ScenarioRunner.run(scenario)
    let report = RunReport(result: result, scenario: scenario, style: TextStyle(enabled: false)).text
    #expect(result.passed, "\(report)")
    #expect(result.environment.network == "private")
  }
}

@Suite("Engine: kernel outcomes", .privileged)
struct EngineOutcomeTests {
  private func run(_ json: String) throws -> RunResult {
    let scenario = try ScenarioParser.parse(data: Array(json.utf8), file: "inline.json")
    return try ScenarioRunner.run(scenario)
  }

  @Test("connected UDP to a closed port: ok, ECONNREFUSED, ok — from the kernel, not from the expectation")
  func closedPortSequence() throws {
    // No expectations at all: the outcomes alone must show the kernel's pattern.
    let result = try run(
      """
      {"netdrill": 1, "name": "closed", "sockets": {"c": {"type": "udp"}},
       "steps": [{"connect": "c", "to": "$closed"}, {"send": "c", "data": "a"}, {"wait": "20ms"},
                 {"send": "c", "data": "b"}, {"send": "c", "data": "c"}]}
      """)
    let sends = result.outcomes.filter { $0.verb == "send" }
    #expect(sends.map(\.resultText) == ["1", "ECONNREFUSED", "1"])
    #expect(result.outcomes.first { $0.verb == "connect" }?.call == "connect(c, 127.0.0.1:\(result.closedPort))")
    #expect(result.names["127.0.0.1:\(result.closedPort)"] == "$closed")
  }

  @Test("a wrong expectation fails the run and shows expected against actual")
  func wrongExpectation() throws {
    let scenario = try ScenarioParser.parse(
      data: Array(
        """
        {"netdrill": 1, "name": "wrong", "sockets": {"c": {"type": "udp"}},
         "steps": [{"send": "c", "data": "x", "expect": {"error": "ENOTCONN"}}]}
        """.utf8), file: "wrong.json")
    let result = try ScenarioRunner.run(scenario)
    #expect(!result.passed)
    let check = try #require(result.outcomes.last?.checks.first)
    #expect(check == ExpectationCheck(field: "error", expected: "ENOTCONN", actual: "EDESTADDRREQ", passed: false))
    let text = RunReport(result: result, scenario: scenario, style: TextStyle(enabled: false)).text
    #expect(text.contains("expected error: ENOTCONN"))
    #expect(text.contains("actual error: EDESTADDRREQ"))
    #expect(text.contains("FAILED"))
  }

  @Test("a blocking recv with nothing to read is bounded by the step's timeout")
  func blockingReceiveIsBounded() throws {
    let result = try run(
      """
      {"netdrill": 1, "name": "bounded", "sockets": {"s": {"type": "udp"}},
       "steps": [{"bind": "s", "address": "127.0.0.1:0"}, {"recv": "s", "timeout": "150ms"}]}
      """)
    let receive = try #require(result.outcomes.last)
    #expect(receive.error == "EAGAIN")
    #expect(receive.timedOut == true)
    let elapsed = Double(receive.endNanoseconds - receive.startNanoseconds) / 1e9
    #expect(elapsed >= 0.13 && elapsed < 2.0)
  }

  @Test("sendmmsg and recvmmsg move several datagrams per call")
  func batches() throws {
    let result = try run(
      """
      {"netdrill": 1, "name": "batch", "sockets": {"a": {"type": "udp"}, "b": {"type": "udp"}},
       "steps": [{"bind": "b", "address": "127.0.0.1:0"}, {"connect": "a", "to": "b"},
                 {"sendmmsg": "a", "messages": ["one", "two", {"hex": "00ff"}]},
                 {"recvmmsg": "b", "count": 8, "size": 64}]}
      """)
    #expect(result.outcomes.first { $0.verb == "sendmmsg" }?.returned == 3)
    let receive = try #require(result.outcomes.last)
    #expect(receive.returned == 3)
    #expect(receive.messages?.map(\.data.hex) == ["6f6e65", "74776f", "00ff"])
    #expect(receive.messages?.allSatisfy { $0.fromName == "a" } == true)
  }

  @Test("reading into a smaller buffer truncates and sets MSG_TRUNC")
  func truncation() throws {
    let result = try run(
      """
      {"netdrill": 1, "name": "trunc", "sockets": {"a": {"type": "udp"}, "b": {"type": "udp"}},
       "steps": [{"bind": "b", "address": "127.0.0.1:0"},
                 {"sendto": "a", "to": "b", "data": {"pattern": 100}},
                 {"recvmsg": "b", "size": 10, "flags": ["MSG_TRUNC"]}]}
      """)
    let receive = try #require(result.outcomes.last)
    #expect(receive.returned == 100)
    #expect(receive.data?.count == 10)
    #expect(receive.flags?.contains("MSG_TRUNC") == true)
  }

  @Test("setup failures are failures, not silence")
  func setupFailure() throws {
    let result = try run(
      """
      {"netdrill": 1, "name": "setup", "sockets": {"a": {"type": "udp", "options": {"SO_BINDTODEVICE": "nosuchdev0"}}},
       "steps": []}
      """)
    #expect(!result.passed)
    #expect(result.outcomes.last?.error == "ENODEV")
  }
}
