import NetDrillEngine
import NetDrillScenario
import NetDrillTrace

/// A netdrill trace read back: its manifest and, from ``load(path:options:)``,
/// its packets, decoded and normalized.
///
/// Holding every packet is for small traces and library users; the commands
/// (`show`, `diff`, `replay`, `check`) stream packets instead and use a
/// document without packets (``scan(path:)``, ``init(path:manifest:)``).
public struct TraceDocument: Sendable {
  public var path: String
  public var manifest: TraceManifest
  public var packets: [TracePacketEntry]
  /// The scenario embedded in the manifest, parsed; nil when it does not parse.
  public var scenario: Scenario?

  /// A document of the manifest alone, its embedded scenario parsed.
  public init(path: String, manifest: TraceManifest) {
    self.init(path: path, manifest: manifest, packets: [])
    scenario = try? ScenarioParser.parse(
      data: Array(manifest.scenarioSource.utf8), file: manifest.scenarioPath ?? "\(path) (embedded scenario)")
  }

  public init(path: String, manifest: TraceManifest, packets: [TracePacketEntry]) {
    self.path = path
    self.manifest = manifest
    self.packets = packets
  }

  /// Reads `path` whole. Throws `TraceError` — naming the byte offset, the block
  /// and what was expected — for a corrupt file, a capture without a netdrill
  /// manifest, or a manifest that does not decode.
  public static func load(path: String, options: NormalizationOptions = .init()) throws -> TraceDocument {
    let reader = try TraceReader(path: path)
    var interfaces: [UInt32: String] = [:]
    var manifestBlock: (bytes: [UInt8], byteOffset: UInt64)?
    var raw: [(TracePacket, String)] = []
    while let record = try reader.next() {
      switch record {
      case .interface(let info): interfaces[info.id] = info.name ?? "if\(info.id)"
      case .packet(let packet): raw.append((packet, interfaces[packet.interfaceID] ?? "if\(packet.interfaceID)"))
      case .manifest(let bytes, let byteOffset): manifestBlock = (bytes, byteOffset)
      default: break
      }
    }
    guard let manifestBlock else { throw missingManifest(path: path, byteOffset: reader.byteOffset) }
    let manifest = try decodeManifest(manifestBlock.bytes, path: path, byteOffset: manifestBlock.byteOffset)
    var normalizer = PacketNormalizer(names: manifest.run.names, options: options)
    let packets = raw.map { packet, interface in
      let decoded = PacketDecoder.decode(packet)
      return TracePacketEntry(
        decoded: decoded,
        normalized: normalizer.normalize(
          decoded, interface: interface, step: packet.comment, timestamp: packet.timestampNanoseconds))
    }
    var document = TraceDocument(path: path, manifest: manifest)
    document.packets = packets
    var recheck = PacketRecheck(document: document)
    for entry in packets {
      recheck?.consume(
        entry.decoded, interface: entry.normalized.interface,
        timestampNanoseconds: entry.normalized.timestampNanoseconds)
    }
    recheck?.finish(into: &document.manifest)
    return document
  }

  /// Reads `path` once to the end without keeping any packet, so a corrupt
  /// trace is refused as ``load(path:options:)`` refuses it (same errors), and
  /// returns the document of its manifest, without packets. The manifest is
  /// the one netdrill wrote last (``TrailingManifest``). For what must not
  /// start on a broken trace: a replay runs only after this.
  public static func scan(path: String) throws -> TraceDocument {
    let reader = try TraceReader(path: path)
    var sawManifest = false
    while let record = try reader.next() {
      if case .manifest = record { sawManifest = true }
    }
    guard sawManifest, let block = try TrailingManifest.find(path: path) else {
      throw missingManifest(path: path, byteOffset: reader.byteOffset)
    }
    return TraceDocument(path: path, manifest: try decodeManifest(block.json, path: path, byteOffset: block.byteOffset))
  }

  static func missingManifest(path: String, byteOffset: UInt64) -> TraceError {
    TraceError(
      path: path, byteOffset: byteOffset,
      message:
        "the trace ends without a netdrill manifest (a pcapng custom block of netdrill's): not a netdrill trace, or cut short"
    )
  }

  static func decodeManifest(_ bytes: [UInt8], path: String, byteOffset: UInt64) throws -> TraceManifest {
    let manifest: TraceManifest
    do {
      manifest = try TraceManifest.decode(bytes)
    } catch {
      throw TraceError(
        path: path, byteOffset: byteOffset, message: "netdrill manifest block (pcapng custom block): \(error)")
    }
    guard manifest.netdrillTrace == TraceManifest.formatVersion else {
      throw TraceError(
        path: path, byteOffset: byteOffset,
        message:
          "netdrill manifest block (pcapng custom block): at $.netdrill_trace: expected trace format version \(TraceManifest.formatVersion), found \(manifest.netdrillTrace)"
      )
    }
    return manifest
  }
}

/// The embedded scenario's `expect_packets` checked again against a trace's
/// own packets, fed one at a time, so `show` tells the truth about a trace
/// whatever wrote it. Memory is the matcher's: never the packets.
public struct PacketRecheck {
  private var matcher: PacketExpectationMatcher
  private let droppedPackets: UInt64

  /// Nil when the document's scenario has no packet expectations (or does not parse):
  /// the manifest's own packet checks then stand.
  public init?(document: TraceDocument) {
    guard let scenario = document.scenario, !scenario.expectedPackets.isEmpty else { return nil }
    matcher = PacketExpectationMatcher(scenario: scenario, run: document.manifest.run)
    droppedPackets = document.manifest.droppedPackets
  }

  public mutating func consume(_ packet: DecodedPacket, interface: String, timestampNanoseconds: UInt64) {
    matcher.consume(packet, interface: interface, timestampNanoseconds: timestampNanoseconds)
  }

  /// After the last packet: the verdicts replace the manifest's packet checks.
  public func finish(into manifest: inout TraceManifest) {
    manifest.run.packetChecks = matcher.finish() + PacketCheck.completeCapture(droppedPackets: droppedPackets)
  }

  /// Runs the check over the packets of `path` in one pass (for output that
  /// must name the verdicts before it lists the packets: `show --json`).
  public static func run(path: String, into document: inout TraceDocument) throws {
    guard var recheck = PacketRecheck(document: document) else { return }
    let stream = try PacketStream(path: path)
    while let packet = try stream.next() {
      recheck.consume(
        packet.decoded, interface: packet.interface, timestampNanoseconds: packet.record.timestampNanoseconds)
    }
    recheck.finish(into: &document.manifest)
  }
}

/// One packet of a trace, decoded and normalized.
public struct TracePacketEntry: Sendable {
  public var decoded: DecodedPacket
  public var normalized: NormalizedPacket
}

/// Problems with traces, replays and suites (exit code 2).
public enum ReplayError: Error, CustomStringConvertible, Sendable {
  case scenarioInTrace(String, String)
  /// Replaying would start these programs and `--allow-programs` was not given.
  case programsNotAllowed(String, [ReplayProgram])

  public var description: String {
    switch self {
    case .scenarioInTrace(let path, let detail):
      return "\(path): the scenario embedded in the trace is invalid: \(detail)"
    case .programsNotAllowed(let path, let programs):
      let count = programs.count == 1 ? "1 program" : "\(programs.count) programs"
      return
        "\(path): replaying this trace would run \(count) on this machine, as you, with your files; "
        + "a trace can come from anyone, so replay runs none unless told to:\n"
        + programs.map { "  \($0.summary)\n" }.joined()
        + "If you trust these commands, replay with --allow-programs."
    }
  }
}
