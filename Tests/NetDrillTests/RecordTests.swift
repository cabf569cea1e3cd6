import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillScenario
import NetDrillTestSupport
import NetDrillTrace
import Testing

/// Records a bundled scenario into a temporary trace.
func recordBundled(_ relative: String, to path: String? = nil, options: RecordOptions = .init()) throws -> RecordResult
{
  let file = TestPaths.scenarios.appendingPathComponent(relative).path
  let source = try String(contentsOfFile: file, encoding: .utf8)
  let scenario = try ScenarioParser.parse(data: Array(source.utf8), file: file)
  let output = path ?? temporaryTrace(relative.replacingOccurrences(of: "/", with: "-"))
  return try ScenarioRecorder.record(scenario, source: source, to: output, options: options)
}

func temporaryTrace(_ name: String) -> String {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-traces-\(getpid())")
  try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  return directory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8)).pcapng").path
}

@Suite("Record: capture into pcapng", .privileged)
struct RecordTests {
  @Test("the closed-port trace holds each datagram and the ICMP error quoting it, tied to the step that sent it")
  func closedPortTrace() throws {
    let result = try recordBundled("udp/connected-closed-port.json")
    #expect(result.passed)
    let document = try TraceDocument.load(path: result.tracePath)
    let udp = document.packets.filter { $0.decoded.udp != nil }
    let icmp = document.packets.filter { $0.decoded.icmp != nil }
    #expect(udp.count == 3, "three datagrams reach the wire; the sends that returned ECONNREFUSED sent nothing")
    #expect(icmp.count == 3)
    #expect(document.packets.count == 6, "each packet once, although loopback shows it twice")
    for (datagram, error) in zip(udp, icmp) {
      let message = try #require(error.decoded.icmp)
      #expect(message.type == 3 && message.code == 3)
      let quoted = try #require(message.quoted?.udp)
      #expect(quoted.sourcePort == datagram.decoded.udp?.sourcePort)
      #expect(quoted.destinationPort == datagram.decoded.udp?.destinationPort)
      #expect(error.normalized.flow == datagram.normalized.flow)
    }
    #expect(
      udp.map(\.normalized.step) == [
        "step 2: send(client, 3 bytes \"one\")", "step 5: send(client, 5 bytes \"three\")",
        "step 8: send(client, 4 bytes \"five\")",
      ])
    #expect(udp.map(\.normalized.flow) == Array(repeating: "UDP client → $closed", count: 3))
    #expect(document.manifest.droppedPackets == 0)
    #expect(document.manifest.interfaces == ["local/lo"])
    #expect(document.manifest.run.outcomes.filter { $0.error == "ECONNREFUSED" }.count == 3)
  }

  @Test("tshark reads the trace: same packet count, comments and interface names", .requires(Tools.tsharkMissing))
  func tsharkReadsTrace() throws {
    let result = try recordBundled("tcp/linger-zero-reset.json")
    // The manifest's custom block shows as a record of its own in Wireshark: filter it out.
    let fields = try Command.run(
      "/usr/bin/tshark",
      [
        "-r", result.tracePath, "-Y", "!frame.cb_pen", "-T", "fields", "-E", "separator=|", "-e", "frame.number",
        "-e", "frame.interface_name", "-e", "frame.comment",
      ])
    #expect(fields.status == 0, "\(fields.standardError)")
    let rows = fields.standardOutput.split(separator: "\n")
    #expect(rows.count == result.manifest.packetCount)
    #expect(rows.count == 6, "three-way handshake, data, its ACK and the RST")
    #expect(rows.allSatisfy { $0.contains("|local/lo|") })
    #expect(rows.contains { $0.contains("step 9: close(client)") }, "the RST is tied to the close step")
    let rst = try Command.run(
      "/usr/bin/tshark", ["-r", result.tracePath, "-Y", "tcp.flags.reset == 1", "-T", "fields", "-e", "frame.comment"])
    #expect(rst.standardOutput.contains("step 9: close(client)"))
  }

  @Test("the trace appears only when complete: nothing is left at the final path on failure")
  func atomicTrace() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "netdrill-atomic-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("t.pcapng").path
    let scenario = try ScenarioParser.parse(
      data: Array(
        #"{"netdrill": 1, "name": "late", "sockets": {"a": {"type": "udp", "deferred": true}}, "steps": [{"wait": "10ms"}]}"#
          .utf8),
      file: "x.json")
    // A run that cannot go on (here: an address naming no socket resolved at run time) must not leave a trace.
    var broken = scenario
    broken.steps.append(
      Step(index: 1, action: .connect("a", to: .named("a")), location: .init(line: 1, column: 1, path: "$.steps[1]")))
    #expect(throws: RunError.self) {
      _ = try ScenarioRecorder.record(broken, source: "{}", to: path)
    }
    #expect(!FileManager.default.fileExists(atPath: path))
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "no temporary file left either")
  }

  @Test("a capture that dropped packets says so and is never a clean pass")
  func dropsAreFailures() throws {
    // A tiny kernel buffer against a fast burst of large datagrams: the ring overflows.
    let burst = (0..<12).map { _ in #"{"sendmmsg": "a", "to": "$closed", "data": {"pattern": 8000}, "count": 1024}"# }
    let json =
      #"{"netdrill": 1, "name": "burst", "sockets": {"a": {"type": "udp"}}, "steps": ["# + burst.joined(separator: ",")
      + "]}"
    let scenario = try ScenarioParser.parse(data: Array(json.utf8), file: "burst.json")
    var options = RecordOptions()
    options.capture.bufferBytes = 64 << 10
    options.fixedRingSize = true  // not sized from the scenario: this ring is meant to overflow
    let result = try ScenarioRecorder.record(scenario, source: json, to: temporaryTrace("burst"), options: options)
    #expect(result.run.passed, "the sends themselves succeed")
    try #require(result.manifest.droppedPackets > 0, "the burst should overflow a 64 KiB capture buffer")
    #expect(!result.passed)
    let shown = TraceTimeline(document: try TraceDocument.load(path: result.tracePath)).text(
      style: TextStyle(enabled: false))
    #expect(shown.contains("dropped"))
  }
}
