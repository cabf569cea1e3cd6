import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// Records scenario text written on the spot.
private func recordText(_ source: String, name: String) throws -> RecordResult {
  let scenario = try ScenarioParser.parse(data: Array(source.utf8), file: "\(name).json")
  return try ScenarioRecorder.record(scenario, source: source, to: temporaryTrace(name))
}

/// 40 datagrams in one sendmmsg, received by one recvmmsg that expects each payload;
/// `changed` replaces datagram 31's payload (index 30), past the messages an outcome keeps whole.
private func fortyDatagrams(changed: Bool = false, expectChanged: Bool = false) -> String {
  func payloads(_ changedHere: Bool) -> String {
    (0..<40).map { index in index == 30 && changedHere ? "\"CHANGED\"" : "\"datagram \(index)\"" }
      .joined(separator: ", ")
  }
  return """
    { "netdrill": 1, "name": "forty-datagrams",
      "sockets": { "tx": { "type": "udp" }, "rx": { "type": "udp" } },
      "steps": [
        { "bind": "rx", "address": "127.0.0.1:7000" },
        { "connect": "tx", "to": "rx" },
        { "sendmmsg": "tx", "messages": [\(payloads(changed))], "expect": { "returns": 40 } },
        { "recvmmsg": "rx", "count": 40, "expect": { "returns": 40, "messages": [\(payloads(expectChanged))] } }
      ] }
    """
}

@Suite("recvmmsg outcomes: bounded in the manifest, every message still checked and compared", .privileged)
struct BoundedOutcomeTests {
  @Test("an outcome keeps 16 messages whole and digests the rest; expectations saw all 40")
  func keepsSixteen() throws {
    let result = try recordText(fortyDatagrams(), name: "forty")
    #expect(result.passed)
    let receive = try #require(result.run.outcomes.last { $0.verb == "recvmmsg" })
    #expect(receive.returned == 40)
    #expect(receive.messages?.count == MessagesDigest.keptMessages)
    #expect(receive.moreMessages?.count == 24)
    #expect(receive.moreMessages?.bytes == (16..<40).map { "datagram \($0)".utf8.count }.reduce(0, +))
    #expect(receive.checks.filter { $0.field.hasPrefix("messages[") }.count == 40)
  }

  @Test("a wrong expected payload past the kept messages still fails the step")
  func expectationPastKept() throws {
    let result = try recordText(fortyDatagrams(expectChanged: true), name: "forty-wrong")
    #expect(!result.passed)
    let failed = result.run.outcomes.flatMap(\.checks).filter { !$0.passed }
    #expect(failed.map(\.field) == ["messages[30]"])
  }

  @Test("diff: a re-record compares equal; a payload changed past the kept messages differs in its digest")
  func diffSeesDigest() throws {
    let first = try TraceDocument.load(path: try recordText(fortyDatagrams(), name: "forty-a").tracePath)
    let again = try TraceDocument.load(path: try recordText(fortyDatagrams(), name: "forty-b").tracePath)
    #expect(TraceDiff.compare(expected: first, actual: again).differences.isEmpty)
    let changed = try TraceDocument.load(
      path: try recordText(fortyDatagrams(changed: true, expectChanged: true), name: "forty-c").tracePath)
    let outcomes = TraceDiff.compare(expected: first, actual: changed).differences.filter { $0.kind == .outcome }
    #expect(outcomes.map(\.field) == ["more_messages"], "\(outcomes)")
    #expect(outcomes.first?.expected.hasPrefix("24 more messages, 264 bytes, digest ") == true)
  }

  /// 4,700 rounds of sendmmsg 128 + recvmmsg 128 on loopback: 601,600 datagrams of 64 bytes.
  /// Before the bound every one stayed in the manifest with its payload and
  /// `record` failed at about 590k ("manifest … larger than a trace block may
  /// be"). Takes about a minute in a debug build.
  @Test("record of 601,600 datagrams received through recvmmsg succeeds with a manifest of a few MB")
  func sixHundredThousand() throws {
    let round = """
      { "sendmmsg": "tx", "data": "\(String(repeating: "d", count: 64))", "count": 128, "expect": { "returns": 128 } },
      { "recvmmsg": "rx", "count": 128, "size": 64, "expect": { "returns": 128 } }
      """
    let rounds = 4_700
    let source = """
      { "netdrill": 1, "name": "six-hundred-thousand",
        "sockets": { "tx": { "type": "udp" }, "rx": { "type": "udp" } },
        "steps": [
          { "bind": "rx", "address": "127.0.0.1:7001" },
          { "connect": "tx", "to": "rx" },
          \(Array(repeating: round, count: rounds).joined(separator: ",\n"))
        ] }
      """
    let result = try recordText(source, name: "six-hundred-thousand")
    #expect(result.passed, "dropped \(result.manifest.droppedPackets)")
    let receives = result.run.outcomes.filter { $0.verb == "recvmmsg" }
    let received = receives.map { ($0.messages?.count ?? 0) + ($0.moreMessages?.count ?? 0) }.reduce(0, +)
    #expect(received == rounds * 128)
    let manifestBytes = try result.manifest.encoded().count
    #expect(manifestBytes < 48_000_000, "manifest of \(manifestBytes) bytes")
    try? FileManager.default.removeItem(atPath: result.tracePath)
  }
}
