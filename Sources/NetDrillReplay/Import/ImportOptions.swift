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

/// What a user asked of an imported replay on the command line (`--play`,
/// `--program`, `--respond`, `--speed`), turned into `ImportOptions`.
public struct ImportRequest: Sendable {
  public var play: PlaySide?
  public var program: String?
  /// `--respond`: the recorded responder, the same as `--play servers`.
  public var respond: Bool
  /// `--speed`: `1x`, `2x`, `0.5x`.
  public var speed: String?

  public init(play: PlaySide? = nil, program: String? = nil, respond: Bool = false, speed: String? = nil) {
    self.play = play
    self.program = program
    self.respond = respond
    self.speed = speed
  }

  /// Whether anything was asked that only an imported replay does.
  public var asksForImport: Bool { play != nil || program != nil || respond || speed != nil }

  /// Why the request cannot be followed, in the words of an option error; nil when it can.
  public var problem: String? {
    guard let speed, speedFactor == nil else { return nil }
    return "--speed takes a factor like 1x, 2x or 0.5x, found \"\(speed)\""
  }

  private var speedFactor: Double? {
    guard let speed else { return nil }
    let number = speed.hasSuffix("x") ? String(speed.dropLast()) : speed
    guard let value = Double(number), value > 0, value.isFinite else { return nil }
    return value
  }

  /// The side: `--respond` or `--play` as given; with only a `--program`, netdrill plays the clients.
  public var options: ImportOptions {
    let side = respond ? .servers : play ?? (program != nil ? .clients : .both)
    return ImportOptions(play: side, program: program, speed: speedFactor)
  }
}
