/// Which side(s) of a capture's conversations netdrill plays: the one
/// switch behind `import --play`, `replay`, `replay --program` and
/// `replay --respond`.
public enum PlaySide: String, Sendable, CaseIterable {
  /// Both ends: the capture re-created on real sockets.
  case both
  /// The clients; the servers are a program under test (`--program`).
  case clients
  /// The servers, as a recorded responder: each waits for the request, then
  /// sends the recorded answer; the clients are a program under test.
  case servers
}

/// How `netdrill import` writes a scenario from a capture.
public struct ImportOptions: Sendable {
  public var play: PlaySide
  /// The program under test (a shell command), started on the host of the
  /// side netdrill does not play. Only ever from the command line: a capture
  /// never puts a program into a scenario.
  public var program: String?
  /// Recorded pacing scaled by this factor (`2` is twice as fast); nil is as
  /// fast as the conversations allow.
  public var speed: Double?
  /// The bound on every blocking call.
  public var timeout: String

  public init(play: PlaySide = .both, program: String? = nil, speed: Double? = nil, timeout: String = "2s") {
    self.play = play
    self.program = program
    self.speed = speed
    self.timeout = timeout
  }
}
