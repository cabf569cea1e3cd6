import Testing

@testable import NetDrillScenario

/// A repeat's `"timestamps": true` and `expect.latency`: what is read, and
/// every misuse refused with its JSON path and what is expected.
@Suite("Latency: decoding")
struct LatencyDecodingTests {
  private func parse(_ step: String) throws(ScenarioErrors) -> Scenario {
    try ScenarioParser.parse(
      data: Array(
        """
        {"netdrill": 1, "name": "r", "sockets": {"c": {"type": "udp"}, "s": {"type": "udp"}},
         "steps": [
          \(step)
         ]}
        """.utf8), file: "r.json")
  }

  private func errors(_ step: String) -> [ScenarioError] {
    do {
      _ = try parse(step)
      return []
    } catch {
      return error.errors
    }
  }

  @Test func timestampsAndLatencyBoundsAreRead() throws {
    let parsed = try parse(
      #"{"repeat": {"count": 5}, "receiver": "s", "timestamps": true, "steps": [{"send": "c", "data": {"sequence": 16}}], "expect": {"latency": {"p99": {"max": "5ms"}, "p50": {"min": "1us", "max": "1ms"}}}}"#
    )
    guard case .repetition(let repetition) = parsed.steps[0].action else {
      Issue.record("not a repeat")
      return
    }
    #expect(repetition.timestamps)
    #expect(
      repetition.expect?.latency == [
        LatencyBound(statistic: .p50, range: ElapsedExpectation(minimum: .microseconds(1), maximum: .milliseconds(1))),
        LatencyBound(statistic: .p99, range: ElapsedExpectation(maximum: .milliseconds(5))),
      ])
  }

  @Test func timestampsAreOffUnlessAskedFor() throws {
    let parsed = try parse(
      #"{"repeat": {"count": 5}, "receiver": "s", "steps": [{"send": "c", "data": {"sequence": 16}}]}"#)
    guard case .repetition(let repetition) = parsed.steps[0].action else { return }
    #expect(!repetition.timestamps)
  }

  @Test(
    "misused timestamps and latency bounds exit with their path",
    arguments: [
      (
        #"{"repeat": {"count": 5}, "timestamps": true, "steps": [{"send": "c", "data": {"sequence": 16}}]}"#,
        "$.steps[0].timestamps", "needs a \"receiver\""
      ),
      (
        #"{"repeat": {"count": 5}, "receiver": "s", "timestamps": true, "steps": [{"send": "c", "data": "x"}]}"#,
        "$.steps[0].timestamps", "sequence payloads"
      ),
      (
        #"{"repeat": {"count": 5}, "receiver": "s", "timestamps": true, "steps": [{"send": "c", "data": {"sequence": 16}}, {"wait": "1ms"}]}"#,
        "$.steps[0].timestamps", "a body of one send call"
      ),
      (
        #"{"repeat": {"count": 5, "until": {"expect": {"returns": 16}}}, "receiver": "s", "timestamps": true, "steps": [{"send": "c", "data": {"sequence": 16}}]}"#,
        "$.steps[0].timestamps", "without \"until\""
      ),
      (
        #"{"repeat": {"count": 5}, "receiver": "s", "timestamps": "yes", "steps": [{"send": "c", "data": {"sequence": 16}}]}"#,
        "$.steps[0].timestamps", "true or false"
      ),
      (
        #"{"repeat": {"count": 5}, "receiver": "s", "steps": [{"send": "c", "data": {"sequence": 16}}], "expect": {"latency": {"p99": {"max": "5ms"}}}}"#,
        "$.steps[0].expect.latency", "needs \"timestamps\": true"
      ),
      (
        #"{"repeat": {"count": 5}, "receiver": "s", "timestamps": true, "steps": [{"send": "c", "data": {"sequence": 16}}], "expect": {"latency": {"p95": {"max": "5ms"}}}}"#,
        "$.steps[0].expect.latency.p95", "unknown key"
      ),
      (
        #"{"repeat": {"count": 5}, "receiver": "s", "timestamps": true, "steps": [{"send": "c", "data": {"sequence": 16}}], "expect": {"latency": {"p99": {"max": "fast"}}}}"#,
        "$.steps[0].expect.latency.p99.max", "duration"
      ),
      (
        #"{"repeat": {"count": 5}, "receiver": "s", "timestamps": true, "steps": [{"send": "c", "data": {"sequence": 16}}], "expect": {"latency": {"p99": {"min": "5ms", "max": "1ms"}}}}"#,
        "$.steps[0].expect.latency.p99", "above \"max\""
      ),
      (
        #"{"repeat": {"count": 5}, "receiver": "s", "timestamps": true, "steps": [{"send": "c", "data": {"sequence": 16}}], "expect": {"latency": {}}}"#,
        "$.steps[0].expect.latency", "at least one of"
      ),
    ])
  func badValues(_ step: String, _ path: String, _ message: String) {
    let found = errors(step)
    let error = found.first { $0.path == path }
    #expect(error != nil, "no error at \(path): \(found)")
    #expect(error?.message.contains(message) == true, "\(String(describing: error))")
  }
}
