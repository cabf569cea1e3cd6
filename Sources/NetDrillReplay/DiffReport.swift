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
    var parts = ["\(outcomes) in step outcomes", "\(packets) in packets"]
    if capture > 0 { parts.append("\(capture) in capture") }
    return style.red("✗ \(result.differences.count) differences") + ": " + parts.joined(separator: ", ")
  }
}
