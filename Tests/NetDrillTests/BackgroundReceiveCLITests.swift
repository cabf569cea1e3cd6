import Foundation
import NetDrillTestSupport
import Testing

/// The command line on background receivers: a bad one is bad input (exit 2,
/// with the file, line:column and JSON path), and a collect's totals are
/// printed and in `--json` as one outcome.
@Suite("Background receivers: command line")
struct BackgroundReceiveCLITests {
  private func write(_ text: String, _ name: String) throws -> URL {
    let file = try temporaryDirectory("netdrill-background").appendingPathComponent(name)
    try text.write(to: file, atomically: true, encoding: .utf8)
    return file
  }

  @Test("a collect without a receiver exits 2 with the file, position and path")
  func collectWithoutReceiverIsBadInput() throws {
    let file = try write(
      """
      {"netdrill": 1, "name": "bad", "sockets": {"s": {"type": "udp"}},
       "steps": [
        {"collect": "s"}
       ]}
      """, "bad-collect.json")
    let result = try Command.netdrill(["run", file.path])
    #expect(result.status == 2, "\(result.standardError)")
    #expect(result.standardError.contains("bad-collect.json:3:15"), "\(result.standardError)")
    #expect(result.standardError.contains("$.steps[0].collect"), "\(result.standardError)")
  }

  @Test("run prints the collect's totals; --json has them as the step's background outcome", .privileged)
  func runPrintsTotals() throws {
    let file = try write(
      """
      {"netdrill": 1, "name": "bg", "sockets": {"c": {"type": "udp"}, "s": {"type": "udp"}},
       "steps": [
        {"bind": "s", "address": "127.0.0.1:0"}, {"connect": "c", "to": "s"},
        {"receive_in_background": "s", "until": {"count": 40}, "data": {"sequence": 16}},
        {"repeat": {"count": 40}, "steps": [{"send": "c", "data": {"sequence": 16}}]},
        {"collect": "s", "expect": {"received": 40, "lost": 0}}
       ]}
      """, "background.json")
    let result = try Command.netdrill(["run", file.path, "--color", "never"])
    #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
    #expect(result.standardOutput.contains("receive_in_background(s, until count 40, sequence 16B)"))
    #expect(
      result.standardOutput.contains("collect(s)")
        && result.standardOutput.contains("s received 40 (640 bytes), lost 0"),
      "\(result.standardOutput)")
    let json = try Command.netdrill(["run", file.path, "--json"])
    #expect(json.standardOutput.contains(#""background""#), "\(json.standardOutput.prefix(2000))")
  }
}
