import Foundation
import NetDrillCapture
import NetDrillEngine
import NetDrillScenario
import NetDrillTrace

/// What `netdrill replay` of a foreign capture gave.
public struct CaptureReplayResult: Sendable {
  public var scenarioText: String
  public var scenario: Scenario
  public var record: RecordResult
  public var comparison: ConversationComparison
  /// Not replayed, by reason (the capture's unsupported traffic).
  public var unsupported: [String: Int]
  /// First to last replayed event, in the capture and in the replay.
  public var capturedSpan: UInt64
  public var replayedSpan: UInt64
  public var passed: Bool { comparison.same && record.passed }
}

/// A capture without a netdrill manifest replayed: imported on the fly
/// (``ScenarioImporter``), run and recorded in a fresh private network, and
/// its conversations compared with the capture's (``ConversationComparison``).
public enum CaptureReplayer {
  /// The scenario `netdrill import` writes for a capture.
  public static func importScenario(
    capture path: String, filter: PacketFilter? = nil, options: ImportOptions
  ) throws -> (text: String, importer: ScenarioImporter, conversations: CaptureConversations) {
    let conversations = try CaptureConversations.read(path: path, filter: filter)
    let importer = ScenarioImporter(conversations, options: options)
    let base = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    let name = "import-" + String(base.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" })
    let scenario: OrderedJSON
    do {
      scenario = try importer.scenario(name: name, source: URL(fileURLWithPath: path).lastPathComponent)
    } catch {
      throw ImportTooLarge(capture: path, what: error.what, bytes: error.bytes)
    }
    let text = scenario.pretty() + "\n"
    // The steps were counted without quotes, indentation and the rest: the whole text decides.
    if text.utf8.count > ImportTooLarge.limit {
      throw ImportTooLarge(capture: path, what: "the scenario written from it", bytes: text.utf8.count)
    }
    return (text, importer, conversations)
  }

  public static func replay(
    capture path: String, filter: PacketFilter? = nil, options: ImportOptions, output: String? = nil,
    recordOptions: RecordOptions = .init()
  ) throws -> CaptureReplayResult {
    let imported = try importScenario(capture: path, filter: filter, options: options)
    let scenario: Scenario
    do {
      scenario = try ScenarioParser.parse(data: Array(imported.text.utf8), file: "import of \(path)")
    } catch {
      throw ReplayError.scenarioInTrace(path, String(describing: error))
    }
    let newPath = output ?? Replayer.temporaryTracePath(for: path)
    defer { if output == nil { try? FileManager.default.removeItem(atPath: newPath) } }
    let record = try ScenarioRecorder.record(
      scenario, source: imported.text, to: newPath, runOptions: RunOptions(hostNetwork: false), options: recordOptions)
    // A packet crossing a link is captured at both ends (and at the router):
    // keep it where it was sent, on the host its source address belongs to.
    var hostOf: [IPAddress: String] = [:]
    for (address, host) in imported.importer.network.hosts { hostOf[address] = host }
    let replayed = try CaptureConversations.read(path: newPath) { packet in
      guard !hostOf.isEmpty, let source = packet.decoded.source, let host = hostOf[source] else {
        return hostOf.isEmpty
      }
      return packet.interface.hasPrefix(host + "/")
    }
    // The capture's side: only the conversations the scenario replays.
    var expected = imported.conversations
    expected.events = imported.importer.replayed
    return CaptureReplayResult(
      scenarioText: imported.text, scenario: scenario, record: record,
      comparison: ConversationComparison(
        expected: expected, actual: replayed, freshValues: options.play == .servers && options.program != nil),
      unsupported: imported.conversations.unsupported.merging(imported.importer.excluded, uniquingKeysWith: +),
      capturedSpan: span(expected.events), replayedSpan: span(replayed.events))
  }

  static func span(_ events: [CaptureConversations.TimedEvent]) -> UInt64 {
    guard let first = events.first?.timestampNanoseconds, let last = events.last?.timestampNanoseconds, last > first
    else { return 0 }
    return last - first
  }
}
