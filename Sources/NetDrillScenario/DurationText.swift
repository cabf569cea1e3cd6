/// Durations as scenarios write them: `"20ms"`, `"1.5s"`, `"500us"`, `"2m"`.
public enum DurationText {
  private static let units: [(suffix: String, nanoseconds: Double)] = [
    ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
  ]

  /// Parses a duration; nil if the text is not a non-negative number followed by a unit.
  public static func parse(_ text: String) -> Duration? {
    // Longest suffix first so "ms" is not read as "s" after "m".
    for unit in units.sorted(by: { $0.suffix.count > $1.suffix.count }) where text.hasSuffix(unit.suffix) {
      let number = text.dropLast(unit.suffix.count)
      guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }),
        let value = Double(number), value >= 0, value.isFinite
      else { return nil }
      let nanoseconds = value * unit.nanoseconds
      guard nanoseconds < 3.6e12 * 24 else { return nil }  // a day is plenty for any step
      return .nanoseconds(Int64(nanoseconds.rounded()))
    }
    return nil
  }

  /// The shortest exact text for a duration (`"20ms"`).
  public static func format(_ duration: Duration) -> String {
    let nanoseconds = duration.nanoseconds
    if nanoseconds == 0 { return "0s" }
    if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
    if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
    if nanoseconds % 1_000 == 0 { return "\(nanoseconds / 1_000)us" }
    return "\(nanoseconds)ns"
  }
}

extension Duration {
  /// Whole nanoseconds (durations in scenarios are far below Int64's range).
  public var nanoseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
  }
}
