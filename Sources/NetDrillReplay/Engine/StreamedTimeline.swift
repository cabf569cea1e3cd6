import NetDrillCapture
import NetDrillEngine
import NetDrillTrace

/// The timeline of a netdrill trace (``TraceTimeline``), one entry at a
/// time: step outcomes from the manifest (found at the end of the file
/// first, ``TraceSource``) merged by time with the packets as they are read.
/// Memory holds the manifest and one packet, never the trace's packets.
///
/// netdrill writes packets in timestamp order, so merging them as read with
/// the steps (sorted, a step first at equal times) gives the order of the
/// whole-document timeline's stable sort. A trace whose packets are out of
/// order shows them in file order.
public struct StreamedTimeline {
  /// The trace's manifest; once ``next()`` returned nil, with its packet
  /// checks done again over the packets (``PacketRecheck``).
  public private(set) var document: TraceDocument
  private let steps: [StepOutcome]
  private var nextStep = 0
  private let stream: PacketStream
  private var normalizer: PacketNormalizer
  /// The bytes of the packet being summarised, storage reused from packet to packet.
  private var summaryText = PacketText()
  private var recheck: PacketRecheck?
  /// The packet read but not yet handed out (a step came before it).
  private var pending: TimelinePacket?
  private var packetsEnded = false

  /// - Parameter recheck: check the scenario's packet expectations against the
  ///   packets on the way (false when the caller did that already).
  public init(path: String, document: TraceDocument, recheck: Bool = true) throws {
    self.document = document
    // Stable: steps at one time keep their order.
    steps = document.manifest.run.outcomes.enumerated()
      .sorted { ($0.element.startNanoseconds, $0.offset) < ($1.element.startNanoseconds, $1.offset) }
      .map(\.element)
    stream = try PacketStream(path: path)
    normalizer = PacketNormalizer(names: document.manifest.run.names)
    self.recheck = recheck ? PacketRecheck(document: document) : nil
  }

  /// The next step or packet in time order; nil after the last.
  public mutating func next() throws -> TraceTimeline.Entry? {
    if pending == nil, !packetsEnded { pending = try readPacket() }
    if nextStep < steps.count, pending.map({ steps[nextStep].startNanoseconds <= $0.timestampNanoseconds }) ?? true {
      nextStep += 1
      return .step(steps[nextStep - 1])
    }
    guard let packet = pending else { return nil }
    pending = nil
    return .packet(packet)
  }

  private mutating func readPacket() throws -> TimelinePacket? {
    guard let packet = try stream.next() else {
      packetsEnded = true
      recheck?.finish(into: &document.manifest)
      recheck = nil
      return nil
    }
    let time = packet.record.timestampNanoseconds
    recheck?.consume(packet.decoded, interface: packet.interface, timestampNanoseconds: time)
    // A timeline line shows the summary only: the compared fields are not worked out.
    normalizer.writeSummary(packet.decoded, into: &summaryText)
    return TimelinePacket(
      kind: "packet", interface: packet.interface, step: packet.record.comment, timestampNanoseconds: time,
      summary: String(decoding: summaryText.summary, as: UTF8.self))
  }

  /// `netdrill show` of a netdrill trace as text, written to `buffer` line by line.
  public static func writeText(path: String, manifest: TraceManifest, style: TextStyle, to buffer: OutputBuffer)
    throws
  {
    var timeline = try StreamedTimeline(path: path, document: TraceDocument(path: path, manifest: manifest))
    var text = TimelineText(document: timeline.document, style: style)
    for line in text.header() { buffer.line(line) }
    while let entry = try timeline.next() { buffer.line(text.line(entry)) }
    for line in text.footer(manifest: timeline.document.manifest) { buffer.line(line) }
  }
}
