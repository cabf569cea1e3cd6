import Foundation
import NetDrillTestSupport
import Testing

/// `netdrill import` and `netdrill replay` of captures netdrill did not write:
/// every fixture re-created on real sockets, programs under test found out
/// by their answers, bad captures refused with their byte offset.
@Suite("Import and replay of foreign captures", .serialized)
struct CaptureImportTests {
  static let fixtures = TestPaths.packageRoot.appendingPathComponent("Tests/NetDrillTraceTests/Fixtures")

  /// Every pcap/pcapng fixture, in both folders (the real captures may not be merged yet).
  static func captures() -> [String] {
    var paths: [String] = []
    for folder in [fixtures, fixtures.appendingPathComponent("captures")] {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
      paths += names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
        .map { folder.appendingPathComponent($0).path }
    }
    return paths
  }

  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-import-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  @Test("import then run of every capture fixture exits 0", .privileged, arguments: captures())
  func importThenRun(capture: String) throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let scenario = folder.appendingPathComponent("imported.json").path
    let imported = try Command.netdrill(["import", capture, "-o", scenario])
    #expect(imported.status == 0, "\(imported.standardError)")
    #expect(imported.standardOutput.contains("wrote \(scenario)"))
    let text = try String(contentsOfFile: scenario, encoding: .utf8)
    #expect(text.contains("Imported by netdrill import from"))
    #expect(!text.contains("\"programs\""), "a capture never puts a program into a scenario")
    let run = try Command.netdrill(["run", scenario, "--color", "never"])
    #expect(run.status == 0, "\(run.standardOutput)\n\(run.standardError)")
  }

  @Test("replay of every capture fixture exits 0 with the conversations equal", .privileged, arguments: captures())
  func replayEqual(capture: String) throws {
    let replay = try Command.netdrill(["replay", capture, "--color", "never"])
    #expect(replay.status == 0, "\(replay.standardOutput)\n\(replay.standardError)")
    #expect(replay.standardOutput.contains("✓ conversations equal"))
    #expect(!replay.standardOutput.contains("✗"))
  }

  @Test("unsupported traffic is counted in the output and the description, not dropped silently")
  func unsupportedCounted() throws {
    let capture = Self.fixtures.appendingPathComponent("captures/dns-ipv4-ethernet.pcap").path
    try #require(FileManager.default.fileExists(atPath: capture), "the real-capture fixtures are committed")
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let scenario = folder.appendingPathComponent("dns.json").path
    let imported = try Command.netdrill(["import", capture, "-o", scenario])
    #expect(imported.status == 0)
    #expect(imported.standardOutput.contains("Not replayed: 4 packet(s) (ARP 2"))
    let text = try String(contentsOfFile: scenario, encoding: .utf8)
    #expect(text.contains("Not replayed: 4 packet(s) (ARP 2"))
    #expect(text.contains("\"ipv4\": \"10.1.0.0/24\""))
    #expect(text.contains("\"address\": \"10.1.0.2:53\""))
  }

  @Test("a truncated or corrupt capture: import and replay exit 2 with the byte offset", .privileged)
  func corruptCapture() throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let original = try Data(contentsOf: Self.fixtures.appendingPathComponent("lo-ethernet-usec.pcap"))
    let truncated = folder.appendingPathComponent("truncated.pcap")
    try original.prefix(original.count - 7).write(to: truncated)
    var corrupt = original
    corrupt[0] = 0x00  // no longer a pcap magic number
    let badMagic = folder.appendingPathComponent("corrupt.pcap")
    try corrupt.write(to: badMagic)
    for path in [truncated.path, badMagic.path] {
      let scenario = folder.appendingPathComponent("out.json").path
      let imported = try Command.netdrill(["import", path, "-o", scenario])
      #expect(imported.status == 2)
      #expect(imported.standardError.contains(": byte "), "\(imported.standardError)")
      #expect(!FileManager.default.fileExists(atPath: scenario), "no half-written scenario")
      let replay = try Command.netdrill(["replay", path])
      #expect(replay.status == 2)
      #expect(replay.standardError.contains(": byte "), "\(replay.standardError)")
    }
  }

  /// Records the server's own conversation (a netdrill run on loopback with
  /// the server as the program), then replays it against the program.
  func recordServer(_ proto: String, port: Int, folder: URL) throws -> String {
    let script = Self.fixtures.appendingPathComponent("programs/upper-server.py").path
    let client =
      proto == "udp"
      ? """
      "sockets": { "c": { "type": "udp" } },
      "steps": [
        { "sendto": "c", "to": "127.0.0.1:\(port)", "data": "first\\n" },
        { "recvfrom": "c", "expect": { "data": "FIRST\\n" } },
        { "sendto": "c", "to": "127.0.0.1:\(port)", "data": "second\\n" },
        { "recvfrom": "c", "expect": { "data": "SECOND\\n" } }
      ]
      """
      : """
      "sockets": { "c": { "type": "tcp" } },
      "steps": [
        { "connect": "c", "to": "127.0.0.1:\(port)" },
        { "send": "c", "data": "first\\n" },
        { "recv": "c", "size": 6, "flags": ["MSG_WAITALL"], "expect": { "data": "FIRST\\n" } },
        { "send": "c", "data": "second\\n" },
        { "recv": "c", "size": 7, "flags": ["MSG_WAITALL"], "expect": { "data": "SECOND\\n" } },
        { "shutdown": "c", "how": "write" },
        { "recv": "c", "expect": { "returns": 0 } }
      ]
      """
    let scenario = """
      { "netdrill": 1, "name": "upper-\(proto)",
        "programs": { "server": { "command": ["python3", "\(script)", "\(proto)", "\(port)"],
                                  "ready": { "\(proto)_port": \(port) }, "ready_timeout": "10s" } },
        \(client) }
      """
    let scenarioPath = folder.appendingPathComponent("upper-\(proto).json").path
    try scenario.write(toFile: scenarioPath, atomically: true, encoding: .utf8)
    let trace = folder.appendingPathComponent("upper-\(proto).pcapng").path
    let recorded = try Command.netdrill(["record", scenarioPath, "-o", trace])
    #expect(recorded.status == 0, "\(recorded.standardOutput)\n\(recorded.standardError)")
    return trace
  }

  @Test(
    "replay --program: a server replayed from its own capture is clean; a changed answer exits 1 naming flow and datagram",
    .privileged, arguments: ["udp", "tcp"])
  func programUnderTest(proto: String) throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let port = proto == "udp" ? 7007 : 7008
    let trace = try recordServer(proto, port: port, folder: folder)
    let script = Self.fixtures.appendingPathComponent("programs/upper-server.py").path
    let clean = try Command.netdrill(
      ["replay", trace, "--program", "exec python3 \(script) \(proto) \(port)", "--color", "never"])
    #expect(clean.status == 0, "\(clean.standardOutput)\n\(clean.standardError)")
    #expect(clean.standardOutput.contains("✓ conversations equal"))
    let changed = try Command.netdrill(
      ["replay", trace, "--program", "exec python3 \(script) \(proto) \(port) --mutate", "--color", "never"])
    #expect(changed.status == 1, "\(changed.standardOutput)\n\(changed.standardError)")
    if proto == "udp" {
      #expect(changed.standardOutput.contains("✗ #1 UDP local:#1 ↔ local:\(port)"))
      #expect(
        changed.standardOutput.contains(
          "datagram 4 (local:\(port) → local:#1): expected 7 bytes \"SECOND\\n\", got 7 bytes \"SECOND!\""))
    } else {
      #expect(changed.standardOutput.contains("✗ #1 TCP local:#1 ↔ local:\(port)"))
      #expect(changed.standardOutput.contains("stream local:\(port) → local:#1 differs at byte 12"))
    }
  }

  @Test(
    "replay --respond: a client under test gets its recorded answers and exits 0; a client expecting another answer fails the replay",
    .privileged, arguments: ["udp", "tcp"])
  func recordedResponder(proto: String) throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let port = proto == "udp" ? 7007 : 7008
    let trace = try recordServer(proto, port: port, folder: folder)
    let client = Self.fixtures.appendingPathComponent("programs/upper-client.py").path
    // The client's port is ephemeral, unlike the capture's: answers must go to where the request came from.
    let replayed = folder.appendingPathComponent("respond-\(proto).pcapng").path
    let clean = try Command.netdrill(
      [
        "replay", trace, "--respond", "--program", "exec python3 \(client) \(proto) \(port)", "-o", replayed,
        "--color", "never",
      ])
    #expect(clean.status == 0, "\(clean.standardOutput)\n\(clean.standardError)")
    #expect(clean.standardOutput.contains("✓ conversations equal"))
    // The client's own verdict is an outcome of the replay: its exit status and what it printed.
    let shown = try Command.netdrill(["show", replayed, "--color", "never"])
    let lines = shown.standardOutput.split(separator: "\n").map(String.init)
    let start = try #require(lines.firstIndex { $0.contains("start under_test on local:") })
    let firstReceive = try #require(lines.firstIndex { $0.contains(proto == "udp" ? "recvfrom(" : "accept(") })
    #expect(start < firstReceive, "started by a step, after the servers are bound: \(shown.standardOutput)")
    #expect(
      lines.contains {
        $0.contains("✓") && $0.contains("stop under_test  → 0  24 bytes \"all answers as expected\\n\"")
      },
      "\(shown.standardOutput)")
    let wrong = try Command.netdrill(
      [
        "replay", trace, "--respond", "--program", "exec python3 \(client) \(proto) \(port) --mutate", "--color",
        "never",
      ]
    )
    #expect(wrong.status == 1, "\(wrong.standardOutput)\n\(wrong.standardError)")
    #expect(wrong.standardOutput.contains("exited with status 1"))
    #expect(wrong.standardOutput.contains("expected returns: 0"))
  }

  @Test(
    "import --play servers: the client program starts after the servers are bound and is answered where it sent from",
    .privileged)
  func respondScenario() throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let capture = folder.appendingPathComponent("upper-udp.pcapng").path
    _ = try recordServer("udp", port: 7007, folder: folder)
    let scenarioPath = folder.appendingPathComponent("respond.json").path
    let imported = try Command.netdrill(
      ["import", capture, "-o", scenarioPath, "--play", "servers", "--program", "true"])
    #expect(imported.status == 0, "\(imported.standardError)")
    let text = try String(contentsOfFile: scenarioPath, encoding: .utf8)
    let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    let bind = try #require(lines.firstIndex { $0.hasPrefix(#"{ "bind": "udp_local_7007""#) })
    let start = try #require(lines.firstIndex { $0 == #"{ "start": "under_test" },"# })
    let receive = try #require(
      lines.firstIndex { $0.hasPrefix(#"{ "recvfrom": "udp_local_7007", "remember": "peer_127.0.0.1_"#) })
    #expect(bind < start && start < receive)
    #expect(text.contains(#""deferred": true"#))
    #expect(text.contains(#""to": "peer_127.0.0.1_"#))
    #expect(text.contains(#"{ "stop": "under_test", "timeout": "2s", "expect": { "returns": 0 } }"#))
  }

  @Test("--speed 1x keeps the recorded pacing and reports it", .privileged)
  func speed() throws {
    // lo-ethernet-usec.pcap spans 200 ms between its first and last conversation.
    let capture = Self.fixtures.appendingPathComponent("lo-ethernet-usec.pcap").path
    let paced = try Command.netdrill(["replay", capture, "--speed", "1x", "--color", "never"])
    #expect(paced.status == 0, "\(paced.standardOutput)\n\(paced.standardError)")
    let line = paced.standardOutput.split(separator: "\n").first { $0.hasPrefix("pacing:") }.map(String.init) ?? ""
    let replayed = line.split(separator: " ").dropFirst(4).first.flatMap { Double($0.dropLast(3)) } ?? 0
    #expect(replayed >= 190, "\(line)")
    let fast = try Command.netdrill(["replay", capture, "--color", "never"])
    let fastLine = fast.standardOutput.split(separator: "\n").first { $0.hasPrefix("pacing:") }.map(String.init) ?? ""
    let fastReplayed = fastLine.split(separator: " ").dropFirst(4).first.flatMap { Double($0.dropLast(3)) } ?? 999
    #expect(fastReplayed < 100, "\(fastLine)")
  }
}
