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

  @OptionGroup var comparison: ComparisonOptions
  @OptionGroup var capture: CaptureOptions
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw ValidationError("\(directory): no such scenario folder")
    }
  }

  func run() throws {
    try ScenarioLoading.enterPrivilegesIfNeeded(hostNetwork: false)
    let options = CheckOptions(
      scenariosDirectory: directory, tracesDirectory: traces, update: update, jobs: jobs, filter: filter,
      diff: comparison.diffOptions, record: capture.recordOptions)
    guard !SuiteChecker.scenarioFiles(in: directory, filter: filter).isEmpty else {
      FileHandleOutput.standardError("netdrill: no scenarios in \(directory)\(filter.map { " matching \($0)" } ?? "")")
      throw ExitCode(2)
    }
    let style = output.style
    let json = output.json
    let result = SuiteChecker.check(options: options) { check in
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
    }
    let time = String(format: "%.2fs", check.seconds)
    // File names and messages may quote scenario text: escaped for the terminal.
    let message = check.message.map { "  " + TerminalText.escape($0) } ?? ""
    return "\(mark) \(TerminalText.escape(check.scenario)) \(style.dim(time))\(message)"
  }

  static func summary(_ result: SuiteResult, style: TextStyle) -> String {
    let total = result.checks.count
    let text =
      "\(total) scenarios: \(result.count(.passed)) passed, \(result.count(.recorded)) recorded, "
      + "\(result.count(.failed)) failed, \(result.count(.error)) errors in \(String(format: "%.1f", result.seconds))s"
    return result.exitCode == 0 ? style.green("✓ ") + text : style.red("✗ ") + text
  }
}
