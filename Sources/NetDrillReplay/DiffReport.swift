import NetDrillEngine

/// The readable form of a trace comparison: each difference with its place,
/// the packet or call around it, and expected against actual.
public struct DiffReport {
  public var result: TraceDiffResult
  public var style: TextStyle

  public init(result: TraceDiffResult, style: TextStyle) {
    self.result = result
    self.style = style
  }

  public var text: String {
    // Paths, calls and values came from the traces, which are untrusted:
    // each is escaped for the terminal (`TerminalText`).
    let escape = TerminalText.escape
    var lines = [
      style.dim("expected \(escape(result.expectedPath))"),
      style.dim("  actual \(escape(result.actualPath))"),
    ]
    var lastLocation: String?
    for difference in result.differences {
      if difference.location != lastLocation {
        lines.append(style.bold(escape(difference.location)))
        if let context = difference.context.map(escape) {
          lines.append(style.dim(difference.kind == .outcome ? "    call: \(context)" : "    after: \(context)"))
        }
        lastLocation = difference.location
      }
      lines.append("  \(escape(difference.field))")
      lines.append("    " + style.red("expected: \(escape(difference.expected))"))
      lines.append("    " + style.green("  actual: \(escape(difference.actual))"))
      for line in difference.lines ?? [] {
        // Scenario text from a trace: escaped like every other string from it.
        let line = escape(line)
        let styled =
          line.hasPrefix("-")
          ? style.red(line)
          : line.hasPrefix("+")
            ? style.green(line)
            : line.hasPrefix("@@") ? style.dim(line) : line
        lines.append("    " + styled)
      }
    }
    for note in result.notes {
      lines.append(style.yellow("note: \(escape(note))"))
    }
    lines.append(summary)
    return lines.joined(separator: "\n")
  }

  public var summary: String {
    if result.same {
      return style.green("✓ same") + ": \(result.comparedSteps) steps, \(result.comparedPackets) packets"
    }
    let outcomes = result.differences.filter { $0.kind == .outcome }.count
    let packets = result.differences.filter { $0.kind == .packet }.count
    let capture = result.differences.filter { $0.kind == .capture }.count
    let scenario = result.differences.filter { $0.kind == .scenario }.count
    var parts = ["\(outcomes) in step outcomes", "\(packets) in packets"]
    if scenario > 0 { parts.insert("\(scenario) in the embedded scenario", at: 0) }
    if capture > 0 { parts.append("\(capture) in capture") }
    return style.red("✗ \(result.differences.count) differences") + ": " + parts.joined(separator: ", ")
  }
}
