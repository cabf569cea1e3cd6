import Foundation
import NetDrillTestSupport
import Testing

/// A recorded responder for real clients whose requests carry fresh values
/// the answer must echo (a DNS query ID, an NTP client's transmit
/// timestamp): `echo` in a sent payload, written by `import` where the
/// protocol needs it, checked with the real `dig` and `sntp` inside the
/// private network.
@Suite("Recorded responder for real clients: echo of fresh values", .serialized)
struct FreshValueResponderTests {
  static let captures = TestPaths.packageRoot.appendingPathComponent("Tests/NetDrillTraceTests/Fixtures/captures")
  /// The commands of make-captures.sh, against the captured server addresses.
  static let dig = "dig +tries=1 +time=2 @10.1.0.2 www.example.test A"
  static let sntp = "sntp -t 2 10.1.0.2"

  static func missing(_ program: String, package: String) -> String? {
    Command.find(program) == nil
      ? "\(program) is not installed (.ci/install-deps, or apt-get install -y \(package))" : nil
  }

  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-echo-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// A client sends `abcdef`; the server answers `xxxZZZ` with `echo` copying received bytes into it.
  static func loopbackScenario(echo: String, expected: String) -> String {
    """
    {"netdrill": 1, "name": "echo",
     "sockets": {"server": {"type": "udp"}, "client": {"type": "udp"}},
     "steps": [
       {"bind": "server", "address": "127.0.0.1:0"},
       {"sendto": "client", "to": "server", "data": "abcdef"},
       {"recvfrom": "server", "remember": "peer", "expect": {"data": "abcdef"}},
       {"sendto": "server", "to": "peer", "data": {"text": "xxxZZZ", "echo": \(echo)}},
       {"recvfrom": "client", "expect": {"data": "\(expected)"}}
     ]}
    """
  }

  @Test(
    "run: echo copies the received bytes into the answer; a wrong range fails the expectation; past the datagram fails the step",
    .privileged)
  func echoOnLoopback() throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    func run(_ text: String) throws -> CommandResult {
      let path = folder.appendingPathComponent("echo-\(UUID().uuidString).json").path
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      return try Command.netdrill(["run", path, "--color", "never"])
    }
    let clean = try run(Self.loopbackScenario(echo: #"[{"from": 2, "to": 1, "length": 2}]"#, expected: "xcdZZZ"))
    #expect(clean.status == 0, "\(clean.standardOutput)\n\(clean.standardError)")
    let wrong = try run(Self.loopbackScenario(echo: #"[{"from": 3, "to": 1, "length": 2}]"#, expected: "xcdZZZ"))
    #expect(wrong.status == 1, "\(wrong.standardOutput)")
    #expect(wrong.standardOutput.contains("expected data: 6 bytes \"xcdZZZ\""), "\(wrong.standardOutput)")
    let past = try run(Self.loopbackScenario(echo: #"[{"from": 5, "to": 0, "length": 2}]"#, expected: "fxxZZZ"))
    #expect(past.status == 1, "\(past.standardOutput)")
    #expect(
      past.standardOutput.contains("expected echo: a received datagram of at least 7 bytes"), "\(past.standardOutput)")
    #expect(past.standardOutput.contains("actual echo: 6 bytes"), "\(past.standardOutput)")
    let outside = try run(Self.loopbackScenario(echo: #"[{"from": 0, "to": 5, "length": 2}]"#, expected: "x"))
    #expect(outside.status == 2)
    #expect(outside.standardError.contains("$.steps[3].data.echo[0]"), "\(outside.standardError)")
  }

  @Test("import writes echo for the DNS ID and the NTP origin timestamp, and holds the fresh request to its length")
  func importWritesEcho() throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    for (capture, echo, length) in [
      ("dns-ipv4-ethernet.pcap", #""echo": [{ "from": 0, "to": 0, "length": 2 }]"#, 57),
      ("ntp-ipv4-sll.pcap", #""echo": [{ "from": 40, "to": 24, "length": 8 }]"#, 48),
    ] {
      let scenario = folder.appendingPathComponent("\(capture).json").path
      let imported = try Command.netdrill(
        [
          "import", Self.captures.appendingPathComponent(capture).path, "-o", scenario, "--respond", "--program",
          "true",
        ])
      #expect(imported.status == 0, "\(imported.standardError)")
      let text = try String(contentsOfFile: scenario, encoding: .utf8)
      #expect(text.contains(echo), "\(text)")
      #expect(text.contains(#""expect": { "returns": \#(length) } }"#), "\(text)")
    }
    // A protocol that needs no echo gets none (HTTP over TCP port 80).
    let http = folder.appendingPathComponent("http.json").path
    let imported = try Command.netdrill(
      ["import", Self.captures.appendingPathComponent("http-ipv4-ethernet.pcapng").path, "-o", http, "--respond"])
    #expect(imported.status == 0)
    #expect(!(try String(contentsOfFile: http, encoding: .utf8)).contains("\"echo\""))
  }

  @Test(
    "replay --respond: real dig gets its recorded answer and exits 0; without the ID echoed it fails",
    .privileged, .requires(missing("dig", package: "bind9-dnsutils")))
  func digGetsRecordedAnswer() throws {
    try checkResponder(
      capture: "dns-ipv4-ethernet.pcap", program: Self.dig, answer: "www.example.test.\t0\tIN\tA\t10.1.0.2",
      echo: #""from": 0, "to": 0"#, wrongEcho: #""from": 2, "to": 0"#)
  }

  @Test(
    "replay --respond: real sntp accepts the recorded reply and exits 0; with the wrong origin echoed it fails",
    .privileged, .requires(missing("sntp", package: "sntp")))
  func sntpGetsRecordedAnswer() throws {
    // sntp prints the offset from the recorded server time: the reply was accepted.
    try checkResponder(
      capture: "ntp-ipv4-sll.pcap", program: Self.sntp, answer: " 10.1.0.2 ", echo: #""from": 40, "to": 24"#,
      wrongEcho: #""from": 32, "to": 24"#)
  }

  /// `replay --respond --program` is clean; the imported scenario's run shows
  /// the program's output with `answer`; with the echo range changed the
  /// client rejects the answer and the run fails.
  func checkResponder(capture: String, program: String, answer: String, echo: String, wrongEcho: String) throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = Self.captures.appendingPathComponent(capture).path
    let replay = try Command.netdrill(["replay", path, "--respond", "--program", program, "--color", "never"])
    #expect(replay.status == 0, "\(replay.standardOutput)\n\(replay.standardError)")
    #expect(replay.standardOutput.contains("✓ conversations equal: 1 compared"), "\(replay.standardOutput)")
    let scenario = folder.appendingPathComponent("respond.json").path
    let imported = try Command.netdrill(["import", path, "-o", scenario, "--respond", "--program", program])
    #expect(imported.status == 0, "\(imported.standardError)")
    let run = try Command.netdrill(["run", scenario, "--json"])
    #expect(run.status == 0, "\(run.standardOutput)\n\(run.standardError)")
    let json = try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8))
    let output = Self.programOutput(json)
    #expect(output.contains(answer), "\(output)")
    let text = try String(contentsOfFile: scenario, encoding: .utf8)
    #expect(text.contains(echo))
    try text.replacingOccurrences(of: echo, with: wrongEcho).write(toFile: scenario, atomically: true, encoding: .utf8)
    let wrong = try Command.netdrill(["run", scenario, "--color", "never"])
    #expect(wrong.status == 1, "\(wrong.standardOutput)\n\(wrong.standardError)")
    #expect(wrong.standardOutput.contains("expected returns: 0"), "\(wrong.standardOutput)")
  }

  /// Every `text` of the `stop under_test` outcomes in `run --json`.
  static func programOutput(_ value: Any) -> String {
    switch value {
    case let object as [String: Any]:
      if (object["call"] as? String)?.hasPrefix("stop under_test") == true,
        let data = object["data"] as? [String: Any], let text = data["text"] as? String
      {
        return text
      }
      return object.values.map(programOutput).joined()
    case let array as [Any]: return array.map(programOutput).joined()
    default: return ""
    }
  }
}
