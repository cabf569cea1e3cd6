import NetDrillCapture
import NetDrillEngine
import NetDrillReplay

/// `netdrill show`: a trace as a timeline, steps and outcomes among the
/// packets; any other capture as its packets by conversation; or totals.
public struct ShowCommand: Sendable {
  public var tracePath: String
  /// Totals only (`--stats`).
  public var statistics: Bool
  /// A BPF expression (`--filter`): only the packets it selects.
  public var filter: String?
  public var format: OutputFormat
  /// `--html OUT`: write the trace as a ladder diagram page to this file instead of printing it.
  public var htmlPath: String?

  public init(
    tracePath: String, statistics: Bool = false, filter: String? = nil, format: OutputFormat, htmlPath: String? = nil
  ) {
    self.tracePath = tracePath
    self.statistics = statistics
    self.filter = filter
    self.format = format
    self.htmlPath = htmlPath
  }

  public func run(console: CommandConsole = .standard) throws -> CommandStatus {
    try CommandStatus.of {
      let packetFilter = try TraceLoading.filter(filter, console: console)
      if let htmlPath {
        try TraceLoading.failing(console) {
          try LadderPage.writeShow(tracePath: tracePath, filter: packetFilter, to: htmlPath)
        }
        return .success
      }
      let manifest = try TraceLoading.failing(console) { try TraceSource.manifest(path: tracePath) }
      guard let manifest, !statistics, packetFilter == nil else {
        try showStreaming(manifest: manifest, filter: packetFilter, console: console)
        return .success
      }
      try showTimeline(manifest: manifest, console: console)
      return .success
    }
  }

  /// A netdrill trace's timeline, streamed: steps from the manifest merged
  /// with the packets as they are read (``StreamedTimeline``), written as it goes.
  private func showTimeline(manifest: TraceManifest, console: CommandConsole) throws {
    let buffer = OutputBuffer(sink: console.write)
    try TraceLoading.failing(console) {
      switch format {
      case .text(let style):
        try StreamedTimeline.writeText(path: tracePath, manifest: manifest, style: style, to: buffer)
      case .json:
        // The manifest, with the packet checks done again, comes before the
        // timeline in the sorted keys: those checks take a pass of their own
        // (only when the scenario expects packets).
        var document = TraceDocument(path: tracePath, manifest: manifest)
        try PacketRecheck.run(path: tracePath, into: &document)
        var timeline = try StreamedTimeline(path: tracePath, document: document, recheck: false)
        var output = try StreamedJSONArray(
          document: ShowDocument(
            manifest: document.manifest, timeline: [], replayPrograms: TraceTimeline.replayPrograms(document)),
          key: "timeline", to: buffer)
        while let entry = try timeline.next() { try output.append(entry) }
        output.finish()
      }
    }
    buffer.flush()
  }

  /// The streaming engine: totals, a foreign capture, or a filtered view of any
  /// trace — one pass over the file, memory bounded by the live flows.
  private func showStreaming(manifest: TraceManifest?, filter: PacketFilter?, console: CommandConsole) throws {
    if statistics || format.isJSON {
      let totals = try TraceLoading.failing(console) { try TraceStatistics.read(path: tracePath, filter: filter) }
      console.print(format.isJSON ? try JSONOutput.encode(totals) : totals.text(path: tracePath))
      return
    }
    let buffer = OutputBuffer(sink: console.write)
    try TraceLoading.failing(console) {
      try ConversationTimeline.write(path: tracePath, filter: filter, names: manifest?.run.names ?? [:], to: buffer)
    }
    buffer.flush()
  }
}

/// `netdrill diff`: two traces compared, step outcomes and normalized packets,
/// both read once, side by side (netdrill's traces or any captures).
public struct DiffCommand: Sendable {
  public var expectedPath: String
  public var actualPath: String
  public var options: DiffOptions
  /// A BPF expression (`--filter`): only the packets it selects are compared.
  public var filter: String?
  public var format: OutputFormat
  /// `--html OUT`: also write both traces side by side, differences marked, to this file.
  public var htmlPath: String?

  public init(
    expectedPath: String, actualPath: String, options: DiffOptions = .init(), filter: String? = nil,
    format: OutputFormat, htmlPath: String? = nil
  ) {
    self.expectedPath = expectedPath
    self.actualPath = actualPath
    self.options = options
    self.filter = filter
    self.format = format
    self.htmlPath = htmlPath
  }

  /// `.failure` when the traces differ.
  public func run(console: CommandConsole = .standard) throws -> CommandStatus {
    try CommandStatus.of {
      let packetFilter = try TraceLoading.filter(filter, console: console)
      let result = try TraceLoading.failing(console) {
        try StreamingDiff.compare(
          expectedPath: expectedPath, actualPath: actualPath, options: options, filter: packetFilter)
      }
      if let htmlPath {
        try TraceLoading.failing(console) {
          try LadderPage.writeDiff(
            expectedPath: expectedPath, actualPath: actualPath, options: options, filter: packetFilter,
            result: result, to: htmlPath)
        }
      }
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
  /// `body`'s value, or `.badInput` thrown after its error's message (file and byte offset).
  static func failing<T>(_ console: CommandConsole, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch {
      throw console.badInput("netdrill: \(error)")
    }
  }

  /// A BPF expression compiled by libpcap; a bad one is bad input.
  static func filter(_ expression: String?, console: CommandConsole) throws -> PacketFilter? {
    guard let expression else { return nil }
    return try failing(console) { try PacketFilter(expression: expression) }
  }
}
