/// A repeat's `until`: the condition that ends the loop early. After each
/// iteration netdrill checks the outcome of one body step (the one labelled
/// `step`, or the body's last) against `expect`, written in the vocabulary of
/// that step's own expectations; the first iteration where every field holds
/// is the last. The repeat's `count` (or `duration`) is then the most
/// iterations to try: reaching it with the condition never met fails the run.
public struct RepetitionUntil: Sendable, Equatable {
  /// The position of the watched step in the repeat's body (0-based).
  public var bodyIndex: Int
  public var expect: StepExpectation

  public init(bodyIndex: Int, expect: StepExpectation) {
    self.bodyIndex = bodyIndex
    self.expect = expect
  }
}
