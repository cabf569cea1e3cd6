import Foundation
import Glibc
import Testing

/// However netdrill ends, no process a program under test started survives it.
@Suite("Programs under test are contained", .enabled(if: Privileges.mayRun, "needs root for private networks"))
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
    guard Privileges.canCreateNamespaces() else { return }
    for attempt in 0..<10 {
      let marker = MarkedProcesses.make()
      let file = try scenario(marker: marker)
      let trace = temporaryTrace("contained")
      defer { try? FileManager.default.removeItem(atPath: trace) }
      let arguments = attempt % 2 == 0 ? ["run", file] : ["record", file, "-o", trace]
      let process = Process()
      process.executableURL = TestPaths.binary
      process.arguments = arguments
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      let started = MarkedProcesses.appear(marker, within: .seconds(20))
      #expect(started, "attempt \(attempt): the program's child never started")
      kill(process.processIdentifier, signal)
      process.waitUntilExit()
      #expect(
        MarkedProcesses.gone(marker, within: .seconds(3)),
        "attempt \(attempt) (\(arguments[0])): \(MarkedProcesses.alive(marker)) survived netdrill's end by signal \(signal)"
      )
      for pid in MarkedProcesses.alive(marker) { kill(pid, SIGKILL) }  // leave the machine clean even on failure
    }
  }

  @Test("a normal end leaves no process of the program either")
  func normalEnd() throws {
    guard Privileges.canCreateNamespaces() else { return }
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
    for pid in MarkedProcesses.alive(marker) { kill(pid, SIGKILL) }
  }
}

/// Processes this test started, found by a unique argument (never host-wide counts).
enum MarkedProcesses {
  /// A marker no other process carries: `sleep` takes it as a number of seconds (`1001.0123456`).
  static func make() -> String { "1001.\(UInt32.random(in: 1_000_000...9_999_999))" }

  /// Pids whose argv contains `marker` as a whole argument.
  static func alive(_ marker: String) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> pid_t? in
      guard let pid = pid_t(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else {
        return nil
      }
      return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == marker } ? pid : nil
    }
  }

  static func appear(_ marker: String, within bound: Duration) -> Bool {
    poll(within: bound) { !alive(marker).isEmpty }
  }

  static func gone(_ marker: String, within bound: Duration) -> Bool {
    poll(within: bound) { alive(marker).isEmpty }
  }

  private static func poll(within bound: Duration, until condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + bound
    while !condition() {
      if ContinuousClock.now >= deadline { return false }
      Thread.sleep(forTimeInterval: 0.02)
    }
    return true
  }
}
