import NetDrillEngine
import NetDrillScenario
import NetDrillTrace

/// A netdrill trace read back: its manifest and its packets, decoded and
/// normalized. Packets are streamed from the file; only their normalized
/// form (one short line each) is kept.
public struct TraceDocument: Sendable {
  public var path: String
  public var manifest: TraceManifest
  public var packets: [TracePacketEntry]
  /// The scenario embedded in the manifest, parsed; nil when it does not parse.
  public var scenario: Scenario?

  /// Reads `path`. Throws `TraceError` — naming the byte offset, the block
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
    guard let manifestBlock else {
      throw TraceError(
        path: path, byteOffset: reader.byteOffset,
        message:
          "the trace ends without a netdrill manifest (a pcapng custom block of netdrill's): not a netdrill trace, or cut short"
      )
    }
    let manifest: TraceManifest
    do {
      manifest = try TraceManifest.decode(manifestBlock.bytes)
    } catch {
      throw TraceError(
        path: path, byteOffset: manifestBlock.byteOffset,
        message: "netdrill manifest block (pcapng custom block): \(error)")
    }
    guard manifest.netdrillTrace == TraceManifest.formatVersion else {
      throw TraceError(
        path: path, byteOffset: manifestBlock.byteOffset,
        message:
          "netdrill manifest block (pcapng custom block): at $.netdrill_trace: expected trace format version \(TraceManifest.formatVersion), found \(manifest.netdrillTrace)"
      )
    }
    var normalizer = PacketNormalizer(names: manifest.run.names, options: options)
    let packets = raw.map { packet, interface in
      let decoded = PacketDecoder.decode(packet)
      return TracePacketEntry(
        decoded: decoded,
        normalized: normalizer.normalize(
          decoded, interface: interface, step: packet.comment, timestamp: packet.timestampNanoseconds))
    }
    var document = TraceDocument(path: path, manifest: manifest, packets: packets)
    document.scenario = try? ScenarioParser.parse(
      data: Array(manifest.scenarioSource.utf8), file: manifest.scenarioPath ?? "\(path) (embedded scenario)")
    document.checkExpectedPackets()
    return document
  }

  /// Checks the embedded scenario's `expect_packets` against this trace's own
  /// packets, so `show` tells the truth about a trace whatever wrote it.
  private mutating func checkExpectedPackets() {
    guard let scenario, !scenario.expectedPackets.isEmpty else { return }
    var matcher = PacketExpectationMatcher(scenario: scenario, run: manifest.run)
    for entry in packets {
      matcher.consume(
        entry.decoded, interface: entry.normalized.interface, timestampNanoseconds: entry.normalized.timestampNanoseconds)
    }
    manifest.run.packetChecks =
      matcher.finish() + PacketCheck.completeCapture(droppedPackets: manifest.droppedPackets)
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
