import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// 200 sequence datagrams sent with sendto from a socket nobody binds (the
/// kernel picks its port at the first call), drained by a background receiver:
/// 136 of them are summarised in a trace.
private let unconnectedBurst = """
  { "netdrill": 1, "name": "unconnected-burst",
    "sockets": { "unconnected": { "type": "udp" }, "server": { "type": "udp", "options": { "SO_RCVBUF": 1048576 } } },
    "steps": [ { "bind": "server", "address": "127.0.0.1:0" },
               { "repeat": { "count": 200 }, "receiver": "server",
                 "steps": [ { "sendto": "unconnected", "to": "server", "data": { "sequence": 64 } } ],
                 "expect": { "calls": 200, "received": 200, "lost": 0 } } ] }
  """

private func recordUnconnectedBurst(_ name: String) throws -> RecordResult {
  let scenario = try ScenarioParser.parse(data: Array(unconnectedBurst.utf8), file: "\(name).json")
  return try ScenarioRecorder.record(scenario, source: unconnectedBurst, to: temporaryTrace(name))
}

private func diff(_ expected: String, _ actual: String) throws -> CommandResult {
  try Command.netdrill(["diff", expected, actual, "--color", "never"])
}

/// A summarised bulk run is named by the scenario's sockets, never by the
/// ephemeral port the kernel picked, so two recordings of one scenario compare
/// equal (the bench scenario was parked because they did not).
@Suite("Bulk runs named by sockets, not ephemeral ports", .privileged, .serialized)
struct BulkFlowNamingTests {
  @Test("a repeat's socket bound by its first sendto is named: the summary says `unconnected → server`")
  func repeatSocketIsNamed() throws {
    let result = try recordUnconnectedBurst("bulk-named")
    #expect(result.passed)
    #expect(result.manifest.run.names.values.contains("unconnected"))
    let bulk = try #require(result.manifest.bulk?.first)
    #expect(bulk.count == 200 - BulkFolding.keptPackets)
    let shown = try Command.netdrill(["show", result.tracePath, "--color", "never"])
    #expect(
      shown.standardOutput.contains("UDP unconnected → server len=64 on local/lo: 136 more packets summarised"),
      "\(shown.standardOutput)")
  }

  @Test("two recordings of a repeat from an ephemeral port compare equal; one datagram fewer differs")
  func recordTwiceCompareClean() throws {
    let first = try recordUnconnectedBurst("bulk-first")
    let second = try recordUnconnectedBurst("bulk-second")
    let ports = [first, second].compactMap { $0.manifest.bulk?.first?.flow }
    #expect(ports.count == 2)
    let same = try diff(first.tracePath, second.tracePath)
    #expect(same.status == 0, "\(ports)\n\(same.standardOutput)")
    // The comparison still looks at the run: a changed count is a difference, named by sockets.
    let fewer = temporaryTrace("bulk-fewer")
    try TraceMutation.rewrite(second.tracePath, to: fewer, manifest: { $0.bulk?[0].count -= 1 })
    let changed = try diff(first.tracePath, fewer)
    #expect(changed.status == 1)
    #expect(
      changed.standardOutput.contains("bulk UDP unconnected → server len=64 on local/lo"), "\(changed.standardOutput)")
  }

  @Test("an ephemeral port nobody named (a program's) becomes `port#N` in the bulk comparison, as in packets")
  func unnamedPortIsNumbered() throws {
    var traces: [String] = []
    for name in ["bulk-unnamed-a", "bulk-unnamed-b"] {
      let recorded = try recordUnconnectedBurst(name)
      let stripped = temporaryTrace(name + "-stripped")
      try TraceMutation.rewrite(
        recorded.tracePath, to: stripped, manifest: { $0.run.names = $0.run.names.filter { $0.value != "unconnected" } }
      )
      traces.append(stripped)
    }
    let same = try diff(traces[0], traces[1])
    #expect(same.status == 0, "\(same.standardOutput)")
    let fewer = temporaryTrace("bulk-unnamed-fewer")
    try TraceMutation.rewrite(traces[1], to: fewer, manifest: { $0.bulk?[0].count -= 1 })
    let changed = try diff(traces[0], fewer)
    #expect(changed.status == 1)
    #expect(changed.standardOutput.contains("bulk UDP 127.0.0.1:port#1 → server len=64"), "\(changed.standardOutput)")
  }
}
