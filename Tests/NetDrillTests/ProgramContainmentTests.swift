import Foundation
import Glibc
import NetDrillTestSupport
import Testing

/// However netdrill ends, no process a program under test started survives it.
@Suite("Programs under test are contained", .privileged)
struct ProgramContainmentTests {
  /// A scenario whose program forks a `sleep` carrying `marker`, then waits long enough to be interrupted.
  private func scenario(marker: String) throws -> String {
    try temporaryScenario(
      """
      {
        "netdrill": 1,
        "name": "forking-program",
        "programs": {
          "forker": { "command": ["sh", "-c", "sleep \(marker) & echo ready; wait"], "ready": { "output": "ready" } }
        },
        "steps": [ { "wait": "60s" } ]
      }
      """, name: "forking")
  }

  @Test(
    "ending netdrill with SIGINT, SIGTERM or SIGKILL (10 times each, run and record) leaves no process of the program",
    arguments: [SIGINT, SIGTERM, SIGKILL])
  func interrupted(signal: Int32) throws {
    for attempt in 0..<10 {
      let marker = MarkedProcesses.make()
      let file = try scenario(marker: marker)
      let trace = temporaryTrace("contained")
      defer { try? FileManager.default.removeItem(atPath: trace) }
      let arguments = attempt % 2 == 0 ? ["run", file] : ["record", file, "-o", trace]
      let process = try Command.startNetdrill(arguments)
      let started = MarkedProcesses.appear(marker, within: .seconds(20))
      #expect(started, "attempt \(attempt): the program's child never started")
      process.signal(signal)
      _ = process.finish(timeout: .seconds(20))
      #expect(
        MarkedProcesses.gone(marker, within: .seconds(3)),
        "attempt \(attempt) (\(arguments[0])): \(MarkedProcesses.alive(marker)) survived netdrill's end by signal \(signal)"
      )
      MarkedProcesses.killAll(marker)  // leave the machine clean even on failure
    }
  }

  @Test("a normal end leaves no process of the program either")
  func normalEnd() throws {
    let marker = MarkedProcesses.make()
    let file = try temporaryScenario(
      """
      {
        "netdrill": 1,
        "name": "forking-program-normal-end",
        "programs": {
          "forker": { "command": ["sh", "-c", "setsid sleep \(marker) & sleep \(marker) & echo ready; wait"],
                      "ready": { "output": "ready" } }
        },
        "steps": [ { "wait": "300ms" } ]
      }
      """, name: "forking-normal")
    let result = try Command.netdrill(["run", "--color", "never", file])
    #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
    #expect(MarkedProcesses.gone(marker, within: .seconds(3)), "\(MarkedProcesses.alive(marker)) survived the run")
    MarkedProcesses.killAll(marker)
  }
}
