import Foundation
import NetDrillTestSupport
import Testing

/// `netdrill catalog`: scenarios/README.md is generated from the scenarios, and kept so.
@Suite("Scenario catalogue")
struct CatalogTests {
  @Test("the committed scenarios/README.md is what `netdrill catalog scenarios` writes")
  func committedCatalogIsCurrent() throws {
    let result = try Command.netdrill(["catalog", "--check", TestPaths.scenarios.path])
    #expect(
      result.status == 0,
      "scenarios/README.md is out of date: run `swift run netdrill catalog scenarios`\n\(result.standardError)")
    let readme = try String(
      contentsOf: TestPaths.scenarios.appendingPathComponent("README.md"), encoding: .utf8)
    for scenario in TestPaths.bundledScenarios() {
      let relative = String(scenario.path.dropFirst(TestPaths.scenarios.path.count + 1))
      #expect(readme.contains("](\(relative)) |"), "a row for \(relative)")
    }
  }

  @Test("one row per scenario: name, description, the errors it expects, the API sentence; --check fails when stale")
  func rowsAndStaleness() throws {
    let directory = try temporaryDirectory("netdrill-catalog")
    try FileManager.default.createDirectory(
      at: directory.appendingPathComponent("udp"), withIntermediateDirectories: true)
    let first = """
      {"netdrill": 1, "name": "closed-port", "description": "A send to a closed port | twice. Go's API reports it on the next Read, whereas the kernel fails the next send.",
       "sockets": {"c": {"type": "udp"}},
       "steps": [{"connect": "c", "to": "$closed"}, {"send": "c", "data": "a"}, {"wait": "20ms"},
                 {"send": "c", "data": "b", "expect": {"error": "ECONNREFUSED"}},
                 {"send": "c", "data": "c"}, {"wait": "20ms"},
                 {"send": "c", "data": "d", "expect": {"error": "ECONNREFUSED"}}],
       "expect_packets": [{"udp": {"from": "c"}}, {"icmp": "port-unreachable", "quotes": 0}]}
      """
    try first.write(to: directory.appendingPathComponent("udp/closed.json"), atomically: true, encoding: .utf8)
    let written = try Command.netdrill(["catalog", directory.path])
    #expect(written.status == 0, "\(written.standardError)")
    let readme = try String(contentsOf: directory.appendingPathComponent("README.md"), encoding: .utf8)
    #expect(
      readme.contains(
        "| [closed-port](udp/closed.json) | A send to a closed port \\| twice. Go's API reports it on the next Read, "
          + "whereas the kernel fails the next send. | send → ECONNREFUSED ×2; ICMP port-unreachable on the wire | "
          + "Go's API reports it on the next Read, whereas the kernel fails the next send. |"), "\(readme)")
    #expect(try Command.netdrill(["catalog", "--check", directory.path]).status == 0)

    let second = """
      {"netdrill": 1, "name": "plain", "description": "Nothing fails.", "sockets": {"c": {"type": "udp"}},
       "steps": [{"bind": "c", "address": "127.0.0.1:0"}]}
      """
    try second.write(to: directory.appendingPathComponent("plain.json"), atomically: true, encoding: .utf8)
    let stale = try Command.netdrill(["catalog", "--check", directory.path])
    #expect(stale.status == 1)
    #expect(stale.standardError.contains("out of date: regenerate it with `swift run netdrill catalog scenarios`"))
    #expect(try Command.netdrill(["catalog", directory.path]).status == 0)
    let regenerated = try String(contentsOf: directory.appendingPathComponent("README.md"), encoding: .utf8)
    #expect(regenerated.contains("| [plain](plain.json) | Nothing fails. | every call succeeds | — |"))

    try "{\"netdrill\": 1,".write(
      to: directory.appendingPathComponent("broken.json"), atomically: true, encoding: .utf8)
    let broken = try Command.netdrill(["catalog", directory.path])
    #expect(broken.status == 2)
    #expect(broken.standardError.contains("broken.json"), "\(broken.standardError)")
    #expect(try String(contentsOf: directory.appendingPathComponent("README.md"), encoding: .utf8) == regenerated)
  }
}
