import Foundation
import NetDrillEngine
import NetDrillTestSupport
import NetDrillTrace
import Testing

@Suite("Terminal-safe text")
struct TerminalTextTests {
  @Test(
    "control characters, C1 controls and bidi controls are written out; printable text is unchanged",
    arguments: [
      ("clear\u{1B}[2J", #"clear\x1b[2J"#), ("a\nb\tc\rd\0", #"a\nb\tc\rd\0"#), ("del\u{7F}", #"del\x7f"#),
      ("csi\u{9B}31m", #"csi\u{9b}31m"#), ("rlo\u{202E}olleh", #"rlo\u{202e}olleh"#),
      ("isolate\u{2066}x\u{2069}", #"isolate\u{2066}x\u{2069}"#), ("sep\u{2028}", #"sep\u{2028}"#),
      ("plain → ✓ \\ \"é\"", "plain → ✓ \\ \"é\""),
    ])
  func escape(raw: String, shown: String) {
    #expect(TerminalText.escape(raw) == shown)
    #expect(TerminalText.escape(shown) == shown, "escaping twice changes nothing")
  }

  @Test("payloads: text when printable (with \\n, \\t, \\r, \\\\ and \\\" written out), hex otherwise; cut with …")
  func payload() {
    #expect(TerminalText.payload(Array("hello".utf8)) == #"5 bytes "hello""#)
    #expect(TerminalText.payload(Array("a\nb\t\\\"".utf8)) == #"6 bytes "a\nb\t\\\"""#)
    #expect(TerminalText.payload([0x1B, 0x5B, 0x32, 0x4A]) == "4 bytes 1b5b324a")
    #expect(TerminalText.payload(Array("é".utf8)) == "2 bytes c3a9")
    #expect(TerminalText.payload(Array("abcdef".utf8), textLimit: 3) == #"6 bytes "abc…""#)
    #expect(TerminalText.payload([0, 1, 2, 3], hexLimit: 2) == "4 bytes 0001…")
    // Two payloads that differ never print alike (a backslash-n is not a newline).
    #expect(TerminalText.payload(Array("\\n".utf8)) != TerminalText.payload(Array("\n".utf8)))
    #expect(OutcomeBytes(Array("x\ny".utf8)).description == #"3 bytes "x\ny""#)
    #expect(OutcomeBytes(Array("x\ny".utf8)).bytes == Array("x\ny".utf8))
  }
}

@Suite("Terminal-safe output of the built binary", .privileged)
struct TerminalOutputTests {
  /// A scenario whose name, description, payload, note and program output carry terminal controls.
  static let hostile = #"""
    {
      "netdrill": 1,
      "name": "evil\u001b[2Jname\u202e",
      "description": "fake\nline \u001b]0;title\u0007",
      "programs": { "talker": { "command": ["printf", "out\\033[2J\\nline2"], "ready": { "output": "out" } } },
      "sockets": { "a": { "type": "udp" }, "b": { "type": "udp" } },
      "steps": [
        { "bind": "b", "address": "127.0.0.1:0" },
        { "sendto": "a", "to": "b", "data": "row1\nrow2\\", "note": "note\u001b[1A" },
        { "recv": "b", "expect": { "data": "row1\nrow2\\" } }
      ]
    }
    """#

  private func expectSafe(_ output: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!output.contains("\u{1B}"), "\(what) printed a raw ESC", sourceLocation: sourceLocation)
    #expect(!output.contains("\u{202E}") && !output.contains("\u{7}"), "\(what)", sourceLocation: sourceLocation)
    #expect(output.contains(#"evil\x1b[2Jname\u{202e}"#), "\(what): \(output)", sourceLocation: sourceLocation)
  }

  @Test("run, show, check and diff print the scenario's name, payloads, notes and program output escaped")
  func escapedEverywhere() throws {
    let file = try temporaryScenario(Self.hostile, name: "hostile")

    let run = try Command.netdrill(["run", "--color", "never", file])
    #expect(run.status == 0, "\(run.standardOutput)\(run.standardError)")
    expectSafe(run.standardOutput, "run")
    #expect(run.standardOutput.contains(#"  fake\nline \x1b]0;title\x07"#))
    #expect(run.standardOutput.contains(#"sendto(a, 10 bytes "row1\nrow2\\", 127.0.0.1:"#), "\(run.standardOutput)")
    #expect(run.standardOutput.contains(#"note\x1b[1A"#))
    #expect(
      run.standardOutput.contains(#"13 bytes 6f75741b5b324a0a6c696e6532"#), "program output: \(run.standardOutput)")

    let trace = temporaryTrace("hostile")
    let record = try Command.netdrill(["record", file, "-o", trace])
    #expect(record.status == 0, "\(record.standardError)")
    let show = try Command.netdrill(["show", "--color", "never", trace])
    #expect(show.status == 0)
    expectSafe(show.standardOutput, "show")
    #expect(show.standardOutput.contains(#"10 bytes "row1\nrow2\\""#))

    let folder = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("check-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    // check refuses a golden folder that does not exist: give it an empty one.
    try FileManager.default.createDirectory(atPath: folder.path + "-traces", withIntermediateDirectories: true)
    try Self.hostile.replacingOccurrences(of: #""row1\nrow2\\" } }"#, with: #""other" } }"#)
      .write(to: folder.appendingPathComponent("hostile.json"), atomically: true, encoding: .utf8)
    let check = try Command.netdrill(["check", "--color", "never", folder.path, "--traces", folder.path + "-traces"])
    #expect(check.status != 0, "the expectation fails, so the report (with the name) is printed")
    expectSafe(check.standardOutput, "check")

    let changed = temporaryTrace("hostile-changed")
    try TraceMutation.rewrite(
      trace, to: changed,
      manifest: { manifest in
        for index in manifest.run.outcomes.indices where manifest.run.outcomes[index].data?.text == "row1\nrow2\\" {
          manifest.run.outcomes[index].data = OutcomeBytes(Array("row1\nrow3\u{1B}".utf8))
        }
      })
    let diff = try Command.netdrill(["diff", "--color", "never", trace, changed])
    #expect(diff.status == 1)
    #expect(!diff.standardOutput.contains("\u{1B}"))
    #expect(diff.standardOutput.contains(#"expected: 10 bytes "row1\nrow2\\""#), "\(diff.standardOutput)")
    #expect(diff.standardOutput.contains("  actual: 10 bytes 726f77310a726f77331b"), "\(diff.standardOutput)")
  }
}
