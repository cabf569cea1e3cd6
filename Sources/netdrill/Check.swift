import ArgumentParser
import Foundation
import NetDrillEngine
import NetDrillReplay

struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run every scenario of a folder, check its expectations and compare with its golden trace.",
    discussion: """
      Each scenario runs in its own private network; a golden trace has the scenario's relative path \
      with .pcapng under --traces. Exit status: 0 all passed, 1 a scenario failed or differs, 2 error.
      """)

  @Argument(help: "The scenario folder.")
  var directory: String = "scenarios"

  @Option(name: .long, help: "The golden trace folder.")
  var traces: String = "traces"

  @Flag(name: .long, help: "Record the golden traces instead of comparing (only for scenarios that pass).")
  var update = false

  @Option(name: .long, help: "Write a JUnit XML report here.")
  var junit: String?

  @Option(name: .long, help: "Scenarios run at once.")
  var jobs: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

  @Option(name: .long, help: "Only scenarios whose relative path matches: a glob (udp/*) or a substring.")
  var filter: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Only part I of N of the suite (1/4 … 4/4): N CI jobs run every scenario exactly once.", valueName: "I/N"),
    transform: { text in
      guard let shard = Shard(text) else { throw ValidationError("--shard takes I/N with 1 ≤ I ≤ N, found \(text)") }
      return shard
    })
  var shard: Shard?

  @Option(name: .customLong("repeat"), help: "Run each scenario N times; any run that fails or differs fails it.")
  var repeatCount: Int = 1

  @Flag(name: .long, help: "Start no further scenario after the first that fails.")
  var failFast = false

  @Flag(name: .long, help: "A scenario whose `requires` this machine does not meet fails instead of being skipped.")
  var noSkip = false

  @OptionGroup var comparison: ComparisonOptions
  @OptionGroup var capture: CaptureOptions
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    guard repeatCount >= 1 else { throw ValidationError("--repeat must be at least 1") }
  }

  func run() throws {
    let options = CheckOptions(
      scenariosDirectory: directory, tracesDirectory: traces, update: update, jobs: jobs, filter: filter,
      shard: shard, repeatCount: repeatCount, failFast: failFast, noSkip: noSkip, diff: comparison.diffOptions,
      record: capture.recordOptions)
    do {
      _ = try SuiteChecker.selection(options)
    } catch {
      FileHandleOutput.standardError("netdrill: \(error)")
      throw ExitCode(2)
    }
    try ScenarioLoading.enterPrivilegesIfNeeded(hostNetwork: false)
    let style = output.style
    let json = output.json
    let result = try SuiteChecker.check(options: options) { check in
      guard !json else { return }
      print(CheckReport.line(for: check, style: style))
      if check.status == .failed || check.status == .error, let details = check.details {
        print(details.split(separator: "\n").map { "      " + TerminalText.escape(String($0)) }.joined(separator: "\n"))
      }
    }
    if let junit {
      let xml = JUnitReport(result: result, scenariosDirectory: directory).xml
      do {
        try xml.write(toFile: junit, atomically: true, encoding: .utf8)
      } catch {
        FileHandleOutput.standardError("netdrill: cannot write \(junit): \(error.localizedDescription)")
        throw ExitCode(2)
      }
    }
    if json {
      print(try JSONOutput.encode(result))
    } else {
      print(CheckReport.summary(result, style: style))
    }
    if result.exitCode != 0 { throw ExitCode(result.exitCode) }
  }
}

enum CheckReport {
  static func line(for check: ScenarioCheck, style: TextStyle) -> String {
    let mark: String
    switch check.status {
    case .passed: mark = style.green("✓")
    case .recorded: mark = style.green("●")
    case .failed: mark = style.red("✗")
    case .error: mark = style.red("!")
    case .skipped: mark = style.yellow("-")
    }
    let time = String(format: "%.2fs", check.seconds)
    // File names and messages may quote scenario text: escaped for the terminal.
    let message = check.message.map { "  " + TerminalText.escape($0) } ?? ""
    return "\(mark) \(TerminalText.escape(check.scenario)) \(style.dim(time))\(message)"
  }

  static func summary(_ result: SuiteResult, style: TextStyle) -> String {
    let total = result.checks.count
    var text =
      "\(total) scenarios\(result.shard.map { " (shard \($0))" } ?? ""): \(result.count(.passed)) passed, "
      + "\(result.count(.recorded)) recorded, \(result.count(.skipped)) skipped, "
      + "\(result.count(.failed)) failed, \(result.count(.error)) errors in \(String(format: "%.1f", result.seconds))s"
    if result.notRun > 0 { text += "; \(result.notRun) not run (--fail-fast)" }
    return result.exitCode == 0 ? style.green("✓ ") + text : style.red("✗ ") + text
  }
}
