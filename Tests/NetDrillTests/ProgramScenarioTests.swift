import Foundation
import NetDrillTestSupport
import Testing

/// The bundled scenarios that run real programs written against popular APIs
/// (issue 13): Go's net.UDPConn matrix and a getty-style session
/// (`scenarios/go`, Go programs under `Tests/Programs`), and a WebSocket echo
/// server written with python3-websockets (`scenarios/tcp/websocket-echo.json`).
/// Programs are started by relative paths, so these run from the package root,
/// as `swift test` and README's commands do.
@Suite("Programs under test: Go's UDPConn matrix, a getty-style session, a WebSocket echo", .privileged, .serialized)
struct ProgramScenarioTests {
  /// Each filter of the suite and how many scenarios it selects.
  static let groups = [("go/", 11), ("tcp/websocket-echo", 1)]

  @Test(
    "the Go matrix, the getty-style session and the WebSocket echo pass check against their goldens 20 times in a row")
  func twentyRunsInARow() throws {
    // Both groups at once: the WebSocket echo's runs take as long as the Go group's, on their own.
    // --no-skip: a missing Go or Python is a failure here, not a quiet skip.
    let checks = try Self.groups.map { filter, _ in
      try Command.startNetdrill([
        "check", TestPaths.scenarios.path, "--traces", TestPaths.traces.path, "--filter", filter,
        "--repeat", "20", "--no-skip", "--color", "never",
      ])
    }
    for (check, (filter, count)) in zip(checks, Self.groups) {
      let result = check.finish(timeout: .seconds(900))
      #expect(result.status == 0, "\(filter): \(result.standardOutput)\(result.standardError)")
      let passed = result.standardOutput.split(separator: "\n").filter {
        $0.hasPrefix("✓ ") && $0.hasSuffix("passed 20 runs, each the same as the golden")
      }
      #expect(passed.count == count, "\(filter): \(result.standardOutput)")
    }
  }

  @Test("the getty-style session replays from its golden with --allow-programs, and is refused (exit 2) without")
  func gettySessionReplays() throws {
    let trace = TestPaths.golden("go/getty-session.pcapng")
    let refused = try Command.netdrill(["replay", "--color", "never", trace])
    #expect(refused.status == 2)
    #expect(refused.standardError.contains("Tests/Programs/go-run udpsession"), "\(refused.standardError)")
    let replayed = try Command.netdrill(["replay", "--color", "never", "--allow-programs", trace], timeout: 300)
    #expect(replayed.status == 0, "\(replayed.standardOutput)\(replayed.standardError)")
  }

  @Test(
    "data on a stop step checks the program's whole standard output: the right text passes, a wrong one fails (exit 1)")
  func stopChecksProgramOutput() throws {
    func scenario(expecting output: String) -> String {
      """
      {"netdrill": 1, "name": "program-output",
       "programs": {"greeter": {"command": ["sh", "-c", "echo hello; echo world"]}},
       "steps": [{"stop": "greeter", "timeout": "5s", "expect": {"returns": 0, "data": \(output)}}]}
      """
    }
    let right = try Command.netdrill([
      "run", "--color", "never", try temporaryScenario(scenario(expecting: #""hello\nworld\n""#)),
    ])
    #expect(right.status == 0, "\(right.standardOutput)")
    let wrong = try Command.netdrill([
      "run", "--color", "never", try temporaryScenario(scenario(expecting: #""hello\n""#)),
    ])
    #expect(wrong.status == 1, "\(wrong.standardOutput)")
    #expect(wrong.standardOutput.contains(#"expected data: 6 bytes "hello\n""#), "\(wrong.standardOutput)")
    #expect(wrong.standardOutput.contains(#"actual data: 12 bytes "hello\nworld\n""#), "\(wrong.standardOutput)")
  }
}
