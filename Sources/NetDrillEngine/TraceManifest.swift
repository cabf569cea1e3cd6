import Foundation
import NetDrillCapture
import NetDrillScenario

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
  /// Runs of bulk traffic summarised instead of written (``BulkFolding``);
  /// nil when none was (so traces of small exchanges are unchanged).
  public var bulk: [BulkRun]?

  public init(
    scenarioSource: String, scenarioPath: String?, run: RunResult, interfaces: [String],
    capture: [CaptureStatistics], packetCount: Int, bulk: [BulkRun]? = nil
  ) {
    self.netdrillTrace = Self.formatVersion
    self.scenarioSource = scenarioSource
    self.scenarioPath = scenarioPath
    self.run = run
    self.interfaces = interfaces
    self.capture = capture
    self.packetCount = packetCount
    self.bulk = bulk?.isEmpty == true ? nil : bulk
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

  /// Reads a manifest's JSON. Manifests come from traces others wrote, so every
  /// problem is told in plain words with its place: line:column for JSON that
  /// does not parse, the JSON path for a value of the wrong kind or a missing key.
  public static func decode(_ bytes: [UInt8]) throws(TraceManifestError) -> TraceManifest {
    // The strict reader first: it says where the JSON breaks, which
    // JSONDecoder does not, and refuses duplicate keys it would let through.
    let root: JSONValue
    do {
      root = try JSONValue.parse(bytes)
    } catch {
      throw TraceManifestError(
        path: error.path,
        message: "malformed JSON at line \(error.position.line), column \(error.position.column): \(error.message)")
    }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    do {
      return try decoder.decode(TraceManifest.self, from: Data(bytes))
    } catch let error as DecodingError {
      throw TraceManifestError(error, root: root)
    } catch {
      throw TraceManifestError(path: JSONPath.root, message: "\(error)")
    }
  }
}

/// Why a manifest's JSON does not describe a run: where (a JSON path like
/// `$.run.steps[2].returns`) and what was expected there.
public struct TraceManifestError: Error, Sendable, CustomStringConvertible {
  public var path: String
  public var message: String

  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  /// `DecodingError` in words, with the coding path as the JSON path of the
  /// manifest and, from the parsed `root`, what was found there and where.
  init(_ error: DecodingError, root: JSONValue) {
    func place(_ codingPath: [any CodingKey]) -> String {
      codingPath.reduce(JSONPath.root) { path, key in
        if let index = key.intValue { return JSONPath.appending(path, index: index) }
        return JSONPath.appending(path, key: Self.snakeCase(key.stringValue))
      }
    }
    /// The value at `codingPath` in the parsed JSON, if it is there.
    func value(at codingPath: [any CodingKey]) -> JSONValue? {
      var current: JSONValue? = root
      for key in codingPath {
        if let index = key.intValue, case .array(let elements)? = current?.content {
          current = elements.indices.contains(index) ? elements[index] : nil
        } else {
          current = current?[Self.snakeCase(key.stringValue)]
        }
      }
      return current
    }
    func found(_ codingPath: [any CodingKey]) -> String {
      guard let value = value(at: codingPath) else { return "" }
      return ", found \(value.kindDescription) (manifest line \(value.position.line), column \(value.position.column))"
    }
    switch error {
    case .keyNotFound(let key, let context):
      self.init(
        path: place(context.codingPath), message: "missing key \(JSONPath.quoted(Self.snakeCase(key.stringValue)))")
    case .valueNotFound(let type, let context):
      self.init(path: place(context.codingPath), message: "expected \(Self.kind(type))\(found(context.codingPath))")
    case .typeMismatch(let type, let context):
      self.init(path: place(context.codingPath), message: "expected \(Self.kind(type))\(found(context.codingPath))")
    case .dataCorrupted(let context):
      self.init(
        path: place(context.codingPath),
        message: "invalid value\(found(context.codingPath)): \(context.debugDescription)")
    @unknown default:
      self.init(path: JSONPath.root, message: "\(error)")
    }
  }

  public var description: String { "at \(path): \(message)" }

  /// `packetCount` → `packet_count`: the manifest's keys as written in the file.
  static func snakeCase(_ key: String) -> String {
    var result = ""
    for character in key {
      if character.isUppercase {
        if !result.isEmpty { result += "_" }
        result += character.lowercased()
      } else {
        result.append(character)
      }
    }
    return result
  }

  /// What a Swift type is called in JSON terms.
  static func kind(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Bool.Type: return "true or false"
    case is Double.Type, is Float.Type: return "a number"
    case is Int.Type, is Int64.Type, is Int32.Type, is UInt64.Type, is UInt32.Type, is UInt16.Type, is UInt8.Type:
      return "an integer"
    default:
      let name = "\(type)"
      if name.hasPrefix("Array") { return "an array" }
      if name.hasPrefix("Dictionary") { return "an object" }
      return "a value of type \(name)"
    }
  }
}
