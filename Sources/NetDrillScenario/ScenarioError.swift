/// A problem in a scenario file, precise enough to act on: the file, the
/// line and column, the JSON path, what is wrong, and the nearest valid word
/// when the problem looks like a typo.
///
/// ```
/// udp.json:14:26: error at $.steps[3].expect.error: unknown errno "ECONREFUSED" (did you mean "ECONNREFUSED"?)
/// ```
public struct ScenarioError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The file the scenario was read from; nil for in-memory text.
  public var file: String?
  /// 1-based line; 0 when the problem is with the file as a whole (it cannot be read).
  public var line: Int
  /// 1-based column (Unicode scalars); 0 with `line` 0.
  public var column: Int
  /// The JSON path of the offending value (`$.steps[3].expect.error`); `$` for the document.
  public var path: String
  /// What is wrong and, where it helps, what to write instead.
  public var message: String
  /// The nearest valid word, shown as `(did you mean "…"?)`.
  public var suggestion: String?

  public init(
    file: String?, line: Int, column: Int, path: String, message: String, suggestion: String? = nil
  ) {
    self.file = file
    self.line = line
    self.column = column
    self.path = path
    self.message = message
    self.suggestion = suggestion
  }

  public init(file: String?, at position: JSONPosition, path: String, message: String, suggestion: String? = nil) {
    self.init(
      file: file, line: position.line, column: position.column, path: path, message: message,
      suggestion: suggestion)
  }

  /// `FILE:LINE:COL: error at PATH: MESSAGE (did you mean "X"?)`; the file part
  /// is left out for in-memory text, line and column for whole-file problems.
  public var description: String {
    var place = file.map { "\($0):" } ?? ""
    if line > 0 { place += "\(line):\(column):" }
    let hint = suggestion.map { " (did you mean \(JSONPath.quoted($0))?)" } ?? ""
    let prefix = place.isEmpty ? "" : place + " "
    return "\(prefix)error at \(path): \(message)\(hint)"
  }
}

/// Every problem found in one scenario, in the order they appear in the file.
/// `ScenarioParser` throws this (never an empty list) so a person can fix all
/// problems in one go instead of one per run.
public struct ScenarioErrors: Error, CustomStringConvertible, Sendable, Equatable {
  /// Never empty when thrown by `ScenarioParser`.
  public var errors: [ScenarioError]

  public init(_ errors: [ScenarioError]) {
    self.errors = errors
  }

  /// The first problem in file order.
  public var first: ScenarioError? { errors.first }

  /// One problem per line.
  public var description: String { errors.map(\.description).joined(separator: "\n") }
}

extension ScenarioError {
  /// The candidate closest to `word`, if one is close enough to be a likely
  /// typo: case is ignored, and a swap of two neighbouring letters counts as
  /// one edit (optimal string alignment distance, a Levenshtein variant).
  /// Ties go to the earlier candidate, so callers list common words first.
  public static func nearest(_ word: String, in candidates: some Sequence<String>) -> String? {
    let allowed = allowedEdits(forLength: word.unicodeScalars.count)
    let reachable = candidatesWithinReach(of: word, in: candidates)
    guard !reachable.isEmpty else { return nil }
    let folded = Array(word.lowercased().unicodeScalars)
    var best: (candidate: String, distance: Int)?
    for candidate in reachable {
      let distance = editDistance(folded, Array(candidate.lowercased().unicodeScalars))
      guard distance <= allowed else { continue }
      if best == nil || distance < best?.distance ?? Int.max { best = (candidate, distance) }
    }
    return best?.candidate
  }

  /// Short words allow one edit, longer ones about a third of their length:
  /// "sned" → "send", "ECONREFUSED" → "ECONNREFUSED", but not "a" → "as".
  static func allowedEdits(forLength length: Int) -> Int { min(4, max(1, length / 3)) }

  /// The candidates whose length is close enough to `word`'s to be within the
  /// allowed edits: the distance is never less than the difference in length,
  /// so the others are left out before any distance is computed. This keeps
  /// a hostile 10 MB word as cheap as a short one.
  static func candidatesWithinReach(of word: String, in candidates: some Sequence<String>) -> [String] {
    let length = word.unicodeScalars.count
    let allowed = allowedEdits(forLength: length)
    return candidates.filter { candidate in
      candidate != word && abs(candidate.unicodeScalars.count - length) <= allowed
    }
  }

  /// Optimal string alignment distance: insertions, deletions, substitutions
  /// and transpositions of adjacent elements each cost one.
  static func editDistance<Element: Equatable>(_ a: [Element], _ b: [Element]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previousPrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          value = min(value, previousPrevious[j - 2] + 1)
        }
        current[j] = value
      }
      (previousPrevious, previous, current) = (previous, current, previousPrevious)
    }
    return previous[b.count]
  }
}
