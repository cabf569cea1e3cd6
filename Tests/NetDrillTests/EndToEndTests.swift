import Foundation
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// Every command through the built binary, with its whole output (volatile parts masked) and exit code.
@Suite("End to end: every command through the built binary", .privileged)
struct EndToEndTests {
  static let closedPort = """
    {"netdrill": 1, "name": "e2e-closed-port", "description": "One datagram to a closed port, then the stored error.",
     "sockets": {"c": {"type": "udp"}},
     "steps": [{"connect": "c", "to": "$closed"}, {"send": "c", "data": "one", "expect": {"returns": 3}},
               {"wait": "20ms"}, {"send": "c", "data": "two", "expect": {"error": "ECONNREFUSED"}}]}
    """

  /// The same with one more send at the end: one step and two packets more.
  static let closedPortLonger = closedPort.replacingOccurrences(
    of: #"{"error": "ECONNREFUSED"}}]}"#, with: #"{"error": "ECONNREFUSED"}}, {"send": "c", "data": "three"}]}"#)

  static let closedPortRun = """
    ▶ e2e-closed-port (<tmp>/a.json)
      One datagram to a closed port, then the stored error.
      ✓ setup socket(AF_INET, SOCK_DGRAM, 0) → c  ok
        #1    connect(c, 127.0.0.1:9)             0
      ✓ #2    send(c, 3 bytes "one")              3
        #3    wait <time>                           ok
      ✓ #4    send(c, 3 bytes "two")              ECONNREFUSED
    ✓ passed: 4 steps, 3 checks, $closed = 9

    """

  /// A folder holding `a.json` (closedPort) and `b.json` (closedPortLonger).
  private func folder() throws -> URL {
    let directory = try temporaryDirectory()
    try Self.closedPort.write(to: directory.appendingPathComponent("a.json"), atomically: true, encoding: .utf8)
    try Self.closedPortLonger.write(to: directory.appendingPathComponent("b.json"), atomically: true, encoding: .utf8)
    return directory
  }

  @Test("run FILE: the whole report, exit 0")
  func runFile() throws {
    let directory = try folder()
    try assertNetdrill(
      ["run", "--color", "never", directory.appendingPathComponent("a.json").path], exitCode: 0,
      output: Self.closedPortRun)
  }

  @Test("run DIR: every scenario below the folder, in path order, then the total")
  func runFolder() throws {
    let directory = try folder()
    try assertNetdrill(
      ["run", "--color", "never", directory.path], exitCode: 0,
      output: Self.closedPortRun + """

        ▶ e2e-closed-port (<tmp>/b.json)
          One datagram to a closed port, then the stored error.
          ✓ setup socket(AF_INET, SOCK_DGRAM, 0) → c  ok
            #1    connect(c, 127.0.0.1:9)             0
          ✓ #2    send(c, 3 bytes "one")              3
            #3    wait <time>                           ok
          ✓ #4    send(c, 3 bytes "two")              ECONNREFUSED
            #5    send(c, 5 bytes "three")            5
        ✓ passed: 5 steps, 3 checks, $closed = 9

        ✓ 2 scenarios passed

        """)
  }

  @Test("record runs to completion, writes the trace, and show prints it whole")
  func recordAndShow() throws {
    let directory = try folder()
    let trace = directory.appendingPathComponent("a.pcapng").path
    try assertNetdrill(
      ["record", "--color", "never", directory.appendingPathComponent("a.json").path, "-o", trace], exitCode: 0,
      output: Self.closedPortRun + "trace <tmp>/a.pcapng: 2 packets on local/lo, 0 dropped\n")
    #expect(FileManager.default.fileExists(atPath: trace))
    try assertNetdrill(
      ["show", "--color", "never", trace], exitCode: 0,
      output: """
        trace <tmp>/a.pcapng  scenario e2e-closed-port
          netdrill 0.1.0, Linux <kernel>, private network, 2 packets on local/lo, $closed = 9
        +<t> ✓ setup  socket(AF_INET, SOCK_DGRAM, 0) → c  → ok
        +<t>   #1     connect(c, $closed)  → 0
        +<t> ✓ #2     send(c, 3 bytes "one")  → 3
        +<t>     local/lo   UDP c → $closed len=3
        +<t>     local/lo   ICMP port-unreachable (3/3) 127.0.0.1 → 127.0.0.1 quoting UDP c → $closed len=3
        +<t>   #3     wait <time>  → ok
        +<t> ✓ #4     send(c, 3 bytes "two")  → ECONNREFUSED
        ✓ every expectation held

        """)
  }

  @Test("replay runs the embedded scenario again and finds the same")
  func replay() throws {
    let directory = try folder()
    let trace = directory.appendingPathComponent("a.pcapng").path
    try assertNetdrill(
      ["record", directory.appendingPathComponent("a.json").path, "-o", trace], exitCode: 0, output: nil)
    try assertNetdrill(
      ["replay", "--color", "never", trace], exitCode: 0,
      output: """
        expected <tmp>/a.pcapng
          actual replay of <tmp>/a.pcapng
        ✓ same: 5 steps, 2 packets

        """)
  }

  /// Records a.json and b.json of a fresh folder.
  private func recordBoth() throws -> (short: String, long: String) {
    let directory = try folder()
    let short = directory.appendingPathComponent("a.pcapng").path
    let long = directory.appendingPathComponent("b.pcapng").path
    try assertNetdrill(
      ["record", directory.appendingPathComponent("a.json").path, "-o", short], exitCode: 0, output: nil)
    try assertNetdrill(
      ["record", directory.appendingPathComponent("b.json").path, "-o", long], exitCode: 0, output: nil)
    return (short, long)
  }

  @Test("diff of two recordings of one scenario: same, exit 0")
  func diffSame() throws {
    let directory = try folder()
    let first = directory.appendingPathComponent("1.pcapng").path
    let second = directory.appendingPathComponent("2.pcapng").path
    for trace in [first, second] {
      try assertNetdrill(
        ["record", directory.appendingPathComponent("a.json").path, "-o", trace], exitCode: 0, output: nil)
    }
    try assertNetdrill(
      ["diff", "--color", "never", first, second], exitCode: 0,
      output: "expected <tmp>/1.pcapng\n  actual <tmp>/2.pcapng\n✓ same: 5 steps, 2 packets\n")
  }

  /// Alignment: the extra step and its two packets are reported as extra, after the packet they follow,
  /// and nothing before them is reported as changed.
  @Test("diff aligns an extra step and its packets instead of shifting everything after them")
  func diffAlignment() throws {
    let (short, long) = try recordBoth()
    try assertNetdrill(
      ["diff", "--color", "never", short, long, "--ignore", "scenario"], exitCode: 1,
      output: """
        expected <tmp>/a.pcapng
          actual <tmp>/b.pcapng
        step #5 send(c)
          extra step
            expected: nothing
              actual: send(c, 5 bytes "three")
        flow UDP c → $closed on local/lo, packet 3 of the actual trace
            after: ICMP port-unreachable (3/3) 127.0.0.1 → 127.0.0.1 quoting UDP c → $closed len=3  (step 2: send(c, 3 bytes "one"))
          extra packet
            expected: nothing
              actual: UDP c → $closed len=5  (step 5: send(c, 5 bytes "three"))
        flow UDP c → $closed on local/lo, packet 4 of the actual trace
            after: ICMP port-unreachable (3/3) 127.0.0.1 → 127.0.0.1 quoting UDP c → $closed len=3  (step 2: send(c, 3 bytes "one"))
          extra packet
            expected: nothing
              actual: ICMP port-unreachable (3/3) 127.0.0.1 → 127.0.0.1 quoting UDP c → $closed len=5  (step 5: send(c, 5 bytes "three"))
        ✗ 3 differences: 1 in step outcomes, 2 in packets

        """)
  }

  @Test("--ignore scenario leaves the embedded scenario out; without it the source difference is the first one")
  func diffIgnoreScenario() throws {
    let (short, long) = try recordBoth()
    let compared = try assertNetdrill(["diff", "--color", "never", short, long], exitCode: 1, output: nil)
    #expect(
      masked(compared.standardOutput).hasSuffix(
        "✗ 4 differences: 1 in the embedded scenario, 1 in step outcomes, 2 in packets\n"))
    #expect(compared.standardOutput.contains("embedded scenario\n  scenario source\n"))
  }

  @Test("--compare turns an ignored field on: a trace against itself stays the same, an unknown field is exit 2")
  func diffCompare() throws {
    let (short, _) = try recordBoth()
    try assertNetdrill(
      ["diff", "--color", "never", short, short, "--compare", "ttl"], exitCode: 0,
      output: "expected <tmp>/a.pcapng\n  actual <tmp>/a.pcapng\n✓ same: 5 steps, 2 packets\n")
    try assertNetdrill(
      ["diff", short, short, "--compare", "colour"], exitCode: 2, output: "",
      error: nil)
  }

  @Test("--strict-order: two flows sent in the other order differ in packets only with the flag")
  func diffStrictOrder() throws {
    let directory = try temporaryDirectory()
    func scenario(_ first: String, _ second: String) -> String {
      """
      {"netdrill": 1, "name": "e2e-two-flows", "sockets": {"c": {"type": "udp"}, "d": {"type": "udp"}},
       "steps": [{"bind": "c", "address": "127.0.0.1:4001"}, {"bind": "d", "address": "127.0.0.1:4002"},
                 {"sendto": "\(first)", "to": "127.0.0.1:$closed", "data": "\(first)"},
                 {"sendto": "\(second)", "to": "127.0.0.1:$closed", "data": "\(second)"}]}
      """
    }
    var traces: [String] = []
    for (name, text) in [("cd", scenario("c", "d")), ("dc", scenario("d", "c"))] {
      let file = directory.appendingPathComponent("\(name).json").path
      try text.write(toFile: file, atomically: true, encoding: .utf8)
      traces.append(directory.appendingPathComponent("\(name).pcapng").path)
      try assertNetdrill(["record", file, "-o", traces.last!], exitCode: 0, output: nil)
    }
    let perFlow = try assertNetdrill(
      ["diff", "--color", "never", traces[0], traces[1], "--ignore", "scenario"], exitCode: 1, output: nil)
    #expect(perFlow.standardOutput.hasSuffix("✗ 2 differences: 2 in step outcomes, 0 in packets\n"))
    let strict = try assertNetdrill(
      ["diff", "--color", "never", "--strict-order", traces[0], traces[1], "--ignore", "scenario"], exitCode: 1,
      output: nil)
    #expect(strict.standardOutput.hasSuffix("✗ 6 differences: 2 in step outcomes, 4 in packets\n"))
    #expect(strict.standardOutput.contains("all packets, packet 1\n  missing packet\n"))
  }

  @Test("--timing compares when things happened: a trace against itself is the same; a bad duration is exit 2")
  func diffTiming() throws {
    let (short, long) = try recordBoth()
    try assertNetdrill(
      ["diff", "--color", "never", "--timing", "1ms", short, short], exitCode: 0,
      output: "expected <tmp>/a.pcapng\n  actual <tmp>/a.pcapng\n✓ same: 5 steps, 2 packets\n")
    // Two recordings never start at the same offset to the nanosecond.
    let strict = try assertNetdrill(
      ["diff", "--color", "never", "--timing", "1ns", short, long, "--ignore", "scenario"], exitCode: 1, output: nil)
    #expect(strict.standardOutput.contains("  timing\n    expected: +"))
    let loose = try assertNetdrill(
      ["diff", "--color", "never", short, long, "--ignore", "scenario"], exitCode: 1, output: nil)
    #expect(!loose.standardOutput.contains("timing"))
    let bad = try assertNetdrill(["diff", "--timing", "soon", short, short], exitCode: 2, output: "", error: nil)
    #expect(bad.standardError.contains("--timing soon: expected a duration such as 5ms"))
  }

  @Test("check --filter runs only the scenarios it selects; one that selects none is exit 2")
  func checkFilter() throws {
    let directory = try folder()
    let traces = try temporaryDirectory().path
    try assertNetdrill(["check", "--update", directory.path, "--traces", traces], exitCode: 0, output: nil)
    try assertNetdrill(
      ["check", "--color", "never", directory.path, "--traces", traces, "--filter", "b*"], exitCode: 0,
      output: """
        ✓ <tmp>/b.json <time>
        ✓ 1 scenarios: 1 passed, 0 recorded, 0 skipped, 0 failed, 0 errors in <time>

        """)
    try assertNetdrill(
      ["check", "--color", "never", directory.path, "--traces", traces, "--filter", "zzz"], exitCode: 2, output: "",
      error: "netdrill: --filter zzz selects none of the 2 scenarios in <tmp>\n")
  }

  @Test("schema prints exactly the parser's schema")
  func schema() throws {
    try assertNetdrill(["schema"], exitCode: 0, output: ScenarioSchema.json + "\n", masks: [])
  }
}
