/// Compares the scenario texts two traces embed, line by line: a trace
/// recorded from another scenario is not the same run, however alike its
/// packets look.
enum ScenarioSourceDiff {
  /// Lines of unchanged text shown around each change.
  static let contextLines = 2

  /// One difference (with its line diff) when the texts differ, none when they are equal.
  static func compare(expected: String, actual: String) -> [TraceDifference] {
    guard expected != actual else { return [] }
    let left = lines(expected)
    let right = lines(actual)
    let diff = unifiedDiff(left, right)
    let changed = diff.filter { $0.hasPrefix("-") || $0.hasPrefix("+") }
    let removed = changed.filter { $0.hasPrefix("-") }.count
    return [
      TraceDifference(
        kind: .scenario, location: "embedded scenario", field: "scenario source",
        expected: "\(left.count) lines, \(removed) not in the actual trace",
        actual: "\(right.count) lines, \(changed.count - removed) not in the expected trace",
        lines: diff.isEmpty ? ["  (the texts differ only in line endings or a final newline)"] : diff)
    ]
  }

  private static func lines(_ text: String) -> [String] {
    text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
  }

  /// Hunks in unified-diff form: `@@ -a,n +b,m @@`, then `  `, `- `, `+ ` lines.
  static func unifiedDiff(_ left: [String], _ right: [String]) -> [String] {
    let operations = TraceDiff.align(left, right)
    // Indexes of operations that change something, grouped into hunks with context.
    let changes = operations.indices.filter {
      if case .same = operations[$0] { return false }
      return true
    }
    guard !changes.isEmpty else { return [] }
    var hunks: [ClosedRange<Int>] = []
    for index in changes {
      let range = max(0, index - contextLines)...min(operations.count - 1, index + contextLines)
      if let last = hunks.last, range.lowerBound <= last.upperBound + 1 {
        hunks[hunks.count - 1] = last.lowerBound...range.upperBound
      } else {
        hunks.append(range)
      }
    }
    var output: [String] = []
    for hunk in hunks {
      var body: [String] = []
      var leftStart: Int?
      var rightStart: Int?
      var leftCount = 0
      var rightCount = 0
      for operation in operations[hunk] {
        switch operation {
        case .same(let i, let j):
          leftStart = leftStart ?? i
          rightStart = rightStart ?? j
          leftCount += 1
          rightCount += 1
          body.append("  " + left[i])
        case .missing(let i):
          leftStart = leftStart ?? i
          leftCount += 1
          body.append("- " + left[i])
        case .extra(let j):
          rightStart = rightStart ?? j
          rightCount += 1
          body.append("+ " + right[j])
        }
      }
      output.append("@@ -\((leftStart ?? 0) + 1),\(leftCount) +\((rightStart ?? 0) + 1),\(rightCount) @@")
      output += body
    }
    return output
  }
}
