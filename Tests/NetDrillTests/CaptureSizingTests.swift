import Foundation
import NetDrillEngine
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// A LAN of `hosts` hosts on one bridge where the first sends one datagram to the last.
func lanScenario(hosts: Int) -> String {
  let names = (1...hosts).map { "\"h\($0)\"" }
  return """
    {
      "netdrill": 1, "name": "lan-\(hosts)",
      "hosts": { \((1...hosts).map { "\"h\($0)\": {}" }.joined(separator: ", ")) },
      "links": [ { "name": "lan", "hosts": [\(names.joined(separator: ", "))], "ipv4": "10.9.0.0/24" } ],
      "sockets": { "sender": { "type": "udp", "host": "h1" }, "peer": { "type": "udp", "host": "h\(hosts)" } },
      "steps": [
        { "bind": "peer", "address": "0.0.0.0:5000" },
        { "sendto": "sender", "to": "peer", "data": "hello lan", "expect": { "returns": 9 } },
        { "recvfrom": "peer", "expect": { "data": "hello lan" } }
      ]
    }
    """
}

@Suite("Capture sized to the work: rings from the scenario's traffic")
struct CaptureBudgetTests {
  private func budget(_ json: String) throws -> CaptureBudget {
    CaptureBudget(scenario: try ScenarioParser.parse(data: Array(json.utf8), file: "budget.json"))
  }

  @Test("a scenario of a few datagrams gets the smallest ring, its idle hosts no more")
  func quietScenario() throws {
    let budget = try budget(lanScenario(hosts: 4))
    #expect(budget.packets == 1 && budget.payloadBytes == 9)
    #expect(budget.ringBytes(forHost: "h1") == CaptureBudget.minimumRingBytes)
    #expect(budget.ringBytes(forHost: "h2") == CaptureBudget.minimumRingBytes)
  }

  @Test("a sendmmsg burst sizes the ring from its message count and payload sizes; idle hosts stay small")
  func burst() throws {
    let messages = Array(repeating: #"{"zeros": 1024}"#, count: 1024).joined(separator: ", ")
    let json = """
      { "netdrill": 1, "name": "burst",
        "hosts": { "a": {}, "b": {}, "idle": {} },
        "links": [ { "name": "lan", "hosts": ["a", "b", "idle"] } ],
        "sockets": { "tx": { "type": "udp", "host": "a" }, "rx": { "type": "udp", "host": "b" } },
        "steps": [ { "bind": "rx", "address": "0.0.0.0:5000" },
                   { "sendmmsg": "tx", "to": "rx", "messages": [\(messages)] } ] }
      """
    let budget = try budget(json)
    #expect(budget.packets == 1024 && budget.payloadBytes == 1024 * 1024)
    // 2 × (1 MiB + 1024 × 160) rounded up to whole MiB: 3 MiB.
    #expect(budget.ringBytes(forHost: "a") == 3 << 20)
    #expect(budget.ringBytes(forHost: "b") == 3 << 20)
    #expect(budget.ringBytes(forHost: "idle") == CaptureBudget.idleRingBytes)
  }

  @Test("the repeat hook multiplies a step's volume; huge counts stop at the largest ring without trapping")
  func repeatHook() throws {
    let scenario = try ScenarioParser.parse(data: Array(lanScenario(hosts: 2).utf8), file: "hook.json")
    var budget = CaptureBudget()
    budget.add(scenario.steps[1], times: 100_000)
    #expect(budget.packets == 100_000 && budget.payloadBytes == 900_000)
    // 2 × (900,000 + 100,000 × 160) bytes, rounded up to whole MiB.
    #expect(budget.trafficRingBytes == 33 << 20)
    budget.add(packets: .max, payloadBytes: 65_536, times: 10_000_000)
    #expect(budget.packets == .max)
    #expect(budget.trafficRingBytes == CaptureBudget.maximumRingBytes)
  }
}

@Suite("Capture sized to the work: peak memory", .privileged, .serialized)
struct CaptureMemoryTests {
  /// Runs the built netdrill under `/usr/bin/time` and returns its peak RSS in bytes.
  private func peakRSS(_ arguments: [String], timeout: TimeInterval = 120) throws -> (CommandResult, Int) {
    let report = try temporaryDirectory("netdrill-rss").appendingPathComponent("rss").path
    let result = try Command.run(
      "/usr/bin/time", ["-f", "%M", "-o", report, TestPaths.binary.path] + arguments, timeout: timeout)
    let kilobytes = try String(contentsOfFile: report, encoding: .utf8).split(separator: "\n").last
    return (result, (kilobytes.flatMap { Int($0) } ?? -1) * 1024)
  }

  @Test(
    "recording a 20-host LAN peaks under 400 MB with nothing dropped (64 MiB per ring was 2.6 GB)",
    .requires(FileManager.default.isExecutableFile(atPath: "/usr/bin/time") ? nil : "/usr/bin/time is not installed"))
  func twentyHostLAN() throws {
    let directory = try temporaryDirectory("netdrill-lan20")
    let scenario = directory.appendingPathComponent("lan20.json").path
    try lanScenario(hosts: 20).write(toFile: scenario, atomically: true, encoding: .utf8)
    let trace = directory.appendingPathComponent("lan20.pcapng").path
    let (result, peak) = try peakRSS(["record", scenario, "-o", trace, "--json"])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(peak > 0 && peak <= 400_000_000, "peak RSS \(peak) bytes")
    let manifest = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
    let capture = try #require(manifest?["capture"] as? [[String: Any]])
    #expect(capture.count == 40, "lo and eth0 of 20 hosts")
    let dropped = capture.map { ($0["dropped"] as? Int ?? -1) + ($0["interface_dropped"] as? Int ?? -1) }
    #expect(dropped.allSatisfy { $0 == 0 }, "dropped per interface: \(dropped)")
  }

  @Test(
    "check --jobs 4 of the bundled suite peaks under 400 MB (was 1.2 GB)",
    .requires(FileManager.default.isExecutableFile(atPath: "/usr/bin/time") ? nil : "/usr/bin/time is not installed"))
  func bundledSuite() throws {
    let (result, peak) = try peakRSS(
      ["check", TestPaths.scenarios.path, "--traces", TestPaths.traces.path, "--jobs", "4"], timeout: 300)
    #expect(result.status == 0, "\(result.standardOutput.suffix(2000))")
    #expect(peak > 0 && peak <= 400_000_000, "peak RSS \(peak) bytes")
  }
}
