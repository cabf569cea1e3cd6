import NetDrillSockets
import Testing

@testable import NetDrillScenario

/// `repeat` steps and `sequence` payloads: what is read, and every bad value
/// refused with its line:column and JSON path.
@Suite("Repeat: decoding")
struct RepeatDecodingTests {
  private func scenario(_ step: String) -> String {
    """
    {"netdrill": 1, "name": "r", "sockets": {"c": {"type": "udp"}, "s": {"type": "udp"}},
     "steps": [
      \(step)
     ]}
    """
  }

  private func errors(_ step: String) -> [ScenarioError] {
    do {
      _ = try ScenarioParser.parse(data: Array(scenario(step).utf8), file: "r.json")
      return []
    } catch {
      return error.errors
    }
  }

  @Test func aRepeatIsReadWithItsLimitsBodyReceiverAndExpectations() throws {
    let text = scenario(
      """
      {"repeat": {"count": 10000000, "rate": "10MB/s", "duration": "2s"}, "id": "burst", "receiver": {"socket": "s", "idle": "50ms"},
       "steps": [{"sendto": "c", "to": "s", "data": {"sequence": 64, "seed": 3}}],
       "expect": {"calls": 5, "errors": {"ECONNREFUSED": {"min": 1}}, "lost": {"max": 0}}}
      """)
    let parsed = try ScenarioParser.parse(data: Array(text.utf8), file: "r.json")
    guard case .repetition(let repetition) = parsed.steps[0].action else {
      Issue.record("not a repeat: \(parsed.steps[0].action)")
      return
    }
    #expect(parsed.steps[0].action.verb == .repetition)
    #expect(repetition.count == 10_000_000)
    #expect(repetition.rate == .bytes(perSecond: 10_000_000))
    #expect(repetition.duration == .seconds(2))
    #expect(repetition.id == "burst")
    #expect(repetition.receiver == BackgroundReceiverSpec(socket: "s", idle: .milliseconds(50)))
    #expect(repetition.expect?.calls == .exactly(5))
    #expect(repetition.expect?.errors == [.init(errno: Errno(name: "ECONNREFUSED")!, count: .init(min: 1, max: nil))])
    #expect(repetition.expect?.receiver.lost == CountExpectation(min: nil, max: 0))
    guard case .send(let send) = repetition.body[0].action else {
      Issue.record("body is not a send")
      return
    }
    #expect(send.messages == [.sequence(size: 64, seed: 3)])
  }

  @Test("until watches the body step it names, or the body's last, with that step's expectation vocabulary")
  func untilIsRead() throws {
    let text = scenario(
      """
      {"repeat": {"count": 64, "until": {"step": "drain", "expect": {"error": ["EAGAIN", "EINTR"]}}},
       "steps": [{"recv": "s", "id": "drain", "flags": ["MSG_DONTWAIT"]}, {"send": "c", "data": "x"}]},
      {"repeat": {"duration": "1s", "until": {"expect": {"returns": {"min": 2}}}},
       "steps": [{"recv": "s"}, {"send": "c", "data": "xy"}]}
      """)
    let parsed = try ScenarioParser.parse(data: Array(text.utf8), file: "r.json")
    let untils = parsed.steps.compactMap { step -> RepetitionUntil? in
      if case .repetition(let repetition) = step.action { return repetition.until }
      return nil
    }
    try #require(untils.count == 2)
    #expect(untils[0].bodyIndex == 0)
    #expect(untils[0].expect.errorAmong?.map(\.name) == ["EAGAIN", "EINTR"])
    #expect(untils[1].bodyIndex == 1)
    #expect(untils[1].expect.returnsAmong == .range(min: 2, max: nil))
  }

  @Test("a repeat's id is a step id: another step may not take it")
  func aRepeatIDIsUnique() {
    let found = errors(
      """
      {"repeat": {"count": 2}, "id": "burst", "steps": [{"send": "c", "data": "x"}]},
      {"send": "c", "data": "y", "id": "burst"}
      """)
    #expect(found.map(\.path) == ["$.steps[1].id"])
    #expect(found.first?.message.contains("the id \"burst\" is already used by the step at $.steps[0]") == true)
  }

  @Test func aSequencePayloadCarriesItsNumberThenTheFill() {
    let layout = SequencePayload(size: 20, seed: 7)
    let bytes = layout.bytes(number: 0x0102_0304_0506_0708)
    #expect(Array(bytes.prefix(8)) == [1, 2, 3, 4, 5, 6, 7, 8])
    #expect(Array(bytes.dropFirst(8)) == PatternGenerator.bytes(count: 12, seed: 7))
    #expect(Payload.sequence(size: 20, seed: 7).bytes == layout.bytes(number: 0))
  }

  @Test("a datagram rate: per second", arguments: [("50000/s", 50000.0), ("2.5/s", 2.5)])
  func datagramRates(_ text: String, _ value: Double) throws {
    let parsed = try ScenarioParser.parse(
      data: Array(
        scenario(#"{"repeat": {"count": 1, "rate": "\#(text)"}, "steps": [{"send": "c", "data": "x"}]}"#).utf8),
      file: "r.json")
    guard case .repetition(let repetition) = parsed.steps[0].action else { return }
    #expect(repetition.rate == .datagrams(perSecond: value))
  }

  @Test(
    "bad repeat values exit with their position",
    arguments: [
      (#"{"repeat": {"count": 0}, "steps": [{"send": "c", "data": "x"}]}"#, "$.steps[0].repeat.count", "between 1 and"),
      (
        #"{"repeat": {"count": -5}, "steps": [{"send": "c", "data": "x"}]}"#, "$.steps[0].repeat.count", "between 1 and"
      ),
      (#"{"repeat": {"count": 1.5}, "steps": [{"send": "c", "data": "x"}]}"#, "$.steps[0].repeat.count", "integer"),
      (
        #"{"repeat": {"count": 1, "rate": "0/s"}, "steps": [{"send": "c", "data": "x"}]}"#, "$.steps[0].repeat.rate",
        "between 1 and"
      ),
      (
        #"{"repeat": {"count": 1, "rate": "-3/s"}, "steps": [{"send": "c", "data": "x"}]}"#, "$.steps[0].repeat.rate",
        "expected a rate"
      ),
      (
        #"{"repeat": {"count": 1, "rate": "900000000000/s"}, "steps": [{"send": "c", "data": "x"}]}"#,
        "$.steps[0].repeat.rate", "between 1 and"
      ),
      (
        #"{"repeat": {"count": 1, "rate": "fast"}, "steps": [{"send": "c", "data": "x"}]}"#, "$.steps[0].repeat.rate",
        "expected a rate"
      ),
      (
        #"{"repeat": {"duration": "0s"}, "steps": [{"send": "c", "data": "x"}]}"#, "$.steps[0].repeat.duration",
        "between 1us and 1h"
      ),
      (#"{"repeat": {}, "steps": [{"send": "c", "data": "x"}]}"#, "$.steps[0].repeat", "needs \"count\""),
      (
        #"{"repeat": {"count": 1, "times": 2}, "steps": [{"send": "c", "data": "x"}]}"#, "$.steps[0].repeat.times",
        "unknown key"
      ),
      (#"{"repeat": {"count": 1}, "steps": []}"#, "$.steps[0].steps", "between 1 and"),
      (#"{"repeat": {"count": 1}}"#, "$.steps[0]", "needs \"steps\""),
      (
        #"{"repeat": {"count": 1}, "loops": 2, "steps": [{"send": "c", "data": "x"}]}"#, "$.steps[0].loops",
        "unknown key"
      ),
      (
        #"{"repeat": {"count": 1}, "steps": [{"send": "c", "data": "x", "expect": {"returns": 1}}]}"#,
        "$.steps[0].steps[0].expect", "no expectation of its own"
      ),
      (
        #"{"repeat": {"count": 1}, "steps": [{"repeat": {"count": 2}, "steps": [{"send": "c", "data": "x"}]}]}"#,
        "$.steps[0].steps[0].repeat", "cannot be nested"
      ),
      (
        #"{"repeat": {"count": 1}, "steps": [{"send": "c", "data": "x"}], "expect": {"lost": -1}}"#,
        "$.steps[0].expect.lost", "or more"
      ),
      (
        #"{"repeat": {"count": 1}, "steps": [{"send": "c", "data": "x"}], "expect": {"rate": 5}}"#,
        "$.steps[0].expect.rate", "unknown key"
      ),
      (
        #"{"repeat": {"count": 1}, "steps": [{"send": "c", "data": "x"}], "expect": {"errors": {"ECONNREFUZED": 1}}}"#,
        "$.steps[0].expect.errors.ECONNREFUZED", "unknown errno"
      ),
      (
        #"{"repeat": {"count": 1}, "steps": [{"send": "c", "data": "x"}], "expect": {"calls": {"min": 5, "max": 1}}}"#,
        "$.steps[0].expect.calls", "larger than"
      ),
      (
        #"{"repeat": {"count": 1}, "receiver": "nobody", "steps": [{"send": "c", "data": "x"}]}"#,
        "$.steps[0].receiver", "nobody"
      ),
      (#"{"send": "c", "data": {"sequence": 4}}"#, "$.steps[0].data.sequence", "between 8 and"),
      // until
      (
        #"{"repeat": {"count": 3, "until": {"step": "drian", "expect": {"error": "EAGAIN"}}}, "steps": [{"recv": "s", "id": "drain"}]}"#,
        "$.steps[0].repeat.until.step", "no step in this repeat's body has the id \"drian\""
      ),
      (
        #"{"bind": "s", "id": "bound"}, {"repeat": {"count": 3, "until": {"step": "bound", "expect": {"returns": 0}}}, "steps": [{"recv": "s"}]}"#,
        "$.steps[1].repeat.until.step", "step \"bound\" is not in this repeat's body"
      ),
      (
        #"{"repeat": {"count": 3, "until": {"step": "drain"}}, "steps": [{"recv": "s", "id": "drain"}]}"#,
        "$.steps[0].repeat.until", "needs \"expect\""
      ),
      (
        #"{"repeat": {"count": 3, "until": {"expect": {}}}, "steps": [{"recv": "s"}]}"#,
        "$.steps[0].repeat.until.expect", "at least one expectation"
      ),
      (
        #"{"repeat": {"count": 3, "until": {"expect": {"revents": ["POLLIN"]}}}, "steps": [{"recv": "s"}]}"#,
        "$.steps[0].repeat.until.expect.revents", "cannot be checked on a recv step"
      ),
      (
        #"{"repeat": {"count": 3, "until": {"expect": {"error": "EAGAIN"}, "times": 2}}, "steps": [{"recv": "s"}]}"#,
        "$.steps[0].repeat.until.times", "unknown key"
      ),
      (
        #"{"repeat": {"count": 3, "until": {"expect": {"error": "EGAIN"}}}, "steps": [{"recv": "s"}]}"#,
        "$.steps[0].repeat.until.expect.error", "EGAIN"
      ),
      (
        #"{"repeat": {"until": {"expect": {"error": "EAGAIN"}}}, "steps": [{"recv": "s"}]}"#, "$.steps[0].repeat",
        "the most iterations to try"
      ),
      (
        #"{"repeat": {"count": 3, "until": "drain"}, "steps": [{"recv": "s", "id": "drain"}]}"#,
        "$.steps[0].repeat.until", "expected"
      ),
    ])
  func badValues(_ step: String, _ path: String, _ message: String) {
    let found = errors(step)
    let error = found.first { $0.path == path }
    #expect(error != nil, "no error at \(path): \(found)")
    #expect(error?.message.contains(message) == true, "\(found)")
    #expect((error?.line ?? 0) == 3 && (error?.column ?? 0) > 1, "\(found)")
  }
}
