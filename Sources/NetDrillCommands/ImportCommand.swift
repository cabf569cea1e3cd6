import Foundation
import NetDrillEngine
import NetDrillReplay

/// `netdrill import`: a capture's UDP and TCP conversations written as a
/// scenario that re-creates them on real sockets.
public struct ImportCommand: Sendable {
  public var capturePath: String
  public var outputPath: String
  public var filter: String?
  public var options: ImportOptions
  public var format: OutputFormat

  public init(
    capturePath: String, outputPath: String, filter: String? = nil, options: ImportOptions = .init(),
    format: OutputFormat
  ) {
    self.capturePath = capturePath
    self.outputPath = outputPath
    self.filter = filter
    self.options = options
    self.format = format
  }

  public func run(console: CommandConsole = .standard) throws -> CommandStatus {
    try CommandStatus.of {
      let packetFilter = try TraceLoading.filter(filter, console: console)
      let imported = try TraceLoading.failing(console) {
        try CaptureReplayer.importScenario(capture: capturePath, filter: packetFilter, options: options)
      }
      try TraceLoading.failing(console) { try Self.writeAtomically(imported.text, to: outputPath) }
      let flows = imported.importer.replayedFlows
      let unsupported = imported.conversations.unsupported.merging(
        imported.importer.excluded, uniquingKeysWith: +)
      switch format {
      case .json:
        console.print(
          try JSONOutput.encode(
            ImportSummary(
              scenario: outputPath, packets: imported.conversations.packetsRead, conversations: flows.count,
              udp: flows.filter { $0.flowProtocol == .udp }.count, tcp: flows.filter { $0.flowProtocol == .tcp }.count,
              notReplayed: unsupported.values.reduce(0, +), notReplayedByKind: unsupported)))
      case .text:
        console.print(
          TerminalText.escape(
            "wrote \(outputPath): \(flows.count) conversation(s) from \(imported.conversations.packetsRead) packets of \(capturePath) (UDP \(flows.filter { $0.flowProtocol == .udp }.count), TCP \(flows.filter { $0.flowProtocol == .tcp }.count)); \(ScenarioImporter.unsupportedText(unsupported))"
          ))
      }
      return .success
    }
  }

  /// Written under a temporary name beside the target and renamed into place:
  /// never a half-written scenario.
  static func writeAtomically(_ text: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).\(getpid()).tmp")
    try Data(text.utf8).write(to: temporary)
    do {
      if rename(temporary.path, path) != 0 { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw error
    }
  }
}

struct ImportSummary: Encodable {
  var scenario: String
  var packets: Int
  var conversations: Int
  var udp: Int
  var tcp: Int
  var notReplayed: Int
  var notReplayedByKind: [String: Int]

  enum CodingKeys: String, CodingKey {
    case scenario, packets, conversations, udp, tcp
    case notReplayed = "not_replayed"
    case notReplayedByKind = "not_replayed_by_kind"
  }
}

/// `netdrill replay` of a capture netdrill did not write: imported on the fly,
/// run, recorded, and its conversations compared with the capture's.
public struct CaptureReplayCommand: Sendable {
  public var capturePath: String
  public var outputPath: String?
  public var filter: String?
  public var options: ImportOptions
  public var recordOptions: RecordOptions
  public var format: OutputFormat

  public init(
    capturePath: String, outputPath: String? = nil, filter: String? = nil, options: ImportOptions = .init(),
    recordOptions: RecordOptions = .init(), format: OutputFormat
  ) {
    self.capturePath = capturePath
    self.outputPath = outputPath
    self.filter = filter
    self.options = options
    self.recordOptions = recordOptions
    self.format = format
  }

  public func run(console: CommandConsole = .standard) throws -> CommandStatus {
    try CommandStatus.of {
      let packetFilter = try TraceLoading.filter(filter, console: console)
      let result: CaptureReplayResult
      do {
        try ProcessSetup.prepareForScenarios(hostNetwork: false, console: console)
        result = try CaptureReplayer.replay(
          capture: capturePath, filter: packetFilter, options: options, output: outputPath,
          recordOptions: recordOptions)
      } catch let status as CommandStatus {
        throw status
      } catch {
        throw console.badInput("netdrill: \(error)")
      }
      switch format {
      case .json:
        console.print(
          try JSONOutput.encode(
            CaptureReplaySummary(
              same: result.comparison.same, expectationsHeld: result.record.run.passed,
              differences: result.comparison.flows.compactMap { flow in
                flow.difference.map { ["conversation": flow.label, "difference": $0] }
              }, capturedNanoseconds: result.capturedSpan, replayedNanoseconds: result.replayedSpan)))
      case .text(let style):
        var lines: [String] = []
        if !result.record.run.passed {
          lines.append(RunReport(result: result.record.run, scenario: result.scenario, style: style).text)
          lines.append(style.red("✗ \(result.record.run.failedChecks) expectation(s) failed in the replay"))
        }
        lines.append(result.comparison.text(style: style))
        lines.append(
          "pacing: captured \(Self.milliseconds(result.capturedSpan)), replayed \(Self.milliseconds(result.replayedSpan))\(options.speed.map { " (--speed \(ScenarioImporter.speedText($0)))" } ?? " (as fast as the conversations allow)")"
        )
        if !result.unsupported.isEmpty {
          lines.append(TerminalText.escape(ScenarioImporter.unsupportedText(result.unsupported)))
        }
        console.print(lines.joined(separator: "\n"))
      }
      return CommandStatus(passed: result.passed)
    }
  }

  static func milliseconds(_ nanoseconds: UInt64) -> String {
    let tenths = nanoseconds / 100_000
    return "\(tenths / 10).\(tenths % 10)ms"
  }
}

struct CaptureReplaySummary: Encodable {
  var same: Bool
  var expectationsHeld: Bool
  var differences: [[String: String]]
  var capturedNanoseconds: UInt64
  var replayedNanoseconds: UInt64

  enum CodingKeys: String, CodingKey {
    case same, differences
    case expectationsHeld = "expectations_held"
    case capturedNanoseconds = "captured_ns"
    case replayedNanoseconds = "replayed_ns"
  }
}

extension ReplayCommand {
  /// Whether the file carries a netdrill manifest (its own scenario); a
  /// manifest that does not decode counts, so the replay reports it.
  public static func hasManifest(tracePath: String) -> Bool {
    do {
      return try TraceSource.manifest(path: tracePath) != nil
    } catch {
      return true
    }
  }
}
