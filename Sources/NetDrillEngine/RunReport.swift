import NetDrillScenario

/// Terminal styling, on or off as a whole.
public struct TextStyle: Sendable {
  public var enabled: Bool
  public init(enabled: Bool) { self.enabled = enabled }

  public func green(_ text: String) -> String { paint(text, "32") }
  public func red(_ text: String) -> String { paint(text, "31") }
  public func yellow(_ text: String) -> String { paint(text, "33") }
  public func dim(_ text: String) -> String { paint(text, "2") }
  public func bold(_ text: String) -> String { paint(text, "1") }

  private func paint(_ text: String, _ code: String) -> String {
    enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
  }
}

/// The readable form of a run: each call with its outcome and ✓/✗ per
/// expectation, expected against actual where one failed, then a summary.
public struct RunReport {
  public var result: RunResult
  public var scenario: Scenario
  public var style: TextStyle

  public init(result: RunResult, scenario: Scenario, style: TextStyle) {
    self.result = result
    self.scenario = scenario
    self.style = style
  }

  public var text: String {
    var lines: [String] = []
    // Names, calls, payloads, notes and program output came from the scenario
    // or a program: each is escaped for the terminal (`TerminalText`).
    let location = scenario.sourcePath.map { " (\(TerminalText.escape($0)))" } ?? ""
    lines.append(style.bold("▶ \(TerminalText.escape(scenario.name))") + style.dim(location))
    if !scenario.description.isEmpty {
      lines.append(style.dim("  " + TerminalText.escape(scenario.description)))
    }
    let width = min(72, result.outcomes.map { TerminalText.escape($0.call).count }.max() ?? 40)
    for outcome in result.outcomes {
      lines += self.lines(for: outcome, width: width)
    }
    lines += RepetitionComparison.lines(result.outcomes.compactMap(\.repetition))
    if let packetChecks = result.packetChecks {
      lines += Self.packetLines(packetChecks, match: scenario.packetMatch, style: style)
    }
    lines.append(summary)
    return lines.joined(separator: "\n")
  }

  /// `✓ passed: 9 steps, 7 checks` or `✗ FAILED: 1 of 7 checks`.
  public var summary: String {
    let steps = scenario.steps.count
    if result.passed {
      return style.green("✓ passed") + ": \(steps) steps, \(result.totalChecks) checks, $closed = \(result.closedPort)"
        + (result.namedClosedPorts ?? [:]).sorted { $0.key < $1.key }.map { ", $closed.\($0.key) = \($0.value)" }
        .joined()
    }
    return style.red("✗ FAILED") + ": \(result.failedChecks) of \(result.totalChecks) checks failed in \(steps) steps"
  }

  /// `expect_packets`: each expected packet with the captured one that matched it,
  /// or, when none did, the captured packets closest to it.
  public static func packetLines(_ checks: [PacketCheck], match: PacketMatch, style: TextStyle) -> [String] {
    let mode = match == .exactly ? "exactly these, nothing else" : "in this order, others allowed"
    // Paths and addresses may come from a stranger's trace: escaped like every other text.
    let escape = TerminalText.escape
    var lines = ["    packets (\(mode)):"]
    for check in checks {
      let mark = check.passed ? style.green("✓") : style.red("✗")
      var line = "  \(mark) \(escape(check.expected))"
      if check.passed, let actual = check.actual { line += style.dim("  = \(escape(actual))") }
      lines.append(line)
      guard !check.passed else { continue }
      if let location = check.location { lines.append("            " + style.dim("at \(escape(location))")) }
      if let note = check.note { lines.append("            " + style.red(escape(note))) }
      if let actual = check.actual { lines.append("            " + style.red("  actual: \(escape(actual))")) }
      for packet in check.nearest {
        lines.append("            " + style.red((check.actual == nil ? " nearest: " : "    then: ") + escape(packet)))
      }
    }
    return lines
  }

  private func lines(for outcome: StepOutcome, width: Int) -> [String] {
    let label = outcome.label
    let fullCall = TerminalText.escape(outcome.call)
    let call = fullCall.count > width ? String(fullCall.prefix(width - 1)) + "…" : fullCall
    let padded = call + String(repeating: " ", count: max(0, width - call.count))
    var detail = outcome.resultText
    if let data = outcome.data { detail += "  \(data)" }
    if let name = outcome.fromName ?? outcome.from { detail += "  from \(name)" }
    if let value = outcome.value { detail += "  = \(value)" }
    if let address = outcome.address { detail += "  = \(outcome.addressName.map { "\($0) (\(address))" } ?? address)" }
    if let revents = outcome.revents {
      detail += "  revents \(revents.isEmpty ? "none" : revents.joined(separator: "|"))"
    }
    if let flags = outcome.flags, !flags.isEmpty { detail += "  flags \(flags.joined(separator: "|"))" }
    if let error = outcome.extendedError {
      detail +=
        "  ee_errno \(error.errno) origin \(error.origin) type \(error.type) code \(error.code) info \(error.info)"
      if let data = error.data, data != 0 { detail += " data \(data)" }
      if let offender = error.offender { detail += " offender \(offender)" }
    }
    if let control = outcome.controlText { detail += "  control \(control)" }
    if let repetition = outcome.repetition { detail += "  " + repetition.summary }
    if let background = outcome.background { detail += "  " + background.summary }
    let mark: String
    if outcome.checks.isEmpty {
      mark = " "
    } else {
      mark = outcome.passed ? style.green("✓") : style.red("✗")
    }
    detail = TerminalText.escape(detail)
    let colouredDetail = outcome.error != nil ? style.yellow(detail) : detail
    var lines = [
      "  \(mark) \(label + String(repeating: " ", count: max(0, 5 - label.count))) \(padded)  \(colouredDetail)"
    ]
    if let note = outcome.note, outcome.step.index != nil {
      lines.append(style.dim("            \(TerminalText.escape(note))"))
    }
    for check in outcome.checks where !check.passed {
      let field = TerminalText.escape(check.field)
      lines.append("            " + style.red("expected \(field): \(TerminalText.escape(check.expected))"))
      lines.append("            " + style.red("  actual \(field): \(TerminalText.escape(check.actual))"))
    }
    return lines
  }
}
