import Foundation
import NetDrillEngine
import NetDrillReplay

/// The JSON every command prints with `--json`: pretty, keys sorted and in
/// snake_case, slashes not escaped. Scripts read it, so it changes only on purpose.
public enum JSONOutput {
  public static func encode<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try encoder().encode(value), as: UTF8.self)
  }

  /// The encoder `encode` uses, for output written piece by piece (``StreamedJSONArray``).
  static func encoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return encoder
  }
}

/// `run --json`: every run, and whether all passed.
public struct RunsDocument: Encodable, Sendable {
  public var runs: [RunResult]
  public var passed: Bool
}

/// `show --json`: a trace's manifest and timeline.
public struct ShowDocument: Encodable, Sendable {
  public var manifest: TraceManifest
  public var timeline: [TraceTimeline.Entry]
  /// What `replay --allow-programs` would start; nil when the embedded scenario is invalid.
  public var replayPrograms: [ReplayProgram]?

  public init(manifest: TraceManifest, timeline: [TraceTimeline.Entry], replayPrograms: [ReplayProgram]?) {
    self.manifest = manifest
    self.timeline = timeline
    self.replayPrograms = replayPrograms
  }
}
