import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// A scratch suite: `scenarios/` with the given files and an empty `traces/`.
private struct ScratchSuite {
  let root = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-gate-\(UUID().uuidString)")
  var scenarios: String { root.appendingPathComponent("scenarios").path }
  var traces: String { root.appendingPathComponent("traces").path }

  init(copying bundled: [String] = [], writing files: [String: String] = [:]) throws {
    try FileManager.default.createDirectory(atPath: traces, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: scenarios, withIntermediateDirectories: true)
    for name in bundled {
      let target = (scenarios as NSString).appendingPathComponent(name)
      try FileManager.default.createDirectory(
        atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try FileManager.default.copyItem(atPath: TestPaths.scenarios.appendingPathComponent(name).path, toPath: target)
    }
    for (name, text) in files {
      try text.write(toFile: (scenarios as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
  }

  func check(_ extra: [String]) throws -> CommandResult {
    try Command.netdrill(["check", scenarios, "--traces", traces, "--color", "never"] + extra, timeout: 300)
  }
}

/// Test cases of a JUnit file, read by junitparser (the library CI report tools use): `name state message`.
private func junitCases(_ path: String) throws -> [String] {
  let script = """
    import sys, junitparser
    for suite in junitparser.JUnitXml.fromfile(sys.argv[1]):
        for case in suite:
            kinds = [type(r).__name__.lower() for r in case.result] or ['pass']
            messages = [r.message or '' for r in case.result]
            print(case.classname + '/' + case.name, kinds[0], *messages)
    """
  let parsed = try Command.run("/usr/bin/env", ["python3", "-c", script, path])
  #expect(parsed.status == 0, "junitparser could not read \(path): \(parsed.standardError)")
  return parsed.standardOutput.split(separator: "\n").map(String.init)
}

private let unreachableProgram = """
  {"netdrill": 1, "name": "needs-a-program", "requires": [{"program": "netdrill-no-such-program"}, "root"],
   "sockets": {"c": {"type": "udp"}}, "steps": [{"send": "c", "data": "x", "expect": {"error": "EDESTADDRREQ"}}]}
  """

private let failing = """
  {"netdrill": 1, "name": "wrong", "sockets": {"c": {"type": "udp"}},
   "steps": [{"send": "c", "data": "x", "expect": {"error": "ENOTCONN"}}]}
  """

@Suite("Check: a green that is earned", .privileged, .serialized)
struct CheckGateTests {
  @Test("a scenario without a golden fails (exit 1, JUnit failure), --update records it, then it passes")
  func missingGoldenFails() throws {
    let suite = try ScratchSuite(copying: ["udp/connected-closed-port.json"])
    let junit = suite.root.appendingPathComponent("report.xml").path
    let first = try suite.check(["--junit", junit])
    #expect(first.status == 1, "\(first.standardOutput)")
    #expect(first.standardOutput.contains("no golden trace"), "\(first.standardOutput)")
    let cases = try junitCases(junit)
    #expect(cases.count == 1 && cases[0].hasPrefix("udp/connected-closed-port failure no golden trace"), "\(cases)")
    #expect(try String(contentsOfFile: junit, encoding: .utf8).contains(#"type="missing-golden""#))

    #expect(try suite.check(["--update"]).status == 0)
    #expect(FileManager.default.fileExists(atPath: suite.traces + "/udp/connected-closed-port.pcapng"))
    #expect(try suite.check([]).status == 0)
  }

  @Test("no traces folder, no scenarios, a filter that selects nothing: exit 2 before anything runs")
  func nothingToCheckIsAnError() throws {
    let suite = try ScratchSuite(copying: ["udp/connected-closed-port.json"])
    let noTraces = try Command.netdrill(["check", suite.scenarios, "--traces", "/nonexistent/netdrill-traces"])
    #expect(noTraces.status == 2 && noTraces.standardError.contains("no such golden trace folder"))
    #expect(noTraces.standardOutput.isEmpty)
    let filter = try suite.check(["--filter", "tcp/*"])
    #expect(filter.status == 2 && filter.standardError.contains("selects none of the 1 scenarios"))
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-empty-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let noScenarios = try Command.netdrill(["check", empty.path, "--traces", suite.traces])
    #expect(noScenarios.status == 2 && noScenarios.standardError.contains("no scenario files"))
    let run = try Command.netdrill(["run", empty.path])
    #expect(run.status == 2 && run.standardError.contains("no scenario files"), "\(run.standardError)")
  }

  @Test("--shard 1/2 and 2/2 run every bundled scenario exactly once, as their JUnit files show")
  func shardsCoverTheSuiteOnce() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "netdrill-shards-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var seen: [String] = []
    for shard in ["1/2", "2/2"] {
      let junit = directory.appendingPathComponent("shard-\(shard.prefix(1)).xml").path
      let result = try Command.netdrill(
        [
          "check", TestPaths.scenarios.path, "--traces", TestPaths.packageRoot.appendingPathComponent("traces").path,
          "--shard", shard, "--junit", junit,
        ], timeout: 300)
      #expect(result.status == 0, "\(result.standardOutput)")
      let cases = try junitCases(junit)
      #expect(cases.allSatisfy { $0.contains(" pass") }, "\(cases)")
      seen += cases.map { String($0.split(separator: " ")[0]) }
    }
    let bundled = ScenarioFiles.find(in: TestPaths.scenarios.path).map {
      (($0 as NSString).deletingPathExtension as String)
    }
    #expect(seen.sorted() == bundled.sorted(), "shards ran \(seen.sorted())")
    #expect(Shard("0/2") == nil && Shard("3/2") == nil && Shard("1/0") == nil && Shard("x") == nil)
  }

  @Test("--repeat 5 on the bundled suite passes, and every run counts")
  func repeatBundledSuite() throws {
    let result = try SuiteChecker.check(
      options: CheckOptions(
        scenariosDirectory: TestPaths.scenarios.path,
        tracesDirectory: TestPaths.packageRoot.appendingPathComponent("traces").path, jobs: 2, repeatCount: 5))
    #expect(
      result.exitCode == 0,
      "\(result.checks.filter { $0.status != .passed }.map { "\($0.scenario): \($0.message ?? "")" })")
    #expect(result.checks.allSatisfy { $0.message == "passed 5 runs, each the same as the golden" })
  }

  @Test("--repeat fails a scenario when any one run fails, and says which")
  func repeatFailsOnAnyRun() throws {
    let suite = try ScratchSuite(writing: ["wrong.json": failing])
    let result = try suite.check(["--repeat", "3"])
    #expect(result.status == 1)
    #expect(result.standardOutput.contains("(run 1 of 3)"), "\(result.standardOutput)")
  }

  @Test("requires: a missing program skips with the reason (JUnit <skipped>); --no-skip makes it a failure")
  func requirementsSkip() throws {
    let suite = try ScratchSuite(writing: ["needs.json": unreachableProgram])
    let junit = suite.root.appendingPathComponent("report.xml").path
    let skipped = try suite.check(["--junit", junit])
    #expect(skipped.status == 0, "\(skipped.standardOutput)")
    #expect(skipped.standardOutput.contains("needs the program netdrill-no-such-program, which is not on PATH"))
    #expect(skipped.standardOutput.contains("1 skipped"))
    let cases = try junitCases(junit)
    #expect(cases.count == 1 && cases[0].contains(" skipped needs the program"), "\(cases)")
    let strict = try suite.check(["--no-skip"])
    #expect(strict.status == 1, "\(strict.standardOutput)")
    // "root" is met here (the suite runs as root), so only the program is named.
    #expect(!skipped.standardOutput.contains("needs root"))
  }

  @Test("requires netem: skipped exactly when this kernel has no netem")
  func netemRequirement() throws {
    let probe = try Command.run(
      "/usr/bin/unshare",
      [
        "-n", "sh", "-c",
        "ip link add p0 type veth peer name p1 && ip link set p0 up && tc qdisc add dev p0 root netem delay 10ms",
      ])
    let suite = try ScratchSuite(writing: [
      "delay.json": """
      {"netdrill": 1, "name": "needs-netem", "requires": ["netem", "ipv6"], "sockets": {"c": {"type": "udp"}},
       "steps": [{"send": "c", "data": "x", "expect": {"error": "EDESTADDRREQ"}}]}
      """
    ])
    let result = try SuiteChecker.check(
      options: CheckOptions(scenariosDirectory: suite.scenarios, tracesDirectory: suite.traces, update: true))
    let check = try #require(result.checks.first)
    if probe.status == 0 {
      #expect(check.status == .recorded, "\(check)")
    } else {
      #expect(check.status == .skipped && check.message?.contains("no sch_netem") == true, "\(check)")
    }
  }

  @Test("--fail-fast starts nothing after the first failure")
  func failFast() throws {
    let suite = try ScratchSuite(writing: ["a.json": failing, "b.json": failing, "c.json": failing])
    let result = try suite.check(["--fail-fast", "--jobs", "1"])
    #expect(result.status == 1)
    #expect(result.standardOutput.contains("1 scenarios: 0 passed"), "\(result.standardOutput)")
    #expect(result.standardOutput.contains("2 not run (--fail-fast)"), "\(result.standardOutput)")
  }
}
