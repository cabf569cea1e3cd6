import Foundation
import NetDrillEngine
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// `receive_in_background` and `collect` against the real kernel: a socket
/// receiving while several later steps send, its totals from real datagrams,
/// each way it stops, and each expectation kind failing the run when the
/// kernel's answer differs.
@Suite("Background receivers: runs", .privileged, .serialized)
struct BackgroundReceiveTests {
  private func run(_ json: String) throws -> RunResult {
    try ScenarioRunner.run(ScenarioParser.parse(data: Array(json.utf8), file: "background.json"))
  }

  private func totals(_ result: RunResult) throws -> ReceiverOutcome {
    try #require(result.outcomes.compactMap(\.background).first)
  }

  /// `c` connected to `s` on loopback, with `steps` after the connect.
  private static func loopback(_ steps: String) -> String {
    """
    {"netdrill": 1, "name": "background",
     "sockets": {"c": {"type": "udp"}, "s": {"type": "udp", "options": {"SO_RCVBUF": 4194304}}},
     "steps": [
      {"bind": "s", "address": "127.0.0.1:0"}, {"connect": "c", "to": "s"},
      \(steps)
     ]}
    """
  }

  /// Two repeats numbering from 0 each, with a wait between: 3000 datagrams, the second repeat's first 1000 numbers again.
  private static let twoRepeats = """
    {"receive_in_background": "s", "until": {"count": 3000}, "data": {"sequence": 32}},
    {"repeat": {"count": 1000}, "steps": [{"send": "c", "data": {"sequence": 32}}]},
    {"wait": "10ms"},
    {"repeat": {"count": 2000}, "steps": [{"send": "c", "data": {"sequence": 32}}]}
    """

  @Test("a receiver started before two repeats counts every datagram of both; the second's renumbering is duplicates")
  func receivesAcrossSteps() throws {
    let result = try run(
      Self.loopback(
        Self.twoRepeats
          + #", {"collect": "s", "expect": {"received": 3000, "bytes": 96000, "lost": 0, "duplicated": 1000}}"#
      ))
    let outcome = try totals(result)
    #expect(result.passed, "\(outcome)")
    #expect(outcome.received == 3000 && outcome.bytes == 96_000 && outcome.lost == 0)
    #expect(outcome.duplicated == 1000 && outcome.reordered == 0 && outcome.corrupted == 0)
    // One outcome for the receiver, whatever the count.
    #expect(result.outcomes.filter { $0.verb == "collect" }.count == 1)
  }

  @Test("until count stops at exactly the count: the next datagram is left for a later step")
  func countLeavesTheRest() throws {
    let result = try run(
      Self.loopback(
        """
        {"receive_in_background": "s", "until": {"count": 5}},
        {"repeat": {"count": 6}, "steps": [{"send": "c", "data": "abc"}]},
        {"collect": "s", "expect": {"received": 5, "bytes": 15, "lost": 0}},
        {"recv": "s", "expect": {"data": "abc"}}
        """))
    #expect(result.passed, "\(result.outcomes.map { "\($0.call) \($0.checks)" })")
    #expect(try totals(result).received == 5)
  }

  @Test("until idle stops on its own: datagrams sent after the idle time are not counted")
  func idleStops() throws {
    let result = try run(
      Self.loopback(
        """
        {"receive_in_background": "s", "until": {"idle": "50ms"}},
        {"repeat": {"count": 10}, "steps": [{"send": "c", "data": "abc"}]},
        {"wait": "300ms"},
        {"repeat": {"count": 10}, "steps": [{"send": "c", "data": "abc"}]},
        {"collect": "s", "expect": {"received": 10}}
        """))
    let outcome = try totals(result)
    #expect(result.passed, "\(outcome)")
    #expect(outcome.received == 10)
  }

  @Test("a lossy link dropping every 2nd datagram: count and idle together report exactly half lost")
  func lossyLinkLosesHalf() throws {
    let result = try run(
      LossyLinkScenario.text(
        steps: """
          {"receive_in_background": "server", "until": {"count": 1000, "idle": "300ms"}, "data": {"sequence": 100}},
          {"repeat": {"count": 1000, "rate": "20000/s"},
           "steps": [{"sendto": "client", "to": "192.0.2.2:7100", "data": {"sequence": 100}}]},
          {"collect": "server", "expect": {"received": 500, "lost": 500}}
          """))
    let outcome = try totals(result)
    #expect(result.passed, "\(outcome)")
    #expect(outcome.received == 500 && outcome.lost == 500 && outcome.duplicated == 0)
  }

  @Test("a datagram that is not the sequence payload is counted corrupted")
  func corruptedCounted() throws {
    let result = try run(
      Self.loopback(
        """
        {"receive_in_background": "s", "data": {"sequence": 16}},
        {"repeat": {"count": 4}, "steps": [{"send": "c", "data": {"sequence": 16}}]},
        {"send": "c", "data": "not a sequence"},
        {"wait": "20ms"},
        {"collect": "s", "expect": {"received": 5, "corrupted": 1, "lost": 0}}
        """))
    let outcome = try totals(result)
    #expect(result.passed, "\(outcome)")
    #expect(outcome.corrupted == 1)
  }

  @Test("a receiver no step collects is stopped after the last step, its totals recorded at the end")
  func collectedAtTheEnd() throws {
    let result = try run(
      Self.loopback(
        """
        {"receive_in_background": "s"},
        {"repeat": {"count": 7}, "steps": [{"send": "c", "data": "abc"}]},
        {"wait": "20ms"}
        """))
    #expect(result.passed)
    let last = try #require(result.outcomes.last { $0.background != nil })
    #expect(last.step == .tearDown && last.call == "collect(s)")
    #expect(last.background?.received == 7)
  }

  @Test(
    "a wrong expected value fails the run (one mutation per expectation kind)",
    arguments: [
      #"{"received": 2999}"#, #"{"bytes": 1}"#, #"{"lost": 1}"#, #"{"duplicated": 0}"#, #"{"reordered": 1}"#,
      #"{"corrupted": {"min": 1}}"#,
    ])
  func wrongExpectationFails(_ expect: String) throws {
    let result = try run(Self.loopback(Self.twoRepeats + #", {"collect": "s", "expect": \#(expect)}"#))
    #expect(!result.passed)
    let collect = try #require(result.outcomes.first { $0.verb == "collect" })
    #expect(collect.checks.count == 1 && collect.checks.allSatisfy { !$0.passed }, "\(collect.checks)")
  }
}
