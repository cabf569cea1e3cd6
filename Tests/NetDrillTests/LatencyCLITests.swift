import Foundation
import NetDrillTestSupport
import Testing

/// The command line on latency: misuse is bad input (exit 2 with the path),
/// `run` prints the percentiles and `--json` has them, and a bound too tight fails the run (exit 1).
@Suite("Latency: command line")
struct LatencyCLITests {
  private func write(_ text: String, _ name: String) throws -> URL {
    let file = try temporaryDirectory("netdrill-latency").appendingPathComponent(name)
    try text.write(to: file, atomically: true, encoding: .utf8)
    return file
  }

  private func scenario(timestamps: String, expect: String) -> String {
    """
    {"netdrill": 1, "name": "latency", "sockets": {"c": {"type": "udp"}, "s": {"type": "udp"}},
     "steps": [
      {"bind": "s", "address": "127.0.0.1:0"}, {"connect": "c", "to": "s"},
      {"repeat": {"count": 200}, "receiver": "s", \(timestamps) "steps": [{"send": "c", "data": {"sequence": 16}}],
       "expect": \(expect)}
     ]}
    """
  }

  @Test("latency bounds without timestamps exit 2 with the file and path")
  func boundWithoutTimestampsIsBadInput() throws {
    let file = try write(scenario(timestamps: "", expect: #"{"latency": {"p99": {"max": "5ms"}}}"#), "bad.json")
    let result = try Command.netdrill(["run", file.path])
    #expect(result.status == 2, "\(result.standardError)")
    #expect(result.standardError.contains("bad.json:"), "\(result.standardError)")
    #expect(result.standardError.contains("$.steps[2].expect.latency"), "\(result.standardError)")
  }

  @Test("run prints the percentiles, --json has them; a bound too tight exits 1", .privileged)
  func printedAndChecked() throws {
    let good = try write(
      scenario(timestamps: #""timestamps": true,"#, expect: #"{"received": 200, "latency": {"max": {"max": "60s"}}}"#),
      "good.json")
    let result = try Command.netdrill(["run", good.path, "--color", "never"])
    #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
    #expect(result.standardOutput.contains("latency p50 "), "\(result.standardOutput)")
    let json = try Command.netdrill(["run", good.path, "--json"])
    #expect(json.standardOutput.contains(#""latency""#) && json.standardOutput.contains(#""p99""#))
    let tight = try write(
      scenario(timestamps: #""timestamps": true,"#, expect: #"{"latency": {"p50": {"max": "1ns"}}}"#), "tight.json")
    let failed = try Command.netdrill(["run", tight.path, "--color", "never"])
    #expect(failed.status == 1, "\(failed.standardOutput)\(failed.standardError)")
    #expect(failed.standardOutput.contains("latency.p50"), "\(failed.standardOutput)")
  }
}
