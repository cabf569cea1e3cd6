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
    /// The last packet matched, shown as context for the next difference (if one comes).
    var previous: HeldPacket?
    var diverged = false
    var expectedOrder: Int?
    var actualOrder: Int?
    /// `flow … on …`, where its differences are reported.
    var location: String

    /// Matches equal heads; the first unequal pair marks the flow diverged.
    mutating func matchHeads(judge: TimingJudge, timings: inout [String: [TraceDifference]]) {
      while let left = expected.first, let right = actual.first {
        guard left.hasSameText(as: right) else {
          diverged = true
          return
        }
        actual.removeFirst()
        matchExpectedHead(left, actualTimestamp: right.timestampNanoseconds, judge: judge, timings: &timings)
      }
    }

    /// Matches an actual packet with the expected head at once, without holding it, when
    /// nothing else waits: the common case of two alike traces read in turn (no copy of its text).
    mutating func matchAtOnce(
      _ text: PacketText, timestamp: UInt64, judge: TimingJudge, timings: inout [String: [TraceDifference]]
    ) -> Bool {
      guard !diverged, actual.isEmpty, let left = expected.first, left.hasSameText(as: text) else { return false }
      matchExpectedHead(left, actualTimestamp: timestamp, judge: judge, timings: &timings)
      return true
    }

    /// Drops the expected head `left`, matched by an actual packet stamped `actualTimestamp`.
    private mutating func matchExpectedHead(
      _ left: HeldPacket, actualTimestamp: UInt64, judge: TimingJudge, timings: inout [String: [TraceDifference]]
    ) {
      if let difference = judge.difference(left, actualTimestamp, index: expectedMatched, location: location) {
        timings[location, default: []].append(difference)
      }
      previous = left
      expected.removeFirst()
      expectedMatched += 1
      actualMatched += 1
    }
  }

  /// Judges the timing of a matched pair of packets, as offsets from each run's start.
  struct TimingJudge {
    let tolerance: Duration?
    let expectedStart: UInt64
    let actualStart: UInt64

    func difference(_ left: HeldPacket, _ actualTimestamp: UInt64, index: Int, location: String) -> TraceDifference?
    {
      guard let tolerance else { return nil }
      let want = Int64(bitPattern: left.timestampNanoseconds &- expectedStart)
      let got = Int64(bitPattern: actualTimestamp &- actualStart)
      guard abs(want - got) > tolerance.nanoseconds else { return nil }
      return TraceDifference(
        kind: .packet, location: "\(location), packet \(index + 1)", field: "timing",
        expected: TraceDiff.milliseconds(want), actual: TraceDiff.milliseconds(got),
        context: TraceDiff.display(left.normalized))
    }
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
  /// The bytes of the current packet's flow location, reused from packet to packet.
  private var locationBytes: [UInt8] = []

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
    var text = PacketText()  // reused for every packet
    var expectedOpen = true
    var actualOpen = true
    // One packet from each side in turn: the traces are read once, together.
    while expectedOpen || actualOpen {
      if expectedOpen {
        if let packet = try expected.stream.next() {
          if keepHousekeeping || !packet.decoded.isHousekeeping {
            expectedNormalizer.write(packet.decoded, into: &text)
            diff.add(text, of: packet, expected: true)
          }
        } else {
          expectedOpen = false
        }
      }
      if actualOpen {
        if let packet = try actual.stream.next() {
          if keepHousekeeping || !packet.decoded.isHousekeeping {
            actualNormalizer.write(packet.decoded, into: &text)
            diff.add(text, of: packet, expected: false)
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

  /// Takes the next packet of one side, as its normalizer wrote it.
  mutating func add(_ text: PacketText, of packet: StreamedPacket, expected: Bool) {
    let timestamp = packet.record.timestampNanoseconds
    if expected, firstTimestamps.0 == nil { firstTimestamps.0 = timestamp }
    if !expected, firstTimestamps.1 == nil { firstTimestamps.1 = timestamp }
    let index: Int
    let location: String
    if options.strictOrder {
      location = "all packets"
      index = flowIndex.index(of: location) {
        flows.append(FlowState(location: location))
        return flows.count - 1
      }
    } else {
      // `flow <flow> on <interface>`, found by its bytes: no string is built for a flow seen before.
      locationBytes.removeAll(keepingCapacity: true)
      locationBytes.write("flow " as StaticString)
      locationBytes += text.flow
      locationBytes.write(" on " as StaticString)
      locationBytes.write(packet.interface)
      (index, location) = flowIndex.index(ofBytes: locationBytes) { newLocation in
        flows.append(FlowState(location: newLocation))
        return flows.count - 1
      }
    }
    // Changed in place (a copy of the state would retain and release every part of it per packet).
    flows[index].location = location  // as a dictionary keeps the spelling last stored
    if expected {
      if flows[index].expectedOrder == nil {
        flows[index].expectedOrder = expectedFlowCount
        expectedFlowCount += 1
      }
    } else {
      if flows[index].actualOrder == nil {
        flows[index].actualOrder = actualFlowCount
        actualFlowCount += 1
      }
      if flows[index].matchAtOnce(text, timestamp: timestamp, judge: judge, timings: &timingDifferences) { return }
    }
    let held = HeldPacket(text, interface: packet.interface, step: packet.record.comment, timestamp: timestamp)
    if expected {
      flows[index].expected.append(held)
    } else {
      flows[index].actual.append(held)
    }
    if !flows[index].diverged { flows[index].matchHeads(judge: judge, timings: &timingDifferences) }
  }

  /// The timing judge as things stand (the first timestamps are known once each side has a packet).
  private var judge: TimingJudge {
    TimingJudge(
      tolerance: options.timingTolerance, expectedStart: expectedStart ?? firstTimestamps.0 ?? 0,
      actualStart: actualStart ?? firstTimestamps.1 ?? 0)
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
      left.map(\.normalized), right.map(\.normalized), location: location, leftBase: leftBase,
      rightBase: state.actualMatched, previous: state.previous.map { TraceDiff.display($0.normalized) }
    ) { i, j in
      judge.difference(left[i], right[j].timestampNanoseconds, index: leftBase + i, location: location)
    }
  }

}

/// Flow locations to indices, keyed as `String` compares (canonical
/// equivalence) but found, for a location seen before in the same bytes,
/// by hashing its bytes: hashing non-ASCII text (`→`, `⇄`) canonically
/// costs more than the rest of matching a packet.
struct FlowIndex {
  /// UTF-8 bytes hashed in one go (an array of bytes hashes byte by byte).
  private struct Bytes: Hashable {
    let bytes: [UInt8]
    func hash(into hasher: inout Hasher) {
      bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
    static func == (a: Bytes, b: Bytes) -> Bool { a.bytes == b.bytes }
  }

  /// Each spelling seen: its flow's index and the spelling as a string.
  private var byBytes: [Bytes: (index: Int, location: String)] = [:]
  private var byText: [String: Int] = [:]

  /// The index of `location`, or `add()`'s for a location not seen before.
  mutating func index(of location: String, add: () -> Int) -> Int {
    index(ofBytes: Array(location.utf8)) { _ in add() }.index
  }

  /// The index of the location spelt in `bytes` (or `add`'s, given the
  /// location, for one not seen before), and the location in that spelling.
  mutating func index(ofBytes bytes: [UInt8], add: (String) -> Int) -> (index: Int, location: String) {
    if let found = byBytes[Bytes(bytes: bytes)] { return found }
    // New bytes: maybe a location seen before, spelt in other but equivalent code points.
    let location = String(decoding: bytes, as: UTF8.self)
    let index = byText[location] ?? add(location)
    byText[location] = index
    byBytes[Bytes(bytes: bytes)] = (index, location)
    return (index, location)
  }
}

/// A packet the streaming diff holds until it is matched: its text as bytes,
/// compared as they are, and turned into a ``NormalizedPacket`` only if the
/// packet is shown (most packets of two alike traces never are).
struct HeldPacket {
  /// One allocation per packet: the text (summary, then fields), the flow,
  /// then each field's start within the fields as 4 bytes.
  private let storage: [UInt8]
  private let summaryCount: Int
  private let textCount: Int
  private let flowCount: Int
  let interface: String
  let step: String?
  let timestampNanoseconds: UInt64

  init(_ text: PacketText, interface: String, step: String?, timestamp: UInt64) {
    var storage: [UInt8] = []
    storage.reserveCapacity(text.summary.count + text.fields.count + text.flow.count + 4 * text.fieldStarts.count)
    storage += text.summary
    storage += text.fields
    storage += text.flow
    for start in text.fieldStarts {
      withUnsafeBytes(of: UInt32(start).littleEndian) { storage += $0 }
    }
    self.storage = storage
    summaryCount = text.summary.count
    textCount = text.summary.count + text.fields.count
    flowCount = text.flow.count
    self.interface = interface
    self.step = step
    timestampNanoseconds = timestamp
  }

  /// Whether the two texts are equal as `String`s: by bytes (one `memcmp`,
  /// the common case) or, failing that, canonically, as `==` on the strings says.
  func hasSameText(as other: HeldPacket) -> Bool {
    let bytesEqual = storage.withUnsafeBytes { a in
      other.storage.withUnsafeBytes { b in
        textCount == other.textCount && (textCount == 0 || memcmp(a.baseAddress!, b.baseAddress!, textCount) == 0)
      }
    }
    return bytesEqual || text == other.text
  }

  /// ``hasSameText(as:)`` against a packet not held: its text is `summary + fields`.
  func hasSameText(as other: PacketText) -> Bool {
    let summary = other.summary.count
    let bytesEqual =
      textCount == summary + other.fields.count
      && storage.withUnsafeBytes { held in
        other.summary.withUnsafeBytes { a in
          other.fields.withUnsafeBytes { b in
            (summary == 0 || memcmp(held.baseAddress!, a.baseAddress!, summary) == 0)
              && (other.fields.isEmpty || memcmp(held.baseAddress! + summary, b.baseAddress!, other.fields.count) == 0)
          }
        }
      }
    return bytesEqual || text == String(decoding: other.summary + other.fields, as: UTF8.self)
  }

  private var text: String { String(decoding: storage[..<textCount], as: UTF8.self) }

  /// The packet as ``PacketNormalizer/normalize(_:interface:step:timestamp:)`` gives it.
  var normalized: NormalizedPacket {
    var text = PacketText()
    text.summary = Array(storage[..<summaryCount])
    text.fields = Array(storage[summaryCount..<textCount])
    text.flow = Array(storage[textCount..<(textCount + flowCount)])
    var offset = textCount + flowCount
    while offset < storage.count {
      let start = storage[offset..<(offset + 4)].reversed().reduce(0) { $0 << 8 | Int($1) }
      text.fieldStarts.append(start)
      offset += 4
    }
    return NormalizedPacket(text, interface: interface, step: step, timestampNanoseconds: timestampNanoseconds)
  }
}

/// A FIFO of held packets: appends at the back, removals at the front
/// in O(1) amortised (the consumed prefix is dropped once it is half the storage).
struct PacketQueue {
  private var storage: [HeldPacket] = []
  private var head = 0

  var isEmpty: Bool { head == storage.count }
  var first: HeldPacket? { isEmpty ? nil : storage[head] }
  var elements: [HeldPacket] { Array(storage[head...]) }

  mutating func append(_ packet: HeldPacket) { storage.append(packet) }

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
