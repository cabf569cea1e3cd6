import NetDrillEngine
import NetDrillTrace

/// A trace as a person reads it: step outcomes and packets interleaved in
/// time order, endpoints by name, each packet tied to the step that caused it.
public struct TraceTimeline: Sendable {
  public enum Entry: Sendable, Encodable {
    case step(StepOutcome)
    case packet(TimelinePacket)

    var time: UInt64 {
      switch self {
      case .step(let outcome): return outcome.startNanoseconds
      case .packet(let packet): return packet.timestampNanoseconds
      }
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .step(let outcome): try container.encode(outcome)
      case .packet(let packet): try container.encode(packet)
      }
    }
  }

  public var document: TraceDocument
  public var entries: [Entry]

  /// The timeline of a whole document (``TraceDocument/load(path:options:)``):
  /// for library users and small traces. `netdrill show` streams the same
  /// timeline instead (``StreamedTimeline``).
  public init(document: TraceDocument) {
    self.document = document
    let packets = document.packets.map { entry in
      TimelinePacket(entry.normalized)
    }
    let steps = document.manifest.run.outcomes.map(Entry.step)
    // Stable merge: at equal times a step comes before the packets it caused.
    entries = (steps + packets.map(Entry.packet)).enumerated()
      .sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
      .map(\.element)
  }

  /// The comparison form without payload bytes: `UDP client → $closed len=3`,
  /// `TCP client → server [SYN] seq=0 len=0`,
  /// `ICMP port-unreachable (3/3) 127.0.0.1 → 127.0.0.1 quoting UDP client → $closed len=3`.
  static func summary(_ packet: NormalizedPacket) -> String {
    packet.summary
  }

  /// The readable timeline.
  public func text(style: TextStyle) -> String {
    var text = TimelineText(document: document, style: style)
    return (text.header() + entries.map { text.line($0) } + text.footer(manifest: document.manifest))
      .joined(separator: "\n")
  }

  /// The programs `replay --allow-programs` would start; nil when the embedded scenario is invalid.
  public var replayPrograms: [ReplayProgram]? {
    Self.replayPrograms(document)
  }

  public static func replayPrograms(_ document: TraceDocument) -> [ReplayProgram]? {
    (try? Replayer.scenario(in: document)).map(ReplayProgram.all)
  }
}

/// The timeline's words, line by line: the head (trace, environment,
/// programs a replay would start), one line per step or packet, and the
/// verdicts. Shared by the whole-document and the streamed timeline.
public struct TimelineText {
  private let document: TraceDocument
  private let style: TextStyle
  /// One name table for the whole timeline, not one per step.
  private var symbolizer: EndpointSymbolizer
  // Everything below except netdrill's own words came from the trace, which
  // is untrusted: each string is escaped for the terminal (`TerminalText`).
  private let escape = TerminalText.escape

  public init(document: TraceDocument, style: TextStyle) {
    self.document = document
    self.style = style
    symbolizer = EndpointSymbolizer(names: document.manifest.run.names)
  }

  /// The lines before the first entry.
  public func header() -> [String] {
    let manifest = document.manifest
    let run = manifest.run
    var lines: [String] = []
    lines.append(style.bold("trace \(escape(document.path))") + style.dim("  scenario \(escape(run.scenarioName))"))
    lines.append(
      style.dim(
        escape(
          "  netdrill \(run.environment.toolVersion), Linux \(run.environment.kernelRelease), \(run.environment.network) network, "
            + "\(manifest.packetCount) packets on \(manifest.interfaces.joined(separator: ", ")), $closed = \(run.closedPort)"
        )))
    lines += programLines()
    if manifest.droppedPackets > 0 {
      lines.append(style.red("  ⚠ the capture dropped \(manifest.droppedPackets) packets: this trace is incomplete"))
    }
    return lines
  }

  /// The line of one step or packet.
  public mutating func line(_ entry: TraceTimeline.Entry) -> String {
    let offset = Double(Int64(bitPattern: entry.time &- document.manifest.run.startNanoseconds)) / 1e9
    let time = style.dim(String(format6(offset)))
    switch entry {
    case .step(let outcome):
      let label = outcome.label
      let mark = outcome.checks.isEmpty ? " " : (outcome.passed ? style.green("✓") : style.red("✗"))
      let result = escape(outcome.timelineResult)
      return
        "\(time) \(mark) \(label.padded(6)) \(escape(symbolizer.symbolize(outcome.call)))  → \(outcome.error != nil ? style.yellow(result) : result)"
    case .packet(let packet):
      return "\(time)     \(style.dim(escape(packet.interface).padded(10))) \(escape(packet.summary))"
    }
  }

  /// The lines after the last entry, from `manifest` as it stands then
  /// (its packet checks are only known once every packet went by).
  public mutating func footer(manifest: TraceManifest) -> [String] {
    let run = manifest.run
    var lines: [String] = []
    // Bulk runs the recorder summarised instead of keeping every packet.
    for bulk in manifest.bulk ?? [] {
      let first = format6(Double(Int64(bitPattern: bulk.firstNanoseconds &- run.startNanoseconds)) / 1e9)
      let last = format6(Double(Int64(bitPattern: bulk.lastNanoseconds &- run.startNanoseconds)) / 1e9)
      lines.append(
        style.dim("\(first)     ⋯ ")
          + escape(bulk.description(flow: symbolizer.symbolize(bulk.flow)) + ", until \(last)")
          + style.dim(bulk.step.map { "  (from \(escape($0)))" } ?? ""))
    }
    if let checks = run.packetChecks {
      lines += RunReport.packetLines(checks, match: document.scenario?.packetMatch ?? .inOrder, style: style)
    }
    let verdict = run.passed && manifest.droppedPackets == 0
    lines.append(
      verdict ? style.green("✓ every expectation held") : style.red("✗ \(run.failedChecks) expectation(s) failed"))
    return lines
  }

  /// A warning naming every program a replay would start (replay refuses without --allow-programs).
  private func programLines() -> [String] {
    guard let programs = TraceTimeline.replayPrograms(document) else {
      return [style.yellow("  ⚠ the scenario embedded in this trace is invalid: replay would refuse it")]
    }
    guard !programs.isEmpty else { return [] }
    let count = programs.count == 1 ? "1 program" : "\(programs.count) programs"
    return [style.yellow("  ⚠ a replay would run \(count) on this machine (only with --allow-programs):")]
      + programs.map { "    \($0.summary)" }
  }

  private func format6(_ seconds: Double) -> String {
    let micro = Int64((seconds * 1_000_000).rounded())
    let sign = micro < 0 ? "-" : "+"
    let value = abs(micro)
    let fraction = String(value % 1_000_000)
    return "\(sign)\(value / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
  }
}

/// A packet as the timeline shows it.
public struct TimelinePacket: Sendable, Encodable {
  public var kind: String
  public var interface: String
  public var step: String?
  public var timestampNanoseconds: UInt64
  public var summary: String

  init(_ packet: NormalizedPacket) {
    self.init(
      kind: "packet", interface: packet.interface, step: packet.step,
      timestampNanoseconds: packet.timestampNanoseconds, summary: TraceTimeline.summary(packet))
  }

  public init(kind: String, interface: String, step: String?, timestampNanoseconds: UInt64, summary: String) {
    self.kind = kind
    self.interface = interface
    self.step = step
    self.timestampNanoseconds = timestampNanoseconds
    self.summary = summary
  }
}

extension String {
  func padded(_ width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}
