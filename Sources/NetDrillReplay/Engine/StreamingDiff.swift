import Glibc
import NetDrillCapture
import NetDrillEngine
import NetDrillTrace

/// Compares two traces while reading both once, side by side: the same
/// comparison as ``TraceDiff`` (packets normalized by ``PacketNormalizer``,
/// in order within each flow and free across flows; outcomes from the
/// manifests), in memory bounded by how far the two traces drift apart.
///
/// Each flow keeps a queue per side. While the heads of a flow's queues are
/// equal they are matched and dropped at once, which is exactly the common
/// prefix ``TraceDiff/align(_:_:)`` trims; from the first mismatch on, that
/// flow's remaining packets are kept and aligned at the end. Two traces of
/// the same behaviour therefore hold only the packets one has read ahead
/// of the other.
public struct StreamingDiff {
  /// One flow's state (per interface, as ``TraceDiff`` compares).
  private struct FlowState {
    var expected = PacketQueue()
    var actual = PacketQueue()
    /// Packets of each side matched (or consumed) so far: the index base of the queues.
    var expectedMatched = 0
    var actualMatched = 0
    /// The last packet matched, shown as context for the next difference.
    var previous: String?
    var diverged = false
    var expectedOrder: Int?
    var actualOrder: Int?
    /// `flow … on …`, where its differences are reported.
    var location: String
  }

  private let options: DiffOptions
  /// Every flow's state, in order of first appearance in either trace.
  private var flows: [FlowState] = []
  /// Where each flow's state is, by its location. Looked up for every packet.
  private var flowIndex = FlowIndex()
  private var expectedFlowCount = 0
  private var actualFlowCount = 0
  private var timingDifferences: [String: [TraceDifference]] = [:]
  private let expectedStart: UInt64?
  private let actualStart: UInt64?
  private var firstTimestamps: (UInt64?, UInt64?) = (nil, nil)

  init(options: DiffOptions, expectedStart: UInt64?, actualStart: UInt64?) {
    self.options = options
    self.expectedStart = expectedStart
    self.actualStart = actualStart
  }

  /// Compares the traces at two paths.
  public static func compare(
    expectedPath: String, actualPath: String, options: DiffOptions = .init(), filter: PacketFilter? = nil
  ) throws -> TraceDiffResult {
    let expected = try TraceSource(path: expectedPath, filter: filter)
    let actual = try TraceSource(path: actualPath, filter: filter)
    var diff = StreamingDiff(
      options: options, expectedStart: expected.manifest?.run.startNanoseconds,
      actualStart: actual.manifest?.run.startNanoseconds)
    var expectedNormalizer = PacketNormalizer(
      names: expected.manifest?.run.names ?? [:], options: options.normalization)
    var actualNormalizer = PacketNormalizer(names: actual.manifest?.run.names ?? [:], options: options.normalization)
    let keepHousekeeping = options.normalization.compares("housekeeping")
    var expectedOpen = true
    var actualOpen = true
    // One packet from each side in turn: the traces are read once, together.
    while expectedOpen || actualOpen {
      if expectedOpen {
        if let packet = try expected.stream.next() {
          if keepHousekeeping || !packet.decoded.isHousekeeping {
            diff.add(normalize(packet, &expectedNormalizer), expected: true)
          }
        } else {
          expectedOpen = false
        }
      }
      if actualOpen {
        if let packet = try actual.stream.next() {
          if keepHousekeeping || !packet.decoded.isHousekeeping {
            diff.add(normalize(packet, &actualNormalizer), expected: false)
          }
        } else {
          actualOpen = false
        }
      }
    }
    let packetDifferences = diff.finish()
    let comparedPackets = max(expected.stream.packetsPassed, actual.stream.packetsPassed)
    guard let expectedManifest = expected.manifest, let actualManifest = actual.manifest else {
      var notes: [String] = []
      if (expected.manifest == nil) != (actual.manifest == nil) {
        notes.append("only one of the traces is netdrill's: step outcomes are not compared, packets are")
      }
      return TraceDiffResult(
        expectedPath: expectedPath, actualPath: actualPath, differences: packetDifferences, comparedSteps: 0,
        comparedPackets: comparedPackets, notes: notes)
    }
    // Outcomes, the embedded scenario and capture drops live in the manifests (small):
    // the whole-trace comparison does them, over documents without packets.
    var result = TraceDiff.compare(
      expected: TraceDocument(path: expectedPath, manifest: expectedManifest, packets: []),
      actual: TraceDocument(path: actualPath, manifest: actualManifest, packets: []), options: options)
    // Over documents without packets, its packet differences are the summarised bulk runs' (manifest):
    // they go after the streamed packets' differences, in the whole-trace diff's order.
    let bulk = result.differences.filter { $0.kind == .packet }
    let capture = result.differences.filter { $0.kind == .capture }
    result.differences =
      result.differences.filter { $0.kind != .capture && $0.kind != .packet } + packetDifferences + bulk + capture
    result.comparedPackets = comparedPackets
    return result
  }

  private static func normalize(_ packet: StreamedPacket, _ normalizer: inout PacketNormalizer) -> NormalizedPacket {
    normalizer.normalize(
      packet.decoded, interface: packet.interface, step: packet.record.comment,
      timestamp: packet.record.timestampNanoseconds)
  }

  /// Takes the next packet of one side.
  mutating func add(_ packet: NormalizedPacket, expected: Bool) {
    if expected, firstTimestamps.0 == nil { firstTimestamps.0 = packet.timestampNanoseconds }
    if !expected, firstTimestamps.1 == nil { firstTimestamps.1 = packet.timestampNanoseconds }
    let key = options.strictOrder ? "all packets" : "flow \(packet.flow) on \(packet.interface)"
    let index = flowIndex.index(of: key) {
      flows.append(FlowState(location: key))
      return flows.count - 1
    }
    // Taken out while it changes (an empty state in its place allocates nothing),
    // so its queues stay uniquely referenced and grow in place.
    var state = flows[index]
    flows[index] = FlowState(location: key)
    state.location = key  // as a dictionary keeps the spelling last stored
    if expected {
      if state.expectedOrder == nil {
        state.expectedOrder = expectedFlowCount
        expectedFlowCount += 1
      }
      state.expected.append(packet)
    } else {
      if state.actualOrder == nil {
        state.actualOrder = actualFlowCount
        actualFlowCount += 1
      }
      state.actual.append(packet)
    }
    if !state.diverged { matchHeads(&state, location: key) }
    flows[index] = state
  }

  /// Matches equal heads; the first unequal pair marks the flow diverged.
  private mutating func matchHeads(_ state: inout FlowState, location: String) {
    while let left = state.expected.first, let right = state.actual.first {
      guard Self.sameText(left.text, right.text) else {
        state.diverged = true
        return
      }
      if let difference = timing(left, right, index: state.expectedMatched, location: location) {
        timingDifferences[location, default: []].append(difference)
      }
      state.previous = TraceDiff.display(left)
      state.expected.removeFirst()
      state.actual.removeFirst()
      state.expectedMatched += 1
      state.actualMatched += 1
    }
  }

  /// `a == b`, with equal bytes (the common case) settled without
  /// String's canonical-equivalence comparison, which non-ASCII text (`→`) makes slow.
  private static func sameText(_ a: String, _ b: String) -> Bool {
    sameBytes(a, b) || a == b
  }

  /// Whether two strings have the same UTF-8 bytes (one `memcmp`).
  static func sameBytes(_ a: String, _ b: String) -> Bool {
    var a = a
    var b = b
    return a.withUTF8 { x in
      b.withUTF8 { y in
        x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
      }
    }
  }

  private func timing(_ left: NormalizedPacket, _ right: NormalizedPacket, index: Int, location: String)
    -> TraceDifference?
  {
    guard let tolerance = options.timingTolerance else { return nil }
    let wantStart = expectedStart ?? firstTimestamps.0 ?? 0
    let gotStart = actualStart ?? firstTimestamps.1 ?? 0
    let want = Int64(bitPattern: left.timestampNanoseconds &- wantStart)
    let got = Int64(bitPattern: right.timestampNanoseconds &- gotStart)
    guard abs(want - got) > tolerance.nanoseconds else { return nil }
    return TraceDifference(
      kind: .packet, location: "\(location), packet \(index + 1)", field: "timing",
      expected: TraceDiff.milliseconds(want), actual: TraceDiff.milliseconds(got), context: TraceDiff.display(left))
  }

  /// Aligns what is left in every flow and returns all packet differences,
  /// flows in order of first appearance in the expected trace, then the actual's.
  mutating func finish() -> [TraceDifference] {
    let ordered = flows.sorted { a, b in
      let left = (a.expectedOrder ?? expectedFlowCount + (a.actualOrder ?? 0))
      let right = (b.expectedOrder ?? expectedFlowCount + (b.actualOrder ?? 0))
      return left < right
    }
    var differences: [TraceDifference] = []
    for state in ordered {
      let location = state.location
      differences += timingDifferences[location] ?? []
      guard !state.expected.isEmpty || !state.actual.isEmpty else { continue }
      differences += remaining(state, location: location)
    }
    return differences
  }

  /// The differences in a flow's unmatched packets, reported as ``TraceDiff`` does.
  private func remaining(_ state: FlowState, location: String) -> [TraceDifference] {
    let left = state.expected.elements
    let right = state.actual.elements
    let leftBase = state.expectedMatched
    return TraceDiff.packetDifferences(
      left, right, location: location, leftBase: leftBase, rightBase: state.actualMatched, previous: state.previous
    ) { i, j in
      timing(left[i], right[j], index: leftBase + i, location: location)
    }
  }

}

/// Flow locations to indices, keyed as `String` compares (canonical
/// equivalence) but found, for a location seen before in the same bytes,
/// by hashing its bytes: hashing non-ASCII text (`→`, `⇄`) canonically
/// costs more than the rest of matching a packet.
struct FlowIndex {
  /// A string hashed and compared by its UTF-8 bytes.
  private struct Bytes: Hashable {
    let text: String
    func hash(into hasher: inout Hasher) {
      var text = text
      text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
    static func == (a: Bytes, b: Bytes) -> Bool { StreamingDiff.sameBytes(a.text, b.text) }
  }

  private var byBytes: [Bytes: Int] = [:]
  private var byText: [String: Int] = [:]

  /// The index of `location`, or `add()`'s for a location not seen before.
  mutating func index(of location: String, add: () -> Int) -> Int {
    if let index = byBytes[Bytes(text: location)] { return index }
    // New bytes: maybe a location seen before, spelt in other but equivalent code points.
    let index = byText[location] ?? add()
    byText[location] = index
    byBytes[Bytes(text: location)] = index
    return index
  }
}

/// A FIFO of normalized packets: appends at the back, removals at the front
/// in O(1) amortised (the consumed prefix is dropped once it is half the storage).
struct PacketQueue {
  private var storage: [NormalizedPacket] = []
  private var head = 0

  var isEmpty: Bool { head == storage.count }
  var first: NormalizedPacket? { isEmpty ? nil : storage[head] }
  var elements: [NormalizedPacket] { Array(storage[head...]) }

  mutating func append(_ packet: NormalizedPacket) { storage.append(packet) }

  mutating func removeFirst() {
    head += 1
    if head == storage.count {
      storage.removeAll(keepingCapacity: true)
      head = 0
    } else if head > 64 && head * 2 > storage.count {
      storage.removeFirst(head)
      head = 0
    }
  }
}
