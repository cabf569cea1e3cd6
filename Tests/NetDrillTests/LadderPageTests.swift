import Foundation
import NetDrillEngine
import NetDrillTestSupport
import NetDrillTrace
import Testing

/// `show --html` and `diff --html`: the page's data, its escaping of the
/// (untrusted) trace, and how it is written. The browser tests are below.
@Suite("Ladder pages")
struct LadderPageTests {
  static let golden = TestPaths.golden("udp/connected-closed-port.pcapng")

  @Test("show --html writes one packet event per packet, steps with ✓, the verdict, and prints nothing")
  func showWritesEvents() throws {
    let page = try temporaryDirectory().appendingPathComponent("ladder.html").path
    let result = try Command.netdrill(["show", Self.golden, "--html", page])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardOutput.isEmpty)
    let html = try String(contentsOfFile: page, encoding: .utf8)
    let blocks = LadderPageText.blocks(html)
    try #require(blocks.count == 1)
    #expect(blocks[0].packets.count == 6)
    #expect(blocks[0].packets.filter { $0.contains("\"e\":1") }.count == 3, "three ICMP errors")
    // Each error points back at the datagram it quotes: packets 0, 2 and 4.
    #expect(blocks[0].packets.compactMap { LadderPageText.number("q", in: $0) } == [0, 2, 4])
    #expect(blocks[0].lines.contains { $0.contains("\"m\":\"✓\"") && $0.contains("ECONNREFUSED") })
    #expect(blocks[0].lines.last?.contains("every expectation held") == true)
    #expect(html.components(separatedBy: "http://").count - 1 == 1, "no address but the SVG namespace")
    #expect(html.contains("default-src 'none'"), "the page may fetch nothing")
  }

  @Test(
    "foreign captures (no manifest): one arrow per packet between named endpoints, no steps",
    arguments: ["captures/dns-ipv4-ethernet.pcap", "captures/http-ipv6-sll2.pcap", "any-sll2.pcapng"])
  func foreignCapture(_ fixture: String) throws {
    let capture = TestPaths.packageRoot.appendingPathComponent("Tests/NetDrillTraceTests/Fixtures/\(fixture)").path
    let page = try temporaryDirectory().appendingPathComponent("foreign.html").path
    let result = try Command.netdrill(["show", capture, "--html", page])
    #expect(result.status == 0, "\(result.standardError)")
    let statistics = try Command.netdrill(["show", "--stats", "--json", capture])
    let totals = try JSONSerialization.jsonObject(with: Data(statistics.standardOutput.utf8)) as? [String: Any]
    let block = try #require(LadderPageText.blocks(try String(contentsOfFile: page, encoding: .utf8)).first)
    #expect(block.packets.count == totals?["packets"] as? Int)
    #expect(!block.lines.contains { $0.hasPrefix("{\"k\":\"s\"") })
    // Endpoints named as `show` names them: its first conversation's line is `+0.000000  #1  UDP A → B len=…`.
    let shown = try Command.netdrill(["show", capture]).standardOutput.split(separator: "\n")
    let first = try #require(shown.first { $0.contains("  #1  ") })
    let words = try #require(first.components(separatedBy: "  #1  ").last?.split(separator: " "))
    try #require(words.count > 3 && words[2] == "→", "\(first)")
    #expect(block.packets.contains { $0.contains("\"f\":\"\(words[1])\",\"to\":\"\(words[3])\"") })
  }

  @Test("a trace with markup in payload, names and interface cannot inject any into the page")
  func untrustedTraceIsEscaped() throws {
    let trace = try LadderPageText.hostileTrace()
    let page = try temporaryDirectory().appendingPathComponent("hostile.html").path
    let result = try Command.netdrill(["show", trace, "--html", page])
    #expect(result.status == 0, "\(result.standardError)")
    let html = try String(contentsOfFile: page, encoding: .utf8)
    // Only netdrill's own two script elements: the data block and the drawing code.
    #expect(html.components(separatedBy: "<script").count - 1 == 2)
    #expect(html.components(separatedBy: "</script").count - 1 == 2)
    for markup in ["<img", "<b id", "<i id", "<!--"] {
      #expect(!html.contains(markup), "\(markup) reached the page as markup")
    }
    // The hostile text is there, as escaped data.
    #expect(html.contains("\\u003c/script\\u003e\\u003cscript\\u003edocument.title='pwned'"), "the payload")
    #expect(html.contains("\\u003cscript\\u003edocument.title='pwned-name'"), "the scenario's name")
    #expect(LadderPageText.blocks(html).first?.packets.count == 6)
  }

  @Test("diff --html: a trace against itself marks nothing; a dropped and a changed packet are marked on their sides")
  func diffMarksDifferences() throws {
    let directory = try temporaryDirectory()
    let same = directory.appendingPathComponent("same.html").path
    let unchanged = try Command.netdrill(["diff", Self.golden, Self.golden, "--html", same])
    #expect(unchanged.status == 0, "\(unchanged.standardError)")
    let sameBlocks = LadderPageText.blocks(try String(contentsOfFile: same, encoding: .utf8))
    try #require(sameBlocks.count == 2)
    #expect(sameBlocks.allSatisfy { $0.marked.isEmpty && $0.packets.count == 6 })

    // The second datagram (packet 2, "three") dropped; the first one's TOS changed.
    let mutated = temporaryTrace("ladder-diff")
    try TraceMutation.rewrite(
      Self.golden, to: mutated,
      packet: { index, frame in
        if index == 2 { return nil }
        guard index == 0 else { return frame }
        var frame = frame
        frame[TraceMutation.ipOffset + 1] = 0x10
        TraceMutation.fixIPv4Checksum(&frame)
        return frame
      })
    let differing = directory.appendingPathComponent("differing.html").path
    let different = try Command.netdrill(["diff", Self.golden, mutated, "--html", differing])
    #expect(different.status == 1, "\(different.standardError)")
    #expect(different.standardOutput.contains("missing packet"))
    let blocks = LadderPageText.blocks(try String(contentsOfFile: differing, encoding: .utf8))
    try #require(blocks.count == 2)
    #expect(blocks[0].marked == [0, 2], "expected side: the changed and the missing datagram")
    #expect(blocks[1].marked == [0], "actual side: the changed datagram")
    #expect(blocks[1].packets.count == 5)
  }

  @Test("diff --html: a step whose outcome differs is marked on both sides")
  func diffMarksSteps() throws {
    let changed = temporaryTrace("ladder-step-diff")
    try TraceMutation.rewrite(
      Self.golden, to: changed,
      manifest: { manifest in
        if let index = manifest.run.outcomes.firstIndex(where: { $0.error == "ECONNREFUSED" }) {
          manifest.run.outcomes[index].error = "EAGAIN"
        }
      })
    let page = try temporaryDirectory().appendingPathComponent("steps.html").path
    let result = try Command.netdrill(["diff", Self.golden, changed, "--html", page])
    #expect(result.status == 1, "\(result.standardError)")
    let blocks = LadderPageText.blocks(try String(contentsOfFile: page, encoding: .utf8))
    try #require(blocks.count == 2)
    for block in blocks {
      let marked = block.lines.filter { $0.hasPrefix("{\"k\":\"s\"") && $0.contains("\"x\":1") }
      #expect(marked.count == 1 && marked[0].contains("#4  send(client"), "\(marked)")
      #expect(block.marked.isEmpty, "no packet differs")
    }
  }

  @Test("bad input: exit 2 naming the file, and the named page is left as it was, no temporary file behind")
  func atomicAndBadInput() throws {
    let directory = try temporaryDirectory()
    let page = directory.appendingPathComponent("page.html").path
    try "before".write(toFile: page, atomically: true, encoding: .utf8)
    let notATrace = directory.appendingPathComponent("not-a-trace.pcapng").path
    try "this is not a capture".write(toFile: notATrace, atomically: true, encoding: .utf8)
    let refused = try Command.netdrill(["show", notATrace, "--html", page])
    #expect(refused.status == 2)
    #expect(refused.standardError.contains("not-a-trace.pcapng"), "\(refused.standardError)")
    #expect(try String(contentsOfFile: page, encoding: .utf8) == "before")
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == [
        "not-a-trace.pcapng", "page.html",
      ])

    let nowhere = directory.appendingPathComponent("missing-folder/page.html").path
    let unwritable = try Command.netdrill(["show", Self.golden, "--html", nowhere])
    #expect(unwritable.status == 2)
    #expect(unwritable.standardError.contains("missing-folder/page.html"), "\(unwritable.standardError)")
  }
}

/// Headless Chromium loads the pages: the arrows it draws, and a screenshot.
@Suite("Ladder pages in Chromium", .requires(Tools.chromiumMissing))
struct LadderBrowserTests {
  @Test("the golden's page in Chromium: one arrow per packet, three ICMP errors tied back, steps, a screenshot")
  func rendersGolden() throws {
    let directory = try temporaryDirectory()
    let page = directory.appendingPathComponent("ladder.html").path
    let trace = LadderPageTests.golden
    #expect(try Command.netdrill(["show", trace, "--html", page]).status == 0)
    let statistics = try Command.netdrill(["show", "--stats", "--json", trace])
    let totals = try JSONSerialization.jsonObject(with: Data(statistics.standardOutput.utf8)) as? [String: Any]
    let packets = try #require(totals?["packets"] as? Int)

    let dom = try LadderBrowser.dumpDOM(page)
    #expect(LadderBrowser.count("class=\"arrow", in: dom) == packets)
    #expect(LadderBrowser.count("class=\"arrow error\"", in: dom) == 3)
    #expect(LadderBrowser.count("class=\"quote\"", in: dom) == 3)
    #expect(LadderBrowser.count("class=\"step ok\"", in: dom) == 11, "8 sends and 3 polls that wait for the ICMP errors")
    #expect(dom.contains("data-rendered-ms="), "the drawing script ran to its end")

    let screenshot = directory.appendingPathComponent("ladder.png").path
    try LadderBrowser.screenshot(page, to: screenshot)
    let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
    #expect(png.count > 1000)
    #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  }

  @Test("a hostile trace's page in Chromium: no injected element, the title unchanged, every packet drawn")
  func hostileTraceInBrowser() throws {
    let trace = try LadderPageText.hostileTrace()
    let page = try temporaryDirectory().appendingPathComponent("hostile.html").path
    #expect(try Command.netdrill(["show", trace, "--html", page]).status == 0)
    let dom = try LadderBrowser.dumpDOM(page)
    #expect(dom.contains("<title>netdrill ladder</title>"), "a script from the trace would have changed it")
    #expect(!dom.contains("<img") && !dom.contains("<i id=") && !dom.contains("<b id="))
    #expect(LadderBrowser.count("<script", in: dom) == 2)
    #expect(dom.contains("&lt;/script&gt;&lt;script&gt;document.title='pwned'"), "the payload, shown as text")
    #expect(dom.contains("&lt;i id=\"injected-name\"&gt;"), "the names, shown as text")
    #expect(LadderBrowser.count("class=\"arrow", in: dom) == 6)
  }

  @Test("diff --html in Chromium: two ladders side by side, the differing arrows marked")
  func diffInBrowser() throws {
    let mutated = temporaryTrace("ladder-browser-diff")
    try TraceMutation.rewrite(LadderPageTests.golden, to: mutated, packet: { $0 == 2 ? nil : $1 })
    let page = try temporaryDirectory().appendingPathComponent("diff.html").path
    #expect(try Command.netdrill(["diff", LadderPageTests.golden, mutated, "--html", page]).status == 1)
    let dom = try LadderBrowser.dumpDOM(page)
    #expect(LadderBrowser.count("class=\"panel\"", in: dom) == 2)
    #expect(LadderBrowser.count("class=\"arrow", in: dom) == 11)
    #expect(LadderBrowser.count("class=\"arrow differs\"", in: dom) == 1)
    #expect(dom.contains("missing packet"))
  }
}

/// Reading a ladder page's data blocks as text.
enum LadderPageText {
  struct Block {
    var lines: [String]
    var packets: [String] { lines.filter { $0.hasPrefix("{\"k\":\"p\"") } }
    /// Indices of the packets marked as differing.
    var marked: [Int] { packets.enumerated().filter { $0.element.contains("\"x\":1") }.map(\.offset) }
  }

  static func blocks(_ html: String) -> [Block] {
    html.components(separatedBy: "<script type=\"application/x-ndjson\" class=\"ladder\">\n").dropFirst().map {
      Block(lines: $0.components(separatedBy: "\n</script>")[0].components(separatedBy: "\n"))
    }
  }

  static func number(_ key: String, in line: String) -> Int? {
    guard let range = line.range(of: "\"\(key)\":") else { return nil }
    return Int(line[range.upperBound...].prefix { $0.isNumber })
  }

  /// The golden with markup everywhere a trace carries text: UDP payloads,
  /// the interface name, the scenario's name and the endpoint names.
  static func hostileTrace() throws -> String {
    let payload = Array(
      "</script><script>document.title='pwned'</script><img src=x onerror=alert(1)><!--".utf8)
    let output = temporaryTrace("ladder-hostile")
    try TraceMutation.rewrite(
      LadderPageTests.golden, to: output,
      packet: { _, frame in
        guard TraceMutation.isUDP(frame) else { return frame }
        let udp = TraceMutation.transportOffset(frame)
        var frame = Array(frame[..<(udp + 8)]) + payload
        FrameEdit.put16(&frame, TraceMutation.ipOffset + 2, UInt16(frame.count - TraceMutation.ipOffset))
        FrameEdit.put16(&frame, udp + 4, UInt16(8 + payload.count))
        FrameEdit.put16(&frame, udp + 6, 0)
        TraceMutation.fixIPv4Checksum(&frame)
        return frame
      },
      manifest: { manifest in
        manifest.run.scenarioName = "<script>document.title='pwned-name'</script>"
        manifest.run.names = manifest.run.names.mapValues { $0 + "<i id=\"injected-name\">" }
      },
      interface: { $0.name = "lo<b id=\"injected-interface\">" })
    return output
  }
}

/// Headless Chromium, isolated in its own profile folder.
enum LadderBrowser {
  static func run(_ arguments: [String]) throws -> CommandResult {
    let profile = try temporaryDirectory("netdrill-chromium")
    defer { try? FileManager.default.removeItem(at: profile) }
    return try Command.run(
      "chromium",
      ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)"] + arguments, timeout: 120)
  }

  static func dumpDOM(_ page: String) throws -> String {
    let result = try run(["--dump-dom", URL(fileURLWithPath: page).absoluteString])
    try #require(result.status == 0, "\(result.standardError)")
    return result.standardOutput
  }

  static func screenshot(_ page: String, to path: String) throws {
    let result = try run(["--window-size=1400,700", "--screenshot=\(path)", URL(fileURLWithPath: page).absoluteString])
    try #require(result.status == 0, "\(result.standardError)")
  }

  static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }
}
