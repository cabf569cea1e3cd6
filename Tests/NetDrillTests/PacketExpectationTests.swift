import Foundation
import NetDrillEngine
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// A bundled scenario with its `expect_packets` replaced (JSON text), run the way `netdrill run` runs it.
private func runWithPackets(_ bundled: String, _ packets: String) throws -> RunResult {
  let url = TestPaths.scenarios.appendingPathComponent(bundled)
  var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
  document["expect_packets"] = try JSONSerialization.jsonObject(with: Data(packets.utf8), options: .fragmentsAllowed)
  let source = String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self)
  let scenario = try ScenarioParser.parse(data: Array(source.utf8), file: url.path)
  return try ScenarioRecorder.runChecked(scenario, source: source)
}

/// Expected packets, one JSON object each.
private let udpClosed = [
  #"{"udp": {"from": "client", "to": "$closed"}}"#,
  #"{"icmp": "port-unreachable", "quotes": 0}"#,
  #"{"udp": {"from": "client", "to": "$closed"}}"#,
  #"{"icmp": "port-unreachable", "quotes": 2}"#,
  #"{"udp": {"from": "client", "to": "$closed"}}"#,
  #"{"icmp": "port-unreachable", "quotes": 4}"#,
]

private let tcpClosed = [
  #"{"tcp": {"from": "client", "to": "$closed", "flags": ["SYN"]}}"#,
  #"{"tcp": {"from": "$closed", "to": "client", "flags": ["RST", "ACK"]}}"#,
]

private func list(_ packets: [String]) -> String { "[" + packets.joined(separator: ", ") + "]" }

@Suite("Packet expectations: checked against the run's own capture", .privileged)
struct PacketExpectationTests {
  @Test("the bundled expectations hold, in order and as an exact list")
  func bundledExpectationsHold() throws {
    for (file, packets) in [("udp/connected-closed-port.json", udpClosed), ("tcp/connect-closed-port.json", tcpClosed)]
    {
      for form in [list(packets), #"{"exactly": \#(list(packets))}"#, #"{"in_order": \#(list(packets))}"#] {
        let result = try runWithPackets(file, form)
        let checks = try #require(result.packetChecks)
        #expect(checks.count == packets.count, "\(file): \(checks)")
        #expect(result.passed, "\(file) \(form): \(checks.filter { !$0.passed })")
      }
    }
  }

  /// One wrong value per key an expected packet has; each must fail the run.
  @Test(
    "a wrong value in any packet key fails the run",
    arguments: [
      ("udp.from", "udp/connected-closed-port.json", 0, #"{"udp": {"from": "$closed", "to": "$closed"}}"#),
      ("udp.to", "udp/connected-closed-port.json", 0, #"{"udp": {"from": "client", "to": "127.0.0.1:1"}}"#),
      ("udp.to literal $closed on IPv6", "udp/connected-closed-port.json", 0, #"{"udp": {"to": "[::1]:$closed"}}"#),
      ("protocol", "udp/connected-closed-port.json", 0, #"{"tcp": {"from": "client", "to": "$closed"}}"#),
      ("icmp name", "udp/connected-closed-port.json", 1, #"{"icmp": "host-unreachable", "quotes": 0}"#),
      ("icmp quotes", "udp/connected-closed-port.json", 3, #"{"icmp": "port-unreachable", "quotes": 0}"#),
      (
        "tcp.flags", "tcp/connect-closed-port.json", 0,
        #"{"tcp": {"from": "client", "to": "$closed", "flags": ["SYN", "ACK"]}}"#
      ),
      (
        "tcp.from", "tcp/connect-closed-port.json", 1,
        #"{"tcp": {"from": "client", "to": "$closed", "flags": ["RST", "ACK"]}}"#
      ),
      ("tcp.to", "tcp/connect-closed-port.json", 0, #"{"tcp": {"to": "127.0.0.1:1"}}"#),
    ])
  func mutation(key: String, file: String, index: Int, replacement: String) throws {
    var packets = file.hasPrefix("udp") ? udpClosed : tcpClosed
    packets[index] = replacement
    let result = try runWithPackets(file, list(packets))
    #expect(!result.passed, "\(key): a wrong expected packet passed")
    let failed = try #require(result.packetChecks?.first { !$0.passed })
    #expect(failed.index == index, "\(key): \(failed)")
    #expect(failed.location?.contains("$.expect_packets[\(index)]") == true, "\(failed)")
  }

  @Test("exactly: a packet the list does not name fails; so does one missing at the end")
  func exactlyMeansNothingElse() throws {
    // The RST is on the wire but not in the list.
    let extra = try runWithPackets("tcp/connect-closed-port.json", #"{"exactly": \#(list([tcpClosed[0]]))}"#)
    #expect(!extra.passed)
    let unexpected = try #require(extra.packetChecks?.last)
    #expect(unexpected.index == nil && unexpected.actual?.contains("[RST,ACK]") == true, "\(unexpected)")
    // The same shorter list with others allowed passes.
    #expect(try runWithPackets("tcp/connect-closed-port.json", list([tcpClosed[0]])).passed)
    // A packet that never comes fails, and says what came closest.
    let finAck = #"{"tcp": {"from": "client", "flags": ["FIN", "ACK"]}}"#
    let missing = try runWithPackets("tcp/connect-closed-port.json", #"{"exactly": \#(list(tcpClosed + [finAck]))}"#)
    let last = try #require(missing.packetChecks?.last)
    #expect(!missing.passed && last.index == 2 && last.note == "not captured", "\(last)")
  }

  @Test("order matters: the same packets in another order fail")
  func order() throws {
    let result = try runWithPackets("tcp/connect-closed-port.json", list(tcpClosed.reversed()))
    #expect(!result.passed)
  }

  @Test(
    "the issue's case through the binary: an RST and a time-exceeded that never happen exit 1, with the nearest packet")
  func impossiblePacketsExitOne() throws {
    let scenario = try temporaryScenario(
      """
      {"netdrill": 1, "name": "impossible", "sockets": {"client": {"type": "udp"}},
       "steps": [{"connect": "client", "to": "$closed"}, {"send": "client", "data": "one"}, {"wait": "20ms"}],
       "expect_packets": [{"udp": {"from": "client", "to": "$closed"}},
                          {"tcp": {"from": "$closed", "to": "client", "flags": ["RST"]}},
                          {"icmp": "time-exceeded", "quotes": 0}]}
      """)
    let run = try Command.netdrill(["run", "--color", "never", scenario])
    #expect(run.status == 1, "\(run.standardOutput)\(run.standardError)")
    #expect(run.standardOutput.contains("✗ [1] TCP $closed → client [RST]"), "\(run.standardOutput)")
    #expect(run.standardOutput.contains("nearest: local/lo ICMP port-unreachable"), "\(run.standardOutput)")
    #expect(run.standardOutput.contains("✗ [2] ICMP time-exceeded quoting [0]"), "\(run.standardOutput)")
    let json = try Command.netdrill(["run", "--json", scenario])
    #expect(json.status == 1)
    #expect(json.standardOutput.contains("\"packet_checks\""))
    // record fails the same way, and show of its trace says so from the trace itself.
    let trace = scenario + ".pcapng"
    defer { try? FileManager.default.removeItem(atPath: trace) }
    let record = try Command.netdrill(["record", "--color", "never", scenario, "-o", trace])
    #expect(record.status == 1, "\(record.standardOutput)\(record.standardError)")
    let show = try Command.netdrill(["show", "--color", "never", trace])
    #expect(show.standardOutput.contains("✗ [1] TCP $closed → client [RST]"), "\(show.standardOutput)")
    #expect(show.standardOutput.contains("✗ 2 expectation(s) failed"), "\(show.standardOutput)")
    // --host-network cannot capture, so it cannot check packets: it says so rather than pass.
    let host = try Command.netdrill(["run", "--host-network", scenario])
    #expect(host.status == 2 && host.standardError.contains("expect_packets"), "\(host.standardError)")
  }
}
