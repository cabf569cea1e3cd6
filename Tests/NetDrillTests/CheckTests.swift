import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillScenario
import NetDrillTestSupport
import Testing

@Suite(
  "Check: the bundled suite as CI runs it", .privileged, .serialized)
struct CheckTests {
  private var bundledOptions: CheckOptions {
    CheckOptions(
      scenariosDirectory: TestPaths.scenarios.path,
      tracesDirectory: TestPaths.packageRoot.appendingPathComponent("traces").path, jobs: 2)
  }

  @Test("every bundled scenario has a golden trace")
  func goldensExist() {
    let scenarios = ScenarioFiles.find(in: TestPaths.scenarios.path)
    let traces = TestPaths.packageRoot.appendingPathComponent("traces")
    for relative in scenarios {
      let golden = traces.appendingPathComponent((relative as NSString).deletingPathExtension + ".pcapng").path
      #expect(FileManager.default.fileExists(atPath: golden), "no golden trace for \(relative)")
    }
  }

  @Test("check over the bundled suite passes 20 times in a row")
  func twentyRuns() throws {
    var failures: [String] = []
    for run in 1...20 {
      let result = try SuiteChecker.check(options: bundledOptions)
      #expect(result.checks.count == ScenarioFiles.find(in: TestPaths.scenarios.path).count)
      for check in result.checks where check.status != .passed || check.message != nil {
        failures.append("run \(run): \(check.scenario): \(check.message ?? "") \(check.details ?? "")")
      }
    }
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }

  @Test(
    "a golden that differs fails check with exit 1, and the JUnit report says why — read by a JUnit parser",
    .requires(Tools.pythonModuleMissing("junitparser", package: "python3-junitparser")))
  func junitOnFailure() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-check-\(UUID().uuidString)")
    let scenarios = root.appendingPathComponent("scenarios/udp")
    let traces = root.appendingPathComponent("traces/udp")
    try FileManager.default.createDirectory(at: scenarios, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: traces, withIntermediateDirectories: true)
    for name in ["connected-closed-port", "reconnect-keeps-local-port"] {
      try FileManager.default.copyItem(
        at: TestPaths.scenarios.appendingPathComponent("udp/\(name).json"),
        to: scenarios.appendingPathComponent("\(name).json"))
    }
    // Record goldens with --update, then damage one: its ICMP errors become host unreachable.
    let update = try Command.netdrill(
      [
        "check", root.appendingPathComponent("scenarios").path, "--traces", root.appendingPathComponent("traces").path,
        "--update", "--color", "never",
      ], timeout: 120)
    #expect(update.status == 0, "\(update.standardOutput)\(update.standardError)")
    let golden = traces.appendingPathComponent("connected-closed-port.pcapng").path
    let damaged = golden + ".tmp.pcapng"
    try TraceMutation.rewrite(
      golden, to: damaged,
      packet: { _, bytes in
        guard TraceMutation.isICMP(bytes) else { return bytes }
        var frame = bytes
        frame[TraceMutation.transportOffset(frame) + 1] = 1
        return frame
      })
    try FileManager.default.removeItem(atPath: golden)
    try FileManager.default.moveItem(atPath: damaged, toPath: golden)

    let junit = root.appendingPathComponent("report.xml").path
    let check = try Command.netdrill(
      [
        "check", root.appendingPathComponent("scenarios").path, "--traces", root.appendingPathComponent("traces").path,
        "--junit", junit, "--color", "never",
      ], timeout: 120)
    #expect(check.status == 1)
    #expect(check.standardOutput.contains("changed packet"))

    // A real consumer: junitparser, the library CI report tools use, must read it.
    let script = """
      import sys, junitparser
      xml = junitparser.JUnitXml.fromfile(sys.argv[1])
      cases = [c for suite in xml for c in suite]
      print(len(cases))
      for c in cases:
          state = 'failure' if any(isinstance(r, junitparser.Failure) for r in c.result) else 'pass'
          print(c.classname, c.name, state)
          for r in c.result:
              print('MESSAGE', r.message)
      """
    let parsed = try Command.run("/usr/bin/env", ["python3", "-c", script, junit])
    try #require(parsed.status == 0, "junitparser could not read the report: \(parsed.standardError)")
    let lines = parsed.standardOutput.split(separator: "\n").map(String.init)
    #expect(lines.first == "2")
    #expect(lines.contains("udp connected-closed-port failure"))
    #expect(lines.contains("udp reconnect-keeps-local-port pass"))
    #expect(lines.contains { $0.hasPrefix("MESSAGE differs from") && $0.contains("3 differences") })
  }

  @Test("a scenario whose expectation fails is a failure with the expected and actual values")
  func expectationFailure() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-check-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: root.appendingPathComponent("traces"), withIntermediateDirectories: true)
    try """
    {"netdrill": 1, "name": "wrong", "sockets": {"c": {"type": "udp"}},
     "steps": [{"send": "c", "data": "x", "expect": {"error": "ENOTCONN"}}]}
    """.write(to: root.appendingPathComponent("wrong.json"), atomically: true, encoding: .utf8)
    let result = try SuiteChecker.check(
      options: CheckOptions(scenariosDirectory: root.path, tracesDirectory: root.appendingPathComponent("traces").path))
    #expect(result.exitCode == 1)
    #expect(result.checks.first?.details?.contains("actual error: EDESTADDRREQ") == true)
  }
}
