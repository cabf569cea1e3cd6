import NetDrillScenario

/// `scenarios/README.md`: one table row per scenario, generated from the
/// scenario files themselves so it cannot drift from them — what each shows
/// (its description), the kernel's answer (the errors its steps expect and
/// the ICMP errors it expects on the wire), and where an API differs from
/// the kernel when the description says so.
public enum ScenarioCatalog {
  /// The command that regenerates the file, as the file itself says.
  public static let command = "swift run netdrill catalog scenarios"

  /// The Markdown for `scenarios`, each with its path relative to the catalogue's folder.
  public static func markdown(_ scenarios: [(relativePath: String, scenario: Scenario)]) -> String {
    var lines = [
      "# Scenario catalogue",
      "",
      "Generated from the scenario files by `\(command)` — do not edit by hand;",
      "a test fails when this file is out of date. \(scenarios.count) scenarios.",
      "",
      "| scenario | what it shows | the kernel's answer | where an API differs |",
      "|---|---|---|---|",
    ]
    for (path, scenario) in scenarios.sorted(by: { $0.relativePath < $1.relativePath }) {
      let cells = [
        "[\(cell(scenario.name))](\(path))", cell(scenario.description), cell(kernelAnswer(scenario)),
        cell(apiDifference(scenario.description)),
      ]
      lines.append("| " + cells.joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The errors the steps expect (`send → ECONNREFUSED ×3`) and the ICMP errors expected on the wire.
  static func kernelAnswer(_ scenario: Scenario) -> String {
    var answers: [String] = []
    var counts: [String: Int] = [:]
    func add(_ answer: String) {
      if counts[answer] == nil { answers.append(answer) }
      counts[answer, default: 0] += 1
    }
    for step in scenario.steps {
      guard let expect = step.expect else { continue }
      if let error = expect.error { add("\(step.action.verb.rawValue) → \(error.name)") }
      if let revents = expect.revents { add("poll → \(revents.map { "\($0)" }.joined(separator: "|"))") }
      if let value = expect.value, case .getsockopt = step.action.verb { add("getsockopt → \(value)") }
      if let extended = expect.extendedError, let errno = extended.errno { add("error queue → \(errno.name)") }
    }
    for packet in scenario.expectedPackets {
      if case .icmp(let name) = packet.kind { add("ICMP \(name) on the wire") }
    }
    if answers.isEmpty { return "every call succeeds" }
    return answers.map { counts[$0, default: 1] > 1 ? "\($0) ×\(counts[$0, default: 1])" : $0 }.joined(
      separator: "; ")
  }

  /// The sentences of `description` that speak of an API beside the kernel (Go's, getty's, ...), or `—`.
  static func apiDifference(_ description: String) -> String {
    let markers = ["API", "Go ", "Go's", "getty", "differ", "disagree", "whereas"]
    var sentences: [String] = []
    var current = ""
    for character in description {
      current.append(character)
      if ".!?".contains(character) {
        sentences.append(current.trimmingSpaces)
        current = ""
      }
    }
    if !current.trimmingSpaces.isEmpty { sentences.append(current.trimmingSpaces) }
    let matching = sentences.filter { sentence in markers.contains { sentence.contains($0) } }
    return matching.isEmpty ? "—" : matching.joined(separator: " ")
  }

  /// Text safe in a Markdown table cell: one line, `|` and HTML escaped.
  static func cell(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "|": out += "\\|"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "&": out += "&amp;"
      case "\n", "\r", "\t": out += " "
      default: out.append(character)
      }
    }
    return out
  }
}

extension String {
  fileprivate var trimmingSpaces: String {
    String(drop { $0 == " " || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\n" }.reversed())
  }
}
