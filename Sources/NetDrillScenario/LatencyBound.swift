/// `"latency": {"p99": {"max": "5ms"}}` in a repeat's `expect`: one statistic
/// of the background receiver's latency and the durations it may take. Opt-in
/// only: latency differs from run to run, so no golden carries one unless its
/// author wrote it.
public struct LatencyBound: Sendable, Equatable {
  public enum Statistic: String, Sendable, CaseIterable {
    case p50, p90, p99, max
  }

  public var statistic: Statistic
  /// `min`/`max` (or `about` with `tolerance`), the same vocabulary as `elapsed`; never `since`.
  public var range: ElapsedExpectation

  public init(statistic: Statistic, range: ElapsedExpectation) {
    self.statistic = statistic
    self.range = range
  }
}
