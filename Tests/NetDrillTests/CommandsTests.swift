import Foundation
import NetDrillCommands
import Synchronization
import NetDrillTestSupport
import Testing

/// A console that keeps what a command writes, for comparing with the binary's output.
final class CollectingConsole: Sendable {
  private let output = Mutex("")
  private let error = Mutex("")

  var console: CommandConsole {
    CommandConsole(
      output: { text in self.output.withLock { $0 += text } }, error: { text in self.error.withLock { $0 += text } })
  }
  var standardOutput: String { output.withLock { $0 } }
  var standardError: String { error.withLock { $0 } }
}

@Suite("Commands as a library")
struct CommandsTests {
  static let golden = TestPaths.packageRoot.appendingPathComponent("traces/udp/connected-closed-port.pcapng").path
  static let otherGolden = TestPaths.packageRoot.appendingPathComponent("traces/udp/recverr-error-queue.pcapng").path

  @Test(
    "diff and show give a library user the binary's exact output and exit status",
    arguments: [
      ["diff", "--color", "never", golden, golden], ["diff", "--color", "never", golden, otherGolden],
      ["diff", "--json", golden, otherGolden], ["show", "--color", "never", golden], ["show", "--json", golden],
      ["diff", golden, "/nonexistent/netdrill/x.pcapng"],
    ])
  func sameAsBinary(arguments: [String]) throws {
    let binary = try Command.netdrill(arguments)
    let collected = CollectingConsole()
    let json = arguments.contains("--json")
    let format: OutputFormat = json ? .json : .text(TextStyle(enabled: false))
    let paths = arguments.filter { $0.hasPrefix("/") }
    let status =
      arguments[0] == "show"
      ? try ShowCommand(tracePath: paths[0], format: format).run(console: collected.console)
      : try DiffCommand(expectedPath: paths[0], actualPath: paths[1], format: format).run(console: collected.console)
    #expect(status.rawValue == binary.status)
    #expect(collected.standardOutput == binary.standardOutput)
    #expect(collected.standardError == binary.standardError)
  }

  @Test("a trace that cannot be read is bad input (2), with the file named on standard error and nothing on output")
  func unreadableTrace() throws {
    let collected = CollectingConsole()
    let status = try DiffCommand(
      expectedPath: Self.golden, actualPath: "/nonexistent/netdrill/x.pcapng", format: .json
    ).run(console: collected.console)
    #expect(status == .badInput)
    #expect(collected.standardOutput.isEmpty)
    #expect(collected.standardError.hasPrefix("netdrill: /nonexistent/netdrill/x.pcapng"))
  }

  @Test("standard error is escaped for the terminal line by line and ends with one newline")
  func errorsAreEscaped() {
    let collected = CollectingConsole()
    collected.console.error("bad\u{1B}[2J name\nsecond line")
    #expect(collected.standardError == #"bad\x1b[2J name"# + "\nsecond line\n")
  }

  @Test("loading reports every empty folder and every bad file, in order, before anything runs")
  func loadingCollectsProblems() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-load-\(UUID().uuidString)")
    let empty = root.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    let bad = root.appendingPathComponent("bad.json")
    try #"{"netdrill": 1, "name": "bad", "steps": 3}"#.write(to: bad, atomically: true, encoding: .utf8)
    let error = #expect(throws: ScenarioLoadingError.self) {
      try ScenarioLoading.load([empty.path, bad.path, "/nonexistent/netdrill/x.json"])
    }
    #expect(error?.problems.count == 3)
    #expect(error?.problems.first == "netdrill: \(empty.path): no scenario files (*.json) in this folder")
    #expect(error?.problems.dropFirst().first?.contains(bad.path) == true)
    #expect(error?.problems.last?.contains("/nonexistent/netdrill/x.json") == true)
  }

  @Test("a folder stands for every *.json below it, sorted and prefixed; a file is kept as given")
  func folderExpansion() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-expand-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root.appendingPathComponent("b/c"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    for name in ["z.json", "b/c/a.json", "b/notes.txt", "a.json"] {
      try "{}".write(to: root.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    #expect(ScenarioFiles.find(in: root.path) == ["a.json", "b/c/a.json", "z.json"])
    #expect(ScenarioFiles.find(in: root.path, filter: "b/*") == ["b/c/a.json"])
    #expect(ScenarioFiles.find(in: root.path, filter: "z") == ["z.json"])
    #expect(
      ScenarioFiles.expand([root.path + "/", "/some/file.json"])
        == ["a.json", "b/c/a.json", "z.json"].map { root.path + "/" + $0 } + ["/some/file.json"])
  }

  @Test("--ignore and --compare name what is wrong with a field; a good choice has no problem")
  func comparisonChoices() {
    #expect(
      ComparisonChoices(ignore: ["nosuch"]).problem?.hasPrefix("--ignore nosuch: not a field (choose from ") == true)
    #expect(ComparisonChoices(timing: "soon").problem == "--timing soon: expected a duration such as 5ms")
    let good = ComparisonChoices(strictOrder: true, ignore: [NormalizationOptions.ignorableFields[0]], timing: "5ms")
    #expect(good.problem == nil)
    #expect(good.diffOptions.timingTolerance == .milliseconds(5))
    #expect(good.diffOptions.strictOrder)
  }
}
