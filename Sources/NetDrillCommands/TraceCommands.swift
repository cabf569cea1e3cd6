import NetDrillEngine
import NetDrillReplay

/// `netdrill show`: a trace as a timeline, steps and outcomes among the packets.
public struct ShowCommand: Sendable {
  public var tracePath: String
  public var format: OutputFormat

  public init(tracePath: String, format: OutputFormat) {
    self.tracePath = tracePath
    self.format = format
  }

  public func run(console: CommandConsole = .standard) throws -> CommandStatus {
    try CommandStatus.of {
      let document = try TraceLoading.load(tracePath, console: console)
      let timeline = TraceTimeline(document: document)
      switch format {
      case .json:
        console.print(
          try JSONOutput.encode(
            ShowDocument(
              manifest: document.manifest, timeline: timeline.entries, replayPrograms: timeline.replayPrograms)))
      case .text(let style):
        console.print(timeline.text(style: style))
      }
      return .success
    }
  }
}

/// `netdrill diff`: two traces compared, step outcomes and normalized packets.
public struct DiffCommand: Sendable {
  public var expectedPath: String
  public var actualPath: String
  public var options: DiffOptions
  public var format: OutputFormat

  public init(expectedPath: String, actualPath: String, options: DiffOptions = .init(), format: OutputFormat) {
    self.expectedPath = expectedPath
    self.actualPath = actualPath
    self.options = options
    self.format = format
  }

  /// `.failure` when the traces differ.
  public func run(console: CommandConsole = .standard) throws -> CommandStatus {
    try CommandStatus.of {
      let expected = try TraceLoading.load(expectedPath, options: options.normalization, console: console)
      let actual = try TraceLoading.load(actualPath, options: options.normalization, console: console)
      let result = TraceDiff.compare(expected: expected, actual: actual, options: options)
      switch format {
      case .json: console.print(try JSONOutput.encode(result))
      case .text(let style): console.print(DiffReport(result: result, style: style).text)
      }
      return CommandStatus(passed: result.same)
    }
  }
}

/// `netdrill replay`: the scenario a trace carries, run again in a fresh
/// private network and compared with the trace.
public struct ReplayCommand: Sendable {
  public var tracePath: String
  /// Where to keep the new trace; nil keeps it only for the comparison.
  public var outputPath: String?
  public var allowPrograms: Bool
  public var diffOptions: DiffOptions
  public var recordOptions: RecordOptions
  public var format: OutputFormat

  public init(
    tracePath: String, outputPath: String? = nil, allowPrograms: Bool = false, diffOptions: DiffOptions = .init(),
    recordOptions: RecordOptions = .init(), format: OutputFormat
  ) {
    self.tracePath = tracePath
    self.outputPath = outputPath
    self.allowPrograms = allowPrograms
    self.diffOptions = diffOptions
    self.recordOptions = recordOptions
    self.format = format
  }

  /// `.failure` when the replay differs from the trace or an expectation failed in it.
  public func run(console: CommandConsole = .standard) throws -> CommandStatus {
    try CommandStatus.of {
      let result: ReplayResult
      do {
        try ProcessSetup.prepareForScenarios(hostNetwork: false, console: console)
        result = try Replayer.replay(
          trace: tracePath, output: outputPath, diffOptions: diffOptions, recordOptions: recordOptions,
          allowPrograms: allowPrograms)
      } catch {
        throw console.badInput("netdrill: \(error)")
      }
      switch format {
      case .json:
        console.print(try JSONOutput.encode(result.diff))
      case .text(let style):
        if !result.record.run.passed {
          console.print(style.red("✗ \(result.record.run.failedChecks) expectation(s) failed in the replay"))
        }
        console.print(DiffReport(result: result.diff, style: style).text)
      }
      return CommandStatus(passed: result.passed)
    }
  }
}

/// Reading a trace for a command.
enum TraceLoading {
  /// The trace, or `.badInput` thrown after the reader's message (file and byte offset).
  static func load(_ path: String, options: NormalizationOptions = .init(), console: CommandConsole) throws
    -> TraceDocument
  {
    do {
      return try TraceDocument.load(path: path, options: options)
    } catch {
      throw console.badInput("netdrill: \(error)")
    }
  }
}
