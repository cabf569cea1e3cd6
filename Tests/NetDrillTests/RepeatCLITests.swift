import Foundation
import NetDrillTestSupport
import Testing

/// The command line on repeats: a bad value is bad input (exit 2, with the
/// file, line:column and JSON path), and a repeat's totals are printed and
/// in `--json` as one outcome.
@Suite("Repeat: command line")
struct RepeatCLITests {
  private func write(_ text: String, _ name: String) throws -> URL {
    let file = try temporaryDirectory("netdrill-repeat").appendingPathComponent(name)
    try text.write(to: file, atomically: true, encoding: .utf8)
    return file
  }

  @Test("a repeat count of 0 exits 2 with the file, position and path")
  func zeroCountIsBadInput() throws {
    let file = try write(
      """
      {"netdrill": 1, "name": "bad", "sockets": {"c": {"type": "udp"}},
       "steps": [
        {"repeat": {"count": 0}, "steps": [{"send": "c", "data": "x"}]}
       ]}
      """, "bad-repeat.json")
    let result = try Command.netdrill(["run", file.path])
    #expect(result.status == 2, "\(result.standardError)")
    #expect(result.standardError.contains("bad-repeat.json:3:24"), "\(result.standardError)")
    #expect(result.standardError.contains("$.steps[0].repeat.count"), "\(result.standardError)")
  }

  @Test("an until naming no step of the body exits 2 with the file, position and path")
  func untilOutsideTheBodyIsBadInput() throws {
    let file = try write(
      """
      {"netdrill": 1, "name": "bad", "sockets": {"c": {"type": "udp"}},
       "steps": [
        {"repeat": {"count": 5, "until": {"step": "sent", "expect": {"returns": 1}}}, "steps": [{"send": "c", "data": "x"}]}
       ]}
      """, "bad-until.json")
    let result = try Command.netdrill(["run", file.path])
    #expect(result.status == 2, "\(result.standardError)")
    #expect(result.standardError.contains("bad-until.json:3:45"), "\(result.standardError)")
    #expect(result.standardError.contains("$.steps[0].repeat.until.step"), "\(result.standardError)")
    #expect(
      result.standardError.contains("no step in this repeat's body has the id \"sent\""), "\(result.standardError)")
  }

  @Test("an until that is never met exits 1 and says so", .privileged)
  func untilNeverMetExitsOne() throws {
    let file = try write(
      """
      {"netdrill": 1, "name": "never", "sockets": {"c": {"type": "udp"}, "s": {"type": "udp"}},
       "steps": [
        {"bind": "s", "address": "127.0.0.1:0"},
        {"repeat": {"count": 5, "until": {"step": "got", "expect": {"returns": 1}}},
         "steps": [{"recv": "s", "id": "got", "flags": ["MSG_DONTWAIT"]}]}
       ]}
      """, "never-until.json")
    let result = try Command.netdrill(["run", file.path, "--color", "never"])
    #expect(result.status == 1, "\(result.standardOutput)\(result.standardError)")
    #expect(
      result.standardOutput.contains("expected until: got: returns 1 within 5 iterations"), "\(result.standardOutput)")
    #expect(
      result.standardOutput.contains("actual until: not met in 5 iterations; last: returns EAGAIN"),
      "\(result.standardOutput)")
  }

  @Test("run prints each repeat's totals, time and rate, and its time against the first", .privileged)
  func runPrintsTotals() throws {
    let file = try write(
      """
      {"netdrill": 1, "name": "two", "sockets": {"c": {"type": "udp"}, "s": {"type": "udp", "options": {"SO_RCVBUF": 4194304}}},
       "steps": [
        {"bind": "s", "address": "127.0.0.1:0"},
        {"repeat": {"count": 500}, "id": "first", "receiver": "s", "steps": [{"sendto": "c", "to": "s", "data": {"sequence": 32}}]},
        {"connect": "c", "to": "s"},
        {"repeat": {"count": 500}, "id": "second", "receiver": "s", "steps": [{"send": "c", "data": {"sequence": 32}}],
         "expect": {"received": 500}}
       ]}
      """, "two-repeats.json")
    let result = try Command.netdrill(["run", file.path, "--color", "never"])
    #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
    #expect(result.standardOutput.contains("500 calls, 500 datagrams, 16000 bytes in "), "\(result.standardOutput)")
    #expect(result.standardOutput.contains("s received 500 (16000 bytes), lost 0"), "\(result.standardOutput)")
    #expect(result.standardOutput.contains("second: "), "\(result.standardOutput)")
    #expect(result.standardOutput.contains("× the time of first"), "\(result.standardOutput)")
  }
}
