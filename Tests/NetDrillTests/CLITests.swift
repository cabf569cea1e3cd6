import Foundation
import Glibc
import NetDrillTestSupport
import Testing

@Suite("CLI: the built binary")
struct CLITests {
  @Test("schema prints a JSON Schema")
  func schema() throws {
    let result = try Command.netdrill(["schema"])
    #expect(result.status == 0)
    let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
    #expect(object?["$schema"] != nil)
  }

  @Test("an unknown option is a usage error with exit code 2")
  func usageError() throws {
    try assertNetdrill(
      ["run", "--no-such-flag", "x.json"], exitCode: 2, output: "",
      error: """
        Error: Unknown option '--no-such-flag'
        Usage: netdrill run <files> ... [--host-network] [--json] [--color <color>]
          See 'netdrill run --help' for more information.

        """)
  }

  @Test("a malformed scenario exits 2 with file, line:column and JSON path, and runs nothing")
  func malformed() throws {
    let path = try temporaryScenario(
      """
      {"netdrill": 1, "name": "bad", "sockets": {"c": {"type": "udp"}},
       "steps": [{"send": "c", "data": "x", "expect": {"error": "ECONREFUSED"}}]}
      """)
    let result = try Command.netdrill(["run", path])
    #expect(result.status == 2)
    #expect(result.standardError.contains(path))
    #expect(result.standardError.contains("2:"))
    #expect(result.standardError.contains("$.steps[0].expect.error"))
    #expect(result.standardError.contains("ECONNREFUSED"), "suggests the nearest errno")
    #expect(result.standardOutput.isEmpty, "nothing executed")
  }

  @Test("a missing file exits 2 and names it")
  func missingFile() throws {
    try assertNetdrill(
      ["run", "/nonexistent/scenario.json"], exitCode: 2, output: "",
      error: "/nonexistent/scenario.json: error at $: cannot open the scenario: No such file or directory (ENOENT)\n")
  }
}

@Suite("CLI: running scenarios", .privileged)
struct CLIRunTests {
  @Test("run exits 0 on the bundled scenarios and prints ✓ per checked step")
  func bundledPass() throws {
    let files = TestPaths.bundledScenarios().map(\.path)
    let result = try Command.netdrill(["run", "--color", "never"] + files, timeout: 120)
    #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
    #expect(result.standardOutput.contains("✓"))
    #expect(result.standardOutput.contains("\(files.count) scenarios passed"))
  }

  @Test("a wrong expectation exits 1 and shows expected and actual")
  func wrongExpectation() throws {
    let path = try temporaryScenario(
      """
      {"netdrill": 1, "name": "wrong", "sockets": {"c": {"type": "udp"}},
       "steps": [{"connect": "c", "to": "$closed"}, {"send": "c", "data": "x", "expect": {"returns": 1}},
                 {"wait": "20ms"}, {"send": "c", "data": "y", "expect": {"returns": 1}}]}
      """)
    let result = try Command.netdrill(["run", "--color", "never", path])
    #expect(result.status == 1)
    #expect(result.standardOutput.contains("expected returns: 1"))
    #expect(result.standardOutput.contains("actual returns: ECONNREFUSED"))
  }

  @Test("--json prints every outcome as JSON")
  func json() throws {
    let file = TestPaths.scenarios.appendingPathComponent("udp/connected-closed-port.json").path
    let result = try Command.netdrill(["run", "--json", file])
    #expect(result.status == 0)
    let document = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
    let runs = document?["runs"] as? [[String: Any]]
    let outcomes = runs?.first?["outcomes"] as? [[String: Any]]
    let errors = outcomes?.compactMap { $0["error"] as? String }
    #expect(errors == ["ECONNREFUSED", "ECONNREFUSED", "ECONNREFUSED"])
  }

  /// Why an ordinary user cannot get a user namespace here, or nil when one can.
  static let userNamespacesMissing: String? = {
    guard
      let probe = try? Command.run(
        "setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "unshare", "-U", "true"])
    else { return "setpriv could not be started" }
    return probe.status == 0
      ? nil : "unprivileged user namespaces are disabled on this kernel: \(probe.standardError)"
  }()

  @Test(
    "as an ordinary user, a private network comes from a user namespace",
    .requires(userNamespacesMissing))
  func unprivileged() throws {
    let file = TestPaths.scenario("udp/connected-closed-port.json")
    let result = try Command.run(
      "setpriv",
      ["--reuid=65534", "--regid=65534", "--clear-groups", TestPaths.binary.path, "run", "--color", "never", file])
    #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
  }
}

@Suite("CLI: interrupted recordings", .privileged)
struct InterruptedRecordTests {
  @Test("a recording killed midway (SIGINT or SIGKILL) leaves no file at the final path", arguments: [SIGINT, SIGKILL])
  func killed(signal: Int32) throws {
    let scenario = try temporaryScenario(
      """
      {"netdrill": 1, "name": "slow", "sockets": {"c": {"type": "udp"}},
       "steps": [{"sendto": "c", "to": "$closed", "data": "x"}, {"wait": "5s"}]}
      """)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-kill-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let trace = directory.appendingPathComponent("t.pcapng").path
    let process = try Command.startNetdrill(["record", scenario, "-o", trace])
    usleep(700_000)
    process.signal(signal)
    let ended = process.finish(timeout: .seconds(20))
    #expect(ended.signalled || ended.status != 0)
    #expect(!FileManager.default.fileExists(atPath: trace))
    let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    if signal == SIGINT {
      #expect(left.isEmpty, "SIGINT cleans up the temporary file too: \(left)")
    }
  }
}
