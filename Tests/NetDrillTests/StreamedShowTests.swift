import Foundation
import NetDrillCommands
import NetDrillEngine
import NetDrillReplay
import NetDrillTestSupport
import Testing

/// `show` of netdrill's own traces streams (steps merged with packets as they
/// are read): the same bytes as the whole-document timeline, in memory that
/// does not grow with the packets.
@Suite("Streamed show of netdrill traces")
struct StreamedShowTests {
  static let root = TestPaths.packageRoot

  static func goldens() -> [String] { TraceEngineTests.goldens() }

  /// What `show` printed when it loaded the whole trace: the whole-document timeline.
  static func wholeDocumentOutput(_ path: String, json: Bool, style: TextStyle) throws -> String {
    let document = try TraceDocument.load(path: path)
    let timeline = TraceTimeline(document: document)
    guard json else { return timeline.text(style: style) + "\n" }
    return try JSONOutput.encode(
      ShowDocument(manifest: document.manifest, timeline: timeline.entries, replayPrograms: timeline.replayPrograms))
      + "\n"
  }

  static func expectSameAsWholeDocument(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    for (json, style) in [
      (false, TextStyle(enabled: false)), (false, TextStyle(enabled: true)), (true, .init(enabled: false)),
    ] {
      let collected = CollectingConsole()
      let status = try ShowCommand(tracePath: path, format: json ? .json : .text(style)).run(console: collected.console)
      #expect(status == .success, sourceLocation: sourceLocation)
      let whole = try wholeDocumentOutput(path, json: json, style: style)
      #expect(
        collected.standardOutput == whole, "\(path) json=\(json) color=\(style.enabled)", sourceLocation: sourceLocation
      )
      #expect(collected.standardError.isEmpty, sourceLocation: sourceLocation)
    }
  }

  /// A netdrill trace of `packets` generated packets: `.ci/gen-pcap.py`'s capture
  /// with the blocks and manifest of the golden `golden` grafted on (`.ci/graft-manifest.py`).
  static func bigTrace(packets: Int, golden: String = "traces/udp/connected-closed-port.pcapng") throws -> String {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-big-\(UUID().uuidString)").path
    let capture = try Command.run(
      "python3", [root.appendingPathComponent(".ci/gen-pcap.py").path, base + ".pcap", String(packets), "2000", "1"])
    #expect(capture.status == 0, "\(capture.standardError)")
    defer { unlink(base + ".pcap") }
    let graft = try Command.run(
      "python3",
      [
        root.appendingPathComponent(".ci/graft-manifest.py").path, root.appendingPathComponent(golden).path,
        base + ".pcap", base + ".pcapng",
      ])
    #expect(graft.status == 0, "\(graft.standardError)")
    return base + ".pcapng"
  }

  /// Peak resident memory (KiB) of `netdrill ARGUMENTS`, output discarded.
  static func peakKiB(_ arguments: [String]) throws -> Int {
    let report = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-rss-\(UUID().uuidString)").path
    defer { unlink(report) }
    let quoted = ([TestPaths.binary.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
    let result = try Command.run(
      "/bin/sh", ["-c", "/usr/bin/time -f %M -o '\(report)' \(quoted) > /dev/null"], timeout: 600)
    // diff exits 1 when the traces differ.
    #expect(result.status == 0 || (arguments[0] == "diff" && result.status == 1), "\(result.standardError)")
    let text = try String(contentsOfFile: report, encoding: .utf8)
    return Int(text.split(separator: "\n").last { Int($0) != nil } ?? "") ?? -1
  }

  @Test("show's text and JSON of every golden are the whole-document timeline's, byte for byte", arguments: goldens())
  func goldenSameAsWholeDocument(golden: String) throws {
    try Self.expectSameAsWholeDocument(golden)
  }

  @Test(
    "thousands of packets among the steps, expectations re-checked and failing: same bytes as the whole document",
    .requires(Tools.pythonModuleMissing("struct", package: "python3")))
  func bigTraceSameAsWholeDocument() throws {
    let trace = try Self.bigTrace(packets: 5000)
    defer { unlink(trace) }
    try Self.expectSameAsWholeDocument(trace)
    // The generated packets sit among the run's steps, and are not what the scenario expects.
    let shown = try Command.netdrill(["show", "--color", "never", trace])
    #expect(shown.status == 0)
    let lines = shown.standardOutput.split(separator: "\n")
    let firstStep = try #require(lines.firstIndex { $0.contains("#3     poll") })
    #expect(lines[..<firstStep].contains { $0.contains("UDP 10.0.0.1:port#") })
    #expect(lines[firstStep...].contains { $0.contains("UDP 10.0.0.1:port#") })
    #expect(lines.last?.hasPrefix("✗") == true, "\(lines.suffix(3))")
  }

  @Test(
    "show, show --json and diff of netdrill traces: peak memory flat from 10,000 to 100,000 packets, under 100 MiB",
    .requires(Tools.gnuTimeMissing), .requires(Tools.pythonModuleMissing("struct", package: "python3")))
  func memoryDoesNotGrowWithPackets() throws {
    let small = try Self.bigTrace(packets: 10_000)
    let large = try Self.bigTrace(packets: 100_000)
    defer {
      unlink(small)
      unlink(large)
    }
    for command in [["show", "--color", "never"], ["show", "--json"]] {
      let few = try Self.peakKiB(command + [small])
      let many = try Self.peakKiB(command + [large])
      // Loading the packets cost 1.8–3 KB each: 90,000 more would be 160 MiB or more.
      #expect(many - few < 16 * 1024, "\(command): \(few) KiB for 10k packets, \(many) KiB for 100k")
      #expect(many < 100 * 1024, "\(command): \(many) KiB")
    }
    let few = try Self.peakKiB(["diff", small, small])
    let many = try Self.peakKiB(["diff", large, large])
    #expect(many - few < 16 * 1024, "diff: \(few) KiB for 10k packets, \(many) KiB for 100k")
    #expect(many < 100 * 1024, "diff: \(many) KiB")
  }

  /// What `body` threw, described; nil when it did not throw.
  static func error(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch {
      return String(describing: error)
    }
  }

  @Test("scan reads a trace whole without its packets and refuses a broken one as load does")
  func scanRefusesAsLoadDoes() throws {
    let golden = try #require(Self.goldens().first)
    let scanned = try TraceDocument.scan(path: golden)
    let loaded = try TraceDocument.load(path: golden)
    #expect(scanned.packets.isEmpty)
    #expect(scanned.manifest.run.outcomes.count == loaded.manifest.run.outcomes.count)
    #expect(scanned.manifest.scenarioSource == loaded.manifest.scenarioSource)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: golden))
    let foreign = Self.root.appendingPathComponent("Tests/NetDrillTraceTests/Fixtures/lo-ethernet.pcapng").path
    let cut = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-cut-\(UUID().uuidString).pcapng")
    try bytes.prefix(bytes.count / 2).write(to: cut)
    defer { try? FileManager.default.removeItem(at: cut) }
    for path in [foreign, cut.path] {
      let loadError = Self.error { _ = try TraceDocument.load(path: path) }
      let scanError = Self.error { _ = try TraceDocument.scan(path: path) }
      #expect(loadError != nil)
      #expect(scanError == loadError, "\(path)")
    }
  }
}
