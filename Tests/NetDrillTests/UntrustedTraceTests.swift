import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillTestSupport
import Testing

/// A trace is untrusted input: replaying one must not run what its author put in it.
@Suite("Untrusted traces", .privileged)
struct UntrustedTraceTests {
  /// A recorded trace whose embedded scenario was edited to start `command`.
  private func traceWithProgram(_ command: [String], deferred: Bool = false) throws -> String {
    let recorded = try recordBundled("udp/connected-closed-port.json")
    let edited = temporaryTrace("with-program")
    try TraceMutation.rewrite(
      recorded.tracePath, to: edited,
      manifest: { manifest in
        var scenario = try! JSONSerialization.jsonObject(with: Data(manifest.scenarioSource.utf8)) as! [String: Any]
        scenario["programs"] = ["marker": deferred ? ["command": command, "deferred": true] : ["command": command]]
        if deferred, var steps = scenario["steps"] as? [Any] {
          steps.insert(["start": "marker"], at: 0)
          scenario["steps"] = steps
        }
        manifest.scenarioSource = String(
          decoding: try! JSONSerialization.data(withJSONObject: scenario, options: [.sortedKeys]), as: UTF8.self)
      })
    return edited
  }

  @Test("replay refuses (exit 2) a trace whose scenario starts a program, names the command, runs nothing")
  func refusesPrograms() throws {
    let marker = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-pwned-\(UUID().uuidString)")
      .path
    defer { try? FileManager.default.removeItem(atPath: marker) }
    let trace = try traceWithProgram(["sh", "-c", "id > \(marker)"])

    let refused = try Command.netdrill(["replay", "--color", "never", trace])
    #expect(refused.status == 2, "\(refused.standardOutput)\(refused.standardError)")
    #expect(refused.standardError.contains("marker (host local): sh -c 'id > \(marker)'"), "\(refused.standardError)")
    #expect(refused.standardError.contains("--allow-programs"))
    #expect(!FileManager.default.fileExists(atPath: marker), "nothing ran")
    #expect(throws: ReplayError.self) { try Replayer.replay(trace: trace) }
    #expect(!FileManager.default.fileExists(atPath: marker))

    let shown = try Command.netdrill(["show", "--color", "never", trace])
    #expect(shown.status == 0)
    #expect(shown.standardOutput.contains("a replay would run 1 program on this machine (only with --allow-programs):"))
    #expect(shown.standardOutput.contains("    marker (host local): sh -c 'id > \(marker)'"))
    #expect(!FileManager.default.fileExists(atPath: marker), "show runs nothing")

    let allowed = try Command.netdrill(["replay", "--color", "never", "--allow-programs", trace])
    #expect(allowed.status != 2, "\(allowed.standardError)")
    #expect(FileManager.default.fileExists(atPath: marker), "--allow-programs runs it")
  }

  @Test("a deferred program (started by a step) is listed and refused the same way")
  func refusesDeferredPrograms() throws {
    let marker = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-pwned-\(UUID().uuidString)")
      .path
    defer { try? FileManager.default.removeItem(atPath: marker) }
    let trace = try traceWithProgram(["sh", "-c", "id > \(marker)"], deferred: true)
    let refused = try Command.netdrill(["replay", "--color", "never", trace])
    #expect(refused.status == 2, "\(refused.standardOutput)\(refused.standardError)")
    #expect(refused.standardError.contains("marker (host local): sh -c 'id > \(marker)'"), "\(refused.standardError)")
    #expect(!FileManager.default.fileExists(atPath: marker), "nothing ran")
    let shown = try Command.netdrill(["show", "--color", "never", trace])
    #expect(shown.standardOutput.contains("a replay would run 1 program on this machine (only with --allow-programs):"))
    let allowed = try Command.netdrill(["replay", "--color", "never", "--allow-programs", trace])
    #expect(allowed.status != 2, "\(allowed.standardError)")
    #expect(FileManager.default.fileExists(atPath: marker), "--allow-programs runs it, at its start step")
  }

  @Test("the refusal escapes the command for the terminal")
  func refusalIsTerminalSafe() throws {
    let trace = try traceWithProgram(["sh", "-c", "true \u{1B}[2J\u{1B}[1A\r\u{202E}"])
    let refused = try Command.netdrill(["replay", trace])
    #expect(refused.status == 2)
    #expect(refused.standardError.contains(#"sh -c 'true \x1b[2J\x1b[1A\r\u{202e}'"#), "\(refused.standardError)")
    #expect(!refused.standardError.contains("\u{1B}") && !refused.standardError.contains("\r"))
  }

  @Test("replay ignores the network mode in the manifest: a trace recorded with --host-network replays privately")
  func neverHostNetwork() throws {
    let recorded = try recordBundled("udp/connected-closed-port.json")
    let edited = temporaryTrace("host-network")
    try TraceMutation.rewrite(recorded.tracePath, to: edited, manifest: { $0.run.environment.network = "host" })
    let result = try Replayer.replay(trace: edited)
    #expect(result.record.run.environment.network == "private")
  }
}
