import Foundation
import NetDrillScenario
import Testing

/// A sent payload's `echo`: byte ranges copied from the datagram the socket
/// last received. Ranges that cannot fit are refused with their JSON path.
@Suite("Sent payloads that echo received bytes")
struct EchoPayloadTests {
  static func scenario(data: String, call: String = "sendto") -> String {
    """
    {"netdrill": 1, "name": "t", "sockets": {"s": {"type": "udp"}},
     "steps": [{"\(call)": "s", "to": "127.0.0.1:9", "data": \(data)}]}
    """
  }

  @Test("echo ranges are read into the send step, in order")
  func parsesRanges() throws {
    let text = Self.scenario(
      data: #"{"hex": "00112233", "echo": [{"from": 0, "to": 0, "length": 2}, {"from": 40, "to": 2, "length": 2}]}"#)
    let parsed = try ScenarioParser.parse(data: Array(text.utf8), file: nil)
    guard case .send(let send)? = parsed.steps.first?.action else {
      Issue.record("not a send: \(String(describing: parsed.steps.first?.action))")
      return
    }
    #expect(send.messages == [.hex([0x00, 0x11, 0x22, 0x33])])
    #expect(send.echo == [EchoRange(from: 0, to: 0, length: 2), EchoRange(from: 40, to: 2, length: 2)])
  }

  @Test(
    "a bad echo is refused at its JSON path",
    arguments: [
      (
        #"{"hex": "0011", "echo": [{"from": 0, "to": 1, "length": 2}]}"#, "$.steps[0].data.echo[0]",
        "echo range bytes 1..2 lie outside the 2-byte payload"
      ),
      (
        #"{"text": "ab", "echo": [{"from": 0, "to": 0}]}"#, "$.steps[0].data.echo[0]",
        "needs \"from\", \"to\" and \"length\""
      ),
      (
        #"{"text": "ab", "echo": [{"from": 0, "to": 0, "length": 0}]}"#, "$.steps[0].data.echo[0].length",
        "must be between 1"
      ),
      (
        #"{"text": "ab", "echo": [{"from": -1, "to": 0, "length": 1}]}"#, "$.steps[0].data.echo[0].from",
        "must be between 0"
      ),
      (
        #"{"text": "ab", "echo": [{"from": 1048575, "to": 0, "length": 2}]}"#, "$.steps[0].data.echo[0]",
        "beyond the largest datagram received"
      ),
      (#"{"text": "ab", "echo": [{"form": 0, "to": 0, "length": 1}]}"#, "$.steps[0].data.echo[0].form", "unknown key"),
      (#"{"text": "ab", "echo": []}"#, "$.steps[0].data.echo", "between 1 and 16 elements"),
    ])
  func refusesBadRanges(data: String, path: String, message: String) {
    let errors = TestSupport.errors(parsing: Self.scenario(data: data))
    #expect(errors.first?.path == path, "\(errors)")
    #expect(errors.first?.message.contains(message) == true, "\(errors)")
  }

  @Test("echo belongs to sent data only: not to an expectation, not to sendmmsg")
  func onlyWhenSending() {
    let expectation = """
      {"netdrill": 1, "name": "t", "sockets": {"s": {"type": "udp"}},
       "steps": [{"recv": "s", "expect": {"data": {"text": "ab", "echo": [{"from": 0, "to": 0, "length": 1}]}}}]}
      """
    let inExpectation = TestSupport.errors(parsing: expectation)
    #expect(inExpectation.first?.path == "$.steps[0].expect.data.echo", "\(inExpectation)")
    #expect(inExpectation.first?.message.contains("unknown key \"echo\"") == true, "\(inExpectation)")
    let batch = TestSupport.errors(
      parsing: Self.scenario(data: #"{"text": "ab", "echo": [{"from": 0, "to": 0, "length": 1}]}"#, call: "sendmmsg"))
    #expect(batch.first?.path == "$.steps[0].data.echo", "\(batch)")
  }

  @Test("EchoRange.apply copies each range, and refuses one outside the received datagram")
  func apply() {
    let received: [UInt8] = [1, 2, 3, 4]
    #expect(EchoRange.apply([.init(from: 2, to: 0, length: 2)], from: received, to: [9, 9, 9]) == [3, 4, 9])
    #expect(EchoRange.apply([.init(from: 3, to: 0, length: 2)], from: received, to: [9, 9, 9]) == nil)
  }

  @Test(
    "the JSON Schema accepts echo in sent data and refuses it in an expectation", ScenarioSchemaTests.needsJsonschema)
  func schema() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-echo-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let schema = directory.appendingPathComponent("schema.json")
    try Data(ScenarioSchema.json.utf8).write(to: schema)
    let good = directory.appendingPathComponent("good.json")
    try Data(Self.scenario(data: #"{"hex": "0011", "echo": [{"from": 0, "to": 0, "length": 2}]}"#).utf8).write(to: good)
    let bad = directory.appendingPathComponent("bad.json")
    try Data(
      """
      {"netdrill": 1, "name": "t", "sockets": {"s": {"type": "udp"}},
       "steps": [{"recv": "s", "expect": {"data": {"text": "ab", "echo": [{"from": 0, "to": 0, "length": 1}]}}}]}
      """.utf8
    ).write(to: bad)
    let result = try #require(TestSupport.python(ScenarioSchemaTests.validator, [schema.path, good.path, bad.path]))
    #expect(result.output.contains("OK \(good.path)"), "\(result.output)")
    #expect(result.output.contains("FAIL \(bad.path)"), "\(result.output)")
  }
}
