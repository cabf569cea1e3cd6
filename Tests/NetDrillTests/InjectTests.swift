import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillScenario
import NetDrillTestSupport
import NetDrillTrace
import Testing

/// `inject` steps against the real kernel: the bundled inject scenarios pass,
/// record and replay clean again and again, and an injected packet that is
/// different (another port, sequence number, quoted datagram, error) makes
/// exactly the expectations that depend on it fail.
@Suite("Engine: inject steps", .privileged)
struct InjectTests {
  static let scenarios = [
    "inject/spoofed-peer", "inject/frag-needed-pmtu", "inject/host-unreachable-errqueue",
    "inject/rst-established", "inject/icmpv6-packet-too-big", "inject/syn-ack-handshake", "inject/data-and-fin",
  ]

  /// (scenario, text in it, replacement in the inject step, the checks that must fail, `|`-separated)
  static let mutations: [(String, String, String, String)] = [
    // udp: a datagram to another port is not the unconnected socket's; from another port, another source.
    (
      "inject/spoofed-peer", #""to": "server", "data": "spoofed""#, #""to": "127.0.0.1:4001", "data": "spoofed""#,
      "returns|data|from"
    ),
    (
      "inject/spoofed-peer", #""from": "192.0.2.7:5353", "to": "server", "data": "spoofed""#,
      #""from": "192.0.2.7:5354", "to": "server", "data": "spoofed""#, "from"
    ),
    // udp: a connected socket takes datagrams from its peer's address only; unconnected, the
    // first injected datagram is taken, so the EAGAIN expectation fails.
    (
      "inject/spoofed-peer", #"{ "connect": "server", "to": "client", "expect": { "returns": 0 } },"#, "",
      "error"
    ),
    // icmp: quoting the bystander's datagram (other source port) leaves the client's error queue empty.
    (
      "inject/host-unreachable-errqueue", #""quoting": "hello""#, #""quoting": 3"#,
      "returns|data|flags|extended_error|error"
    ),
    (
      "inject/host-unreachable-errqueue", #""host-unreachable""#, #""net-unreachable""#,
      "extended_error.errno|extended_error.code"
    ),
    (
      "inject/host-unreachable-errqueue", #""quoting": "hello", "from": "192.0.2.1""#,
      #""quoting": "hello", "from": "192.0.2.9""#,
      "extended_error.offender"
    ),
    ("inject/frag-needed-pmtu", #""mtu": 1200"#, #""mtu": 1300"#, "value"),
    ("inject/icmpv6-packet-too-big", #""mtu": 1280"#, #""mtu": 1300"#, "extended_error.info"),
    // tcp: a RST one byte off what the client expects draws a challenge ACK (RFC 5961), not a reset.
    ("inject/rst-established", #""flags": ["RST"] }"#, #""flags": ["RST"], "seq": 1 }"#, "error"),
    ("inject/rst-established", #""flags": ["RST"] }"#, #""flags": ["ACK"] }"#, "error"),
    // tcp: data one byte beyond rcv_nxt waits in the out-of-order queue; an ACK without FIN ends nothing.
    (
      "inject/data-and-fin", #""flags": ["PSH", "ACK"], "data": "forged" }"#,
      #""flags": ["PSH", "ACK"], "data": "forged", "seq": 1 }"#, "data"
    ),
    ("inject/data-and-fin", #""flags": ["FIN", "ACK"] }"#, #""flags": ["ACK"] }"#, "returns"),
    // tcp: a SYN-ACK acknowledging one byte beyond the SYN is answered with a RST; still connecting.
    ("inject/syn-ack-handshake", #""seq": 1000 }"#, #""seq": 1000, "ack": 1 }"#, "revents|address"),
    // host: the same SYN-ACK delivered to b, where no socket is connecting, completes nothing.
    ("inject/syn-ack-handshake", #""seq": 1000 }"#, #""seq": 1000, "host": "b" }"#, "revents|address"),
  ]

  @Test("each inject scenario passes and replays clean against its golden 20 times in a row", arguments: scenarios)
  func replaysClean(_ name: String) throws {
    let golden = TestPaths.golden(name + ".pcapng")
    for attempt in 1...20 {
      let result = try Replayer.replay(trace: golden)
      #expect(result.record.passed, "\(name) attempt \(attempt)")
      #expect(result.diff.same, "\(name) attempt \(attempt): replay differs from the golden")
      if !result.passed { break }
    }
  }

  @Test("quoting by id and by number quote the same datagram: the client's error queue gets the error either way")
  func quotingByIDOrNumber() throws {
    let byID = try BundledScenarioMutation.source("inject/host-unreachable-errqueue")
    #expect(byID.contains(#""quoting": "hello""#))
    let byNumber = byID.replacingOccurrences(of: #""quoting": "hello""#, with: #""quoting": 2"#)
    for text in [byID, byNumber] {
      let result = try BundledScenarioMutation.run(text)
      #expect(result.passed, "\(result.outcomes.flatMap(\.checks).filter { !$0.passed })")
    }
  }

  @Test("the injected packet is in the trace, once, with the inject step's comment")
  func injectedPacketInTrace() throws {
    let result = try recordBundled("inject/rst-established.json")
    #expect(result.passed)
    let document = try TraceDocument.load(path: result.tracePath)
    let injected = document.packets.filter { $0.normalized.step?.contains("inject tcp [RST]") == true }
    #expect(injected.count == 1)
    #expect(injected.first?.decoded.tcp?.flags.contains(.rst) == true)
    let outcome = try #require(document.manifest.run.outcomes.first { $0.verb == "inject" })
    #expect(outcome.value == "injected on local/lo")
    #expect(outcome.returned == 40, "20 bytes of IPv4 header and 20 of TCP")
  }

  @Test("seq, window and flags reach the wire: the captured SYN-ACK carries them")
  func segmentFieldsInTheTrace() throws {
    let text = try BundledScenarioMutation.source("inject/syn-ack-handshake").replacingOccurrences(
      of: #""seq": 1000 }"#, with: #""seq": 1000, "window": 1234 }"#)
    let path = try temporaryScenario(text, name: "syn-ack-window")
    let scenario = try ScenarioParser.parse(file: path)
    let trace = temporaryTrace("syn-ack-window")
    let result = try ScenarioRecorder.record(scenario, source: text, to: trace)
    #expect(result.passed)
    let document = try TraceDocument.load(path: trace)
    let synAck = try #require(
      document.packets.first { $0.decoded.tcp?.flags.contains([.syn, .ack]) == true }?.decoded.tcp)
    #expect(synAck.window == 1234)
    #expect(synAck.sourcePort == 80)
    let syn = try #require(document.packets.first { $0.decoded.tcp?.flags == .syn }?.decoded.tcp)
    #expect(synAck.acknowledgmentNumber == syn.sequenceNumber &+ 1, "ack 0: the client's snd_nxt, its ISN + 1")
    #expect(synAck.sequenceNumber == 1000, "in SYN_SENT rcv_nxt is 0: seq is the pretend peer's ISN")
  }

  @Test("an injected packet that differs fails the expectations that depend on it", arguments: 0..<mutations.count)
  func mutationFails(_ index: Int) throws {
    let (scenario, original, replacement, fields) = Self.mutations[index]
    try BundledScenarioMutation.expectFails(scenario, replacing: original, with: replacement, on: fields)
  }

  @Test("bad inject input exits 2 with the file, line:column and JSON path")
  func badInputExitsTwo() throws {
    let path = try temporaryScenario(
      """
      {"netdrill": 1, "name": "bad-inject",
       "sockets": {"c": {"type": "udp"}},
       "steps": [
         {"bind": "c"},
         {"inject": "icmp", "error": "port-unreachable", "quoting": 1}
       ]}
      """, name: "bad-inject")
    let result = try Command.netdrill(["run", path])
    #expect(result.status == 2)
    #expect(result.standardError.contains(":5:63"), "stderr: \(result.standardError)")
    #expect(result.standardError.contains("$.steps[1].quoting"))
    #expect(result.standardError.contains("step 1 sends no datagram"))
  }

  @Test("an ICMP error quoting a send that failed at run time stops the run with exit 2 and the step's position")
  func quotingAFailedSend() throws {
    let path = try temporaryScenario(
      """
      {"netdrill": 1, "name": "failed-send",
       "sockets": {"c": {"type": "udp"}},
       "steps": [
         {"send": "c", "data": "x", "expect": {"error": "EDESTADDRREQ"}},
         {"inject": "icmp", "error": "port-unreachable", "quoting": 1}
       ]}
      """, name: "failed-send")
    let result = try Command.netdrill(["run", path])
    #expect(result.status == 2)
    #expect(result.standardError.contains("5:4 $.steps[1]"), "stderr: \(result.standardError)")
    #expect(result.standardError.contains("sent no datagram in this run"))
  }

  @Test("--host-network refuses inject steps (exit 2): nothing is written into the host's own network")
  func hostNetworkRefused() throws {
    let result = try Command.netdrill(["run", "--host-network", TestPaths.scenario("inject/spoofed-peer.json")])
    #expect(result.status == 2)
    #expect(result.standardError.contains("inject needs netdrill's private network"), "\(result.standardError)")
  }
}
