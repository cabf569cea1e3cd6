import Testing

@testable import NetDrillScenario

/// `receive_in_background` and `collect`: what is read, and every bad value
/// refused with its line:column and JSON path.
@Suite("Background receivers: decoding")
struct BackgroundReceiveDecodingTests {
  private func scenario(_ steps: String) -> String {
    """
    {"netdrill": 1, "name": "bg", "sockets": {"c": {"type": "udp"}, "s": {"type": "udp"}, "t": {"type": "tcp"}},
     "steps": [
      \(steps)
     ]}
    """
  }

  private func errors(_ steps: String) -> [ScenarioError] {
    do {
      _ = try ScenarioParser.parse(data: Array(scenario(steps).utf8), file: "bg.json")
      return []
    } catch {
      return error.errors
    }
  }

  @Test func aReceiverAndItsCollectAreReadWithUntilSizeSequenceAndExpectations() throws {
    let text = scenario(
      """
      {"receive_in_background": "s", "until": {"count": 1000, "idle": "50ms"}, "size": 512, "data": {"sequence": 64, "seed": 3}, "note": "n"},
      {"send": "c", "data": "x"},
      {"collect": "s", "timeout": "2s", "id": "totals",
       "expect": {"received": 1000, "bytes": {"min": 1}, "lost": 0, "duplicated": 0, "reordered": {"max": 3}, "corrupted": 0}}
      """)
    let parsed = try ScenarioParser.parse(data: Array(text.utf8), file: "bg.json")
    guard case .receiveInBackground(let receive) = parsed.steps[0].action,
      case .collect(let collect) = parsed.steps[2].action
    else {
      Issue.record("not a receiver and a collect: \(parsed.steps.map(\.action))")
      return
    }
    #expect(parsed.steps[0].action.verb == .receiveInBackground && parsed.steps[2].action.verb == .collect)
    #expect(
      receive
        == BackgroundReceiveStep(
          socket: "s", count: 1000, idle: .milliseconds(50), size: 512, sequence: SequencePayload(size: 64, seed: 3)))
    #expect(parsed.steps[0].note == "n")
    #expect(collect.socket == "s" && parsed.steps[2].timeout == .seconds(2) && parsed.steps[2].id == "totals")
    #expect(collect.expect?.received == .exactly(1000))
    #expect(collect.expect?.bytes == CountExpectation(min: 1, max: nil))
    #expect(collect.expect?.lost == .exactly(0) && collect.expect?.duplicated == .exactly(0))
    #expect(collect.expect?.reordered == CountExpectation(min: nil, max: 3) && collect.expect?.corrupted == .exactly(0))
  }

  @Test func aReceiverNeedsNoUntilAndNoCollect() throws {
    let parsed = try ScenarioParser.parse(
      data: Array(scenario(#"{"receive_in_background": "s"}, {"send": "c", "data": "x"}"#).utf8), file: "bg.json")
    guard case .receiveInBackground(let receive) = parsed.steps[0].action else { return }
    #expect(receive == BackgroundReceiveStep(socket: "s"))
  }

  @Test(
    "bad background receivers exit with their position",
    arguments: [
      (#"{"collect": "s"}"#, "$.steps[0].collect", "no background receiver to collect"),
      (
        #"{"receive_in_background": "s"}, {"receive_in_background": "s"}"#, "$.steps[1].receive_in_background",
        "already receives in the background"
      ),
      (
        #"{"receive_in_background": "s"}, {"repeat": {"count": 2}, "receiver": "s", "steps": [{"send": "c", "data": "x"}]}"#,
        "$.steps[1].receiver", "already receives in the background"
      ),
      (
        #"{"repeat": {"count": 2}, "steps": [{"receive_in_background": "s"}]}"#, "$.steps[0].steps[0]",
        "cannot be in a repeat"
      ),
      (#"{"receive_in_background": "t"}"#, "$.steps[0].receive_in_background", "not udp"),
      (#"{"receive_in_background": "nobody"}"#, "$.steps[0].receive_in_background", "unknown socket"),
      (#"{"receive_in_background": "s", "until": {}}"#, "$.steps[0].until", "needs \"count\", \"idle\""),
      (#"{"receive_in_background": "s", "until": {"count": 0}}"#, "$.steps[0].until.count", "between 1 and"),
      (#"{"receive_in_background": "s", "until": {"idle": "0s"}}"#, "$.steps[0].until.idle", "at least 1us"),
      (#"{"receive_in_background": "s", "until": {"times": 3}}"#, "$.steps[0].until.times", "unknown key"),
      (#"{"receive_in_background": "s", "size": 0}"#, "$.steps[0].size", "between 1 and"),
      (#"{"receive_in_background": "s", "data": "hello"}"#, "$.steps[0].data", "sequence payloads only"),
      (#"{"receive_in_background": "s", "expect": {"received": 1}}"#, "$.steps[0].expect", "unknown key"),
      (
        #"{"receive_in_background": "s"}, {"collect": "s", "expect": {"lost": 0}}"#, "$.steps[1].expect.lost",
        "needs the receiver to know what to expect"
      ),
      (
        #"{"receive_in_background": "s", "until": {"count": 5}}, {"collect": "s", "expect": {"duplicated": 0}}"#,
        "$.steps[1].expect.duplicated", "needs sequence numbers"
      ),
      (
        #"{"receive_in_background": "s"}, {"collect": "s", "expect": {"calls": 3}}"#, "$.steps[1].expect.calls",
        "unknown key"
      ),
      (
        #"{"receive_in_background": "s"}, {"collect": "s", "expect": {"received": -1}}"#,
        "$.steps[1].expect.received", "must be 0 or more"
      ),
    ])
  func badValues(_ steps: String, _ path: String, _ message: String) {
    let found = errors(steps)
    #expect(
      found.contains { $0.path == path && $0.message.contains(message) && $0.line == 3 && $0.column > 0 },
      "\(found.map { "\($0.path) \($0.line):\($0.column) \($0.message)" })")
  }
}
