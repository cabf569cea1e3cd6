import Foundation
import NetDrillEngine

/// The readable form of a suite check: one line per scenario as it ends
/// (with the full explanation under a failure), then a summary.
public enum CheckReport {
  /// The scenario's line: a mark, its path, its time and why it did not pass;
  /// for a failure or an error, the details follow, indented.
  public static func entry(for check: ScenarioCheck, style: TextStyle) -> String {
    var text = line(for: check, style: style)
    if check.status == .failed || check.status == .error, let details = check.details {
      // The details quote the scenario and the traces: escaped for the terminal.
      let indented = details.split(separator: "\n").map { "      " + TerminalText.escape(String($0)) }
      text += "\n" + indented.joined(separator: "\n")
    }
    return text
  }

  public static func line(for check: ScenarioCheck, style: TextStyle) -> String {
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

  public static func summary(_ result: SuiteResult, style: TextStyle) -> String {
    let total = result.checks.count
    var text =
      "\(total) scenarios\(result.shard.map { " (shard \($0))" } ?? ""): \(result.count(.passed)) passed, "
      + "\(result.count(.recorded)) recorded, \(result.count(.skipped)) skipped, "
      + "\(result.count(.failed)) failed, \(result.count(.error)) errors in \(String(format: "%.1f", result.seconds))s"
    if result.notRun > 0 { text += "; \(result.notRun) not run (--fail-fast)" }
    return result.exitCode == 0 ? style.green("✓ ") + text : style.red("✗ ") + text
  }
}
