import Foundation
import Glibc
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
    let result = try Command.netdrill(["run", "--no-such-flag", "x.json"])
    #expect(result.status == 2)
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
    let result = try Command.netdrill(["run", "/nonexistent/scenario.json"])
    #expect(result.status == 2)
    #expect(result.standardError.contains("/nonexistent/scenario.json"))
  }
}

@Suite("CLI: running scenarios", .enabled(if: Privileges.mayRun, "needs root for private network namespaces"))
struct CLIRunTests {
  @Test("run exits 0 on the bundled scenarios and prints ✓ per checked step")
  func bundledPass() throws {
    guard Privileges.canCreateNamespaces() else { return }
    let files = TestPaths.bundledScenarios().map(\.path)
    let result = try Command.netdrill(["run", "--color", "never"] + files, timeout: 120)
    #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
    #expect(result.standardOutput.contains("✓"))
    #expect(result.standardOutput.contains("\(files.count) scenarios passed"))
  }

  @Test("a wrong expectation exits 1 and shows expected and actual")
  func wrongExpectation() throws {
    guard Privileges.canCreateNamespaces() else { return }
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
    guard Privileges.canCreateNamespaces() else { return }
    let file = TestPaths.scenarios.appendingPathComponent("udp/connected-closed-port.json").path
    let result = try Command.netdrill(["run", "--json", file])
    #expect(result.status == 0)
    let document = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
    let runs = document?["runs"] as? [[String: Any]]
    let outcomes = runs?.first?["outcomes"] as? [[String: Any]]
    let errors = outcomes?.compactMap { $0["error"] as? String }
    #expect(errors == ["ECONNREFUSED", "ECONNREFUSED", "ECONNREFUSED"])
  }

  @Test("as an ordinary user, a private network comes from a user namespace")
  func unprivileged() throws {
    guard Privileges.canCreateNamespaces() else { return }
    // Only meaningful when we are root and can drop to nobody; the user namespace does the rest.
    let file = TestPaths.scenarios.appendingPathComponent("udp/connected-closed-port.json").path
    let check = try Command.run("/usr/bin/unshare", ["-U", "true"])
    guard check.status == 0 else {
      // Unprivileged user namespaces are disabled on this kernel: netdrill must say so clearly.
      return
    }
    let result = try Command.run(
      "/usr/sbin/runuser", ["-u", "nobody", "--", TestPaths.binary.path, "run", "--color", "never", file])
    #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
  }
}

@Suite("CLI: interrupted recordings", .enabled(if: Privileges.mayRun, "needs root to record"))
struct InterruptedRecordTests {
  @Test("a recording killed midway (SIGINT or SIGKILL) leaves no file at the final path", arguments: [SIGINT, SIGKILL])
  func killed(signal: Int32) throws {
    guard Privileges.canCreateNamespaces() else { return }
    let scenario = try temporaryScenario(
      """
      {"netdrill": 1, "name": "slow", "sockets": {"c": {"type": "udp"}},
       "steps": [{"sendto": "c", "to": "$closed", "data": "x"}, {"wait": "5s"}]}
      """)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-kill-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let trace = directory.appendingPathComponent("t.pcapng").path
    let process = Process()
    process.executableURL = TestPaths.binary
    process.arguments = ["record", scenario, "-o", trace]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    usleep(700_000)
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
    #expect(process.terminationStatus != 0)
    #expect(!FileManager.default.fileExists(atPath: trace))
    let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    if signal == SIGINT {
      #expect(left.isEmpty, "SIGINT cleans up the temporary file too: \(left)")
    }
  }
}
