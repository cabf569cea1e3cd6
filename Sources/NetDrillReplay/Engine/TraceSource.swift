import NetDrillCapture
import NetDrillEngine
import NetDrillTrace

/// A trace opened for streaming: its netdrill manifest when it has one
/// (found at the end of the file before any packet is read), and its packets.
public struct TraceSource {
  public var path: String
  /// `nil` for a foreign capture.
  public var manifest: TraceManifest?
  public var stream: PacketStream

  public init(path: String, filter: PacketFilter? = nil) throws {
    self.path = path
    manifest = try Self.manifest(path: path)
    stream = try PacketStream(path: path, filter: filter)
  }

  /// The manifest at the end of `path`, decoded, or `nil` when the file
  /// has none. A manifest that does not decode is an error naming its offset.
  public static func manifest(path: String) throws -> TraceManifest? {
    guard let block = try TrailingManifest.find(path: path) else { return nil }
    return try TraceDocument.decodeManifest(block.json, path: path, byteOffset: block.byteOffset)
  }
}
