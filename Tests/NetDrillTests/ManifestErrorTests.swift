import Foundation
import NetDrillReplay
import NetDrillTestSupport
import NetDrillTrace
import Testing

/// A manifest that does not decode is refused with the byte offset of its
/// block, the JSON path and what was expected there, in words — not with
/// Swift's `DecodingError` dump.
@Suite("Malformed manifests name the block's byte offset and what was expected")
struct ManifestErrorTests {
  static let golden = TestPaths.packageRoot.appendingPathComponent("traces/udp/connected-closed-port.pcapng")

  /// The golden with `old` replaced by `new` in its manifest JSON, written to a file.
  static func variant(_ old: String, _ new: String) throws -> (path: String, blockOffset: Int) {
    let trace = Array(try Data(contentsOf: golden))
    let block = try #require(Mutant.manifestBlock(trace))
    let json = String(decoding: block.json, as: UTF8.self)
    #expect(json.contains(old))
    let changed = try #require(
      Mutant.replacingManifest(trace, with: Array(json.replacingOccurrences(of: old, with: new).utf8)))
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString).pcapng")
      .path
    try Data(changed).write(to: URL(fileURLWithPath: path))
    return (path, block.start)
  }

  static func refusal(_ path: String) -> TraceError? {
    defer { unlink(path) }
    do {
      _ = try TraceDocument.load(path: path)
      return nil
    } catch {
      return error as? TraceError
    }
  }

  @Test func aValueOfTheWrongKind() throws {
    let (path, offset) = try Self.variant(#""packet_count":"#, #""packet_count":"many","ignored":"#)
    let error = try #require(Self.refusal(path))
    #expect(error.byteOffset == UInt64(offset))
    #expect(
      error.message.hasPrefix(
        "netdrill manifest block (pcapng custom block): at $.packet_count: expected an integer, found a string (manifest line 1, column "
      ), "\(error)")
  }

  @Test func aMissingKey() throws {
    let (path, offset) = try Self.variant(#""packet_count""#, #""packet_total""#)
    let error = try #require(Self.refusal(path))
    #expect(error.byteOffset == UInt64(offset))
    #expect(error.message == #"netdrill manifest block (pcapng custom block): at $: missing key "packet_count""#)
  }

  @Test func brokenJSON() throws {
    let (path, offset) = try Self.variant(#""packet_count":"#, #""packet_count"::"#)
    let error = try #require(Self.refusal(path))
    #expect(error.byteOffset == UInt64(offset))
    #expect(error.message.contains("malformed JSON at line 1, column "), "\(error)")
    #expect(!error.message.contains("DecodingError"))
  }

  @Test func anotherFormatVersion() throws {
    let (path, offset) = try Self.variant(#""netdrill_trace":1"#, #""netdrill_trace":7"#)
    let error = try #require(Self.refusal(path))
    #expect(error.byteOffset == UInt64(offset))
    #expect(error.message.hasSuffix("at $.netdrill_trace: expected trace format version 1, found 7"))
  }

  /// A capture without netdrill's block is refused at the end of the file, where the block was expected.
  @Test func noManifestAtAll() throws {
    let trace = Array(try Data(contentsOf: Self.golden))
    let block = try #require(Mutant.manifestBlock(trace))
    let cut = Array(trace[..<block.start]) + Array(trace[(block.start + block.length)...])
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nomanifest-\(UUID().uuidString).pcapng")
      .path
    try Data(cut).write(to: URL(fileURLWithPath: path))
    let error = try #require(Self.refusal(path))
    #expect(error.byteOffset == UInt64(cut.count))
    #expect(error.message.hasPrefix("the trace ends without a netdrill manifest"))
  }
}
