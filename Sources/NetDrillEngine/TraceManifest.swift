import Foundation
import NetDrillCapture

/// What a trace carries besides its packets, so it can be shown, replayed and
/// diffed on its own: the scenario as run (its source text, byte for byte),
/// every step's outcome, the address → name map, capture statistics and the
/// environment. Stored as JSON in a pcapng custom block.
public struct TraceManifest: Codable, Sendable {
  /// The manifest format this build writes and reads.
  public static let formatVersion = 1

  public var netdrillTrace: Int
  /// The scenario file's text, exactly as read.
  public var scenarioSource: String
  public var scenarioPath: String?
  public var run: RunResult
  /// Interface names in trace order (`local/lo`).
  public var interfaces: [String]
  public var capture: [CaptureStatistics]
  public var packetCount: Int

  public init(
    scenarioSource: String, scenarioPath: String?, run: RunResult, interfaces: [String],
    capture: [CaptureStatistics], packetCount: Int
  ) {
    self.netdrillTrace = Self.formatVersion
    self.scenarioSource = scenarioSource
    self.scenarioPath = scenarioPath
    self.run = run
    self.interfaces = interfaces
    self.capture = capture
    self.packetCount = packetCount
  }

  /// Packets the capture lost in the kernel or on the interface.
  public var droppedPackets: UInt64 {
    capture.reduce(0) { $0 + UInt64($1.dropped) + UInt64($1.interfaceDropped) }
  }

  public func encoded() throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return Array(try encoder.encode(self))
  }

  public static func decode(_ bytes: [UInt8]) throws -> TraceManifest {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(TraceManifest.self, from: Data(bytes))
  }
}
