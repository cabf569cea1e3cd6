/// What a program under test did: how it ended and what it wrote.
public struct ProgramResult: Sendable, Equatable, Codable {
  public var name: String
  public var command: [String]
  /// The exit status; nil if a signal ended it (or it never ended, see `standardError`).
  public var exitStatus: Int32?
  /// The signal that ended it (SIGTERM = 15 for a program without a handler, stopped normally).
  public var signal: Int32?
  /// "exited" (ended on its own before stop), "SIGTERM" (ended within the
  /// grace after SIGTERM), "SIGKILL" (needed SIGKILL).
  public var stoppedBy: String
  /// Time from start to the ready check passing; nil if it never passed.
  public var readyAfterNanoseconds: UInt64?
  /// The first `ProgramOutputLimit.bytes` of standard output, with a note when cut.
  public var standardOutput: String
  /// The first `ProgramOutputLimit.bytes` of standard error, with a note when cut (or netdrill's own notes).
  public var standardError: String

  public init(
    name: String, command: [String], exitStatus: Int32?, signal: Int32?, stoppedBy: String,
    readyAfterNanoseconds: UInt64?, standardOutput: String, standardError: String
  ) {
    self.name = name
    self.command = command
    self.exitStatus = exitStatus
    self.signal = signal
    self.stoppedBy = stoppedBy
    self.readyAfterNanoseconds = readyAfterNanoseconds
    self.standardOutput = standardOutput
    self.standardError = standardError
  }
}

/// How much of each output stream a result keeps.
public enum ProgramOutputLimit {
  /// Bytes kept per stream (1 MiB). The rest is read and dropped, so the program never blocks on a full pipe.
  public static let bytes = 1 << 20
}
