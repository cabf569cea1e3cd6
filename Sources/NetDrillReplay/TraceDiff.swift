import NetDrillEngine

/// How two traces are compared.
public struct DiffOptions: Sendable {
  public var normalization: NormalizationOptions
  /// Compare the global packet order, not just the order within each flow.
  public var strictOrder: Bool
  /// Also compare when each step and packet happened (offset from the run's
  /// start), allowing this much difference. Nil: timing is not compared.
  public var timingTolerance: Duration?

  public init(
    normalization: NormalizationOptions = .init(), strictOrder: Bool = false, timingTolerance: Duration? = nil
  ) {
    self.normalization = normalization
    self.strictOrder = strictOrder
    self.timingTolerance = timingTolerance
  }
}

/// One difference between an expected trace and an actual one.
public struct TraceDifference: Sendable, Codable, Equatable {
  public enum Kind: String, Sendable, Codable { case scenario, outcome, packet, capture }
  public var kind: Kind
  /// Where: `step #4 send(client)` or `flow UDP client → $closed, packet 2`.
  public var location: String
  /// What differs: `error`, `data`, `missing packet`, `extra packet`, `changed packet`, `timing`.
  public var field: String
  public var expected: String
  public var actual: String
  /// The packet before it in the same flow (or the step's call), for orientation.
  public var context: String?
  /// For the embedded scenario: a line diff (`@@ -3,2 +3,3 @@`, `- old`, `+ new`, `  same`).
  public var lines: [String]?
  /// For a changed packet: where the actual trace's packet is (`location` names the expected one's),
  /// so a ladder page can mark both. Not part of the JSON output.
  public var actualLocation: String? = nil

  private enum CodingKeys: String, CodingKey { case kind, location, field, expected, actual, context, lines }
}

/// The comparison of two traces.
public struct TraceDiffResult: Sendable, Codable {
  public var expectedPath: String
  public var actualPath: String
  public var differences: [TraceDifference]
  public var comparedSteps: Int
  public var comparedPackets: Int
  /// What a reader should know that is not a difference, e.g. that the
  /// traces were recorded on different kernel releases.
  public var notes: [String] = []
  public var same: Bool { differences.isEmpty }
}

/// Compares two traces semantically: step outcomes step by step, packets
/// after normalization, in order within each flow.
public enum TraceDiff {
  public static func compare(expected: TraceDocument, actual: TraceDocument, options: DiffOptions = .init())
    -> TraceDiffResult
  {
    var differences: [TraceDifference] = []
    if options.normalization.compares("scenario") {
      differences += ScenarioSourceDiff.compare(
        expected: expected.manifest.scenarioSource, actual: actual.manifest.scenarioSource)
    }
    differences += compareOutcomes(expected, actual, options)
    differences += comparePackets(expected, actual, options)
    differences += BulkRunDiff.compare(
      expected: expected.manifest, actual: actual.manifest,
      comparesPayload: options.normalization.compares("payload"))
    for (label, document) in [("expected", expected), ("actual", actual)] where document.manifest.droppedPackets > 0 {
      differences.append(
        TraceDifference(
          kind: .capture, location: "capture of the \(label) trace", field: "dropped packets",
          expected: "0", actual: String(document.manifest.droppedPackets)))
    }
    var notes: [String] = []
    let kernels = (expected.manifest.run.environment.kernelRelease, actual.manifest.run.environment.kernelRelease)
    if kernels.0 != kernels.1 {
      notes.append(
        "recorded on different kernels: Linux \(kernels.0) (expected) and Linux \(kernels.1) (actual); "
          + "outcomes and packets may differ for that reason alone")
    }
    return TraceDiffResult(
      expectedPath: expected.path, actualPath: actual.path, differences: differences,
      comparedSteps: max(expected.manifest.run.outcomes.count, actual.manifest.run.outcomes.count),
      comparedPackets: max(expected.packets.count, actual.packets.count), notes: notes)
  }

  // MARK: Outcomes

  /// The fields of an outcome that must match, in symbolic form.
  static func fields(of outcome: StepOutcome, names: PacketNormalizer) -> [(String, String)] {
    var fields: [(String, String)] = [
      ("call", names.symbolize(outcome.call)),
      ("result", outcome.resultText),
    ]
    // Payloads compare and print in full, in the one form every report uses
    // (`TerminalText.payload`: distinct bytes never print alike).
    if let data = outcome.data { fields.append(("data", TerminalText.payload(data.bytes))) }
    if outcome.from != nil { fields.append(("from", outcome.fromName ?? names.symbolize(outcome.from ?? ""))) }
    if let flags = outcome.flags { fields.append(("flags", flags.joined(separator: "|"))) }
    if let value = outcome.value { fields.append(("value", value)) }
    if let address = outcome.address { fields.append(("address", outcome.addressName ?? names.symbolize(address))) }
    if let revents = outcome.revents { fields.append(("revents", revents.joined(separator: "|"))) }
    if let error = outcome.extendedError {
      fields.append(
        (
          "extended_error",
          "\(error.errno) origin \(error.origin) type \(error.type) code \(error.code) info \(error.info) offender \(error.offender ?? "none")"
        ))
    }
    if let control = outcome.controlText { fields.append(("control", control)) }
    if let messages = outcome.messages {
      for (index, message) in messages.enumerated() {
        fields.append(
          (
            "messages[\(index)]",
            "\(TerminalText.payload(message.data.bytes)) from \(message.fromName ?? names.symbolize(message.from ?? ""))"
          ))
      }
    }
    if let more = outcome.moreMessages { fields.append(("more_messages", more.description)) }
    return fields
  }

  private static func compareOutcomes(_ expected: TraceDocument, _ actual: TraceDocument, _ options: DiffOptions)
    -> [TraceDifference]
  {
    let expectedNames = PacketNormalizer(names: expected.manifest.run.names)
    let actualNames = PacketNormalizer(names: actual.manifest.run.names)
    let left = expected.manifest.run.outcomes
    let right = actual.manifest.run.outcomes
    var differences: [TraceDifference] = []
    for index in 0..<max(left.count, right.count) {
      guard index < left.count else {
        differences.append(
          .init(
            kind: .outcome, location: label(right[index]), field: "extra step", expected: "nothing",
            actual: actualNames.symbolize(right[index].call)))
        continue
      }
      guard index < right.count else {
        differences.append(
          .init(
            kind: .outcome, location: label(left[index]), field: "missing step",
            expected: expectedNames.symbolize(left[index].call), actual: "nothing"))
        continue
      }
      let want = Dictionary(fields(of: left[index], names: expectedNames), uniquingKeysWith: { first, _ in first })
      let got = Dictionary(fields(of: right[index], names: actualNames), uniquingKeysWith: { first, _ in first })
      let context = expectedNames.symbolize(left[index].call)
      let tolerance = OutcomeTolerance(expected: left[index], actual: right[index])
      for key in orderedKeys(want, got) where want[key] != got[key] && !tolerance.leavesOut(key) {
        differences.append(
          .init(
            kind: .outcome, location: label(left[index]), field: key, expected: want[key] ?? "nothing",
            actual: got[key] ?? "nothing", context: context))
      }
      if let tolerance = options.timingTolerance {
        let wantOffset = Int64(bitPattern: left[index].startNanoseconds &- expected.manifest.run.startNanoseconds)
        let gotOffset = Int64(bitPattern: right[index].startNanoseconds &- actual.manifest.run.startNanoseconds)
        if abs(wantOffset - gotOffset) > tolerance.nanoseconds {
          differences.append(
            .init(
              kind: .outcome, location: label(left[index]), field: "timing", expected: milliseconds(wantOffset),
              actual: milliseconds(gotOffset), context: context))
        }
      }
    }
    return differences
  }

  /// How a difference names a step: `step #3 send(client)`; the ladder marks steps by it too.
  static func label(_ outcome: StepOutcome) -> String {
    let step = outcome.step.index == nil ? outcome.label : "step \(outcome.label)"
    return "\(step) \(outcome.verb)(\(outcome.socket ?? ""))"
  }

  private static func orderedKeys(_ a: [String: String], _ b: [String: String]) -> [String] {
    let order = ["call", "result", "data", "from", "flags", "value", "address", "revents", "extended_error"]
    return Set(a.keys).union(b.keys).sorted {
      (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1)
    }
  }

  static func milliseconds(_ nanoseconds: Int64) -> String {
    let tenths = nanoseconds / 100_000
    return "+\(tenths / 10).\(abs(tenths % 10))ms"
  }

  // MARK: Packets

  private static func comparePackets(_ expected: TraceDocument, _ actual: TraceDocument, _ options: DiffOptions)
    -> [TraceDifference]
  {
    // Normalize again with this comparison's options (load may have used the defaults).
    let left = renormalize(expected, options.normalization)
    let right = renormalize(actual, options.normalization)
    if options.strictOrder {
      return compareSequences(
        left, right, location: "all packets", expected: expected, actual: actual, options: options)
    }
    // A flow is ordered as one capture point saw it: the same datagram seen on
    // several interfaces of a path interleaves differently from run to run.
    func key(_ packet: NormalizedPacket) -> String { "\(packet.flow) on \(packet.interface)" }
    var flows: [String] = []
    var seen: Set<String> = []
    for packet in left + right where seen.insert(key(packet)).inserted { flows.append(key(packet)) }
    return flows.flatMap { flow in
      compareSequences(
        left.filter { key($0) == flow }, right.filter { key($0) == flow }, location: "flow \(flow)",
        expected: expected, actual: actual, options: options)
    }
  }

  private static func renormalize(_ document: TraceDocument, _ options: NormalizationOptions) -> [NormalizedPacket] {
    var normalizer = PacketNormalizer(names: document.manifest.run.names, options: options)
    let keepHousekeeping = options.compares("housekeeping")
    return document.packets.filter { keepHousekeeping || !$0.decoded.isHousekeeping }.map {
      normalizer.normalize(
        $0.decoded, interface: $0.normalized.interface, step: $0.normalized.step,
        timestamp: $0.normalized.timestampNanoseconds)
    }
  }

  /// Aligns two packet sequences (longest common subsequence after trimming
  /// the common prefix and suffix) and reports what is missing, extra or changed.
  private static func compareSequences(
    _ left: [NormalizedPacket], _ right: [NormalizedPacket], location: String, expected: TraceDocument,
    actual: TraceDocument, options: DiffOptions
  ) -> [TraceDifference] {
    packetDifferences(left, right, location: location) { i, j in
      guard let tolerance = options.timingTolerance else { return nil }
      let wantOffset = Int64(bitPattern: left[i].timestampNanoseconds &- expected.manifest.run.startNanoseconds)
      let gotOffset = Int64(bitPattern: right[j].timestampNanoseconds &- actual.manifest.run.startNanoseconds)
      guard abs(wantOffset - gotOffset) > tolerance.nanoseconds else { return nil }
      return .init(
        kind: .packet, location: "\(location), packet \(i + 1)", field: "timing",
        expected: milliseconds(wantOffset), actual: milliseconds(gotOffset), context: display(left[i]))
    }
  }

  /// The differences between what is left of one flow on each side: `left`
  /// and `right` start at packet `leftBase` and `rightBase` of the flow (the
  /// packets before matched already), `previous` is the last matched packet
  /// as shown, and `timing` judges the timing of a matched pair (by index
  /// into `left` and `right`). Shared by the whole-trace and the streaming diff.
  static func packetDifferences(
    _ left: [NormalizedPacket], _ right: [NormalizedPacket], location: String, leftBase: Int = 0,
    rightBase: Int = 0, previous: String? = nil, timing: (Int, Int) -> TraceDifference?
  ) -> [TraceDifference] {
    var differences: [TraceDifference] = []
    var previous = previous
    var pendingMissing: [(Int, NormalizedPacket)] = []
    func flushMissing() {
      for (index, packet) in pendingMissing {
        differences.append(
          .init(
            kind: .packet, location: "\(location), packet \(leftBase + index + 1)", field: "missing packet",
            expected: display(packet), actual: "nothing", context: previous))
      }
      pendingMissing.removeAll()
    }
    for operation in align(left.map(\.text), right.map(\.text)) {
      switch operation {
      case .same(let i, let j):
        flushMissing()
        if let difference = timing(i, j) { differences.append(difference) }
        previous = display(left[i])
      case .missing(let i):
        pendingMissing.append((i, left[i]))
      case .extra(let j):
        if !pendingMissing.isEmpty {
          // A packet missing where another appeared: one changed packet.
          let (index, packet) = pendingMissing.removeFirst()
          differences.append(
            .init(
              kind: .packet, location: "\(location), packet \(leftBase + index + 1)", field: "changed packet",
              expected: display(packet, against: right[j]), actual: display(right[j], against: packet),
              context: previous, actualLocation: "\(location), packet \(rightBase + j + 1) of the actual trace"))
        } else {
          differences.append(
            .init(
              kind: .packet, location: "\(location), packet \(rightBase + j + 1) of the actual trace",
              field: "extra packet", expected: "nothing", actual: display(right[j]), context: previous))
        }
      }
    }
    flushMissing()
    return differences
  }

  /// A packet as a difference shows it: its readable head and the step that caused it.
  static func display(_ packet: NormalizedPacket) -> String {
    let text = shortened(packet.summary)
    return packet.step.map { "\(text)  (\($0))" } ?? text
  }

  /// A changed packet: its head and only the fields that differ from `other`
  /// (`UDP client → $closed len=3 … ip-flags=DF`), so the change stands out.
  static func display(_ packet: NormalizedPacket, against other: NormalizedPacket) -> String {
    let otherFields = Set(other.fields)
    var text = shortened(packet.summary)
    let changed = packet.fields.filter { !otherFields.contains($0) }.map(shortened)
    if !changed.isEmpty {
      text += (changed.count < packet.fields.count ? " … " : " ") + changed.joined(separator: " ")
    } else {
      let absent = Set(other.fields).subtracting(packet.fields).map { String($0.prefix { $0 != "=" }) }
      if !absent.isEmpty { text += " (without \(absent.sorted().joined(separator: ", ")))" }
    }
    return packet.step.map { "\(text)  (\($0))" } ?? text
  }

  private static func shortened(_ text: String) -> String {
    // A character is at least one byte: the byte count (O(1)) rules out most texts before
    // the character count (a walk over the text) is needed. Done for every matched packet.
    text.utf8.count > 160 && text.count > 160 ? String(text.prefix(159)) + "…" : text
  }

  enum Operation: Equatable {
    case same(Int, Int)
    case missing(Int)
    case extra(Int)
  }

  /// An edit script from `a` to `b`.
  static func align(_ a: [String], _ b: [String]) -> [Operation] {
    var prefix = 0
    while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
    var suffix = 0
    while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
      suffix += 1
    }
    let middleA = Array(a[prefix..<(a.count - suffix)])
    let middleB = Array(b[prefix..<(b.count - suffix)])
    var operations = (0..<prefix).map { Operation.same($0, $0) }
    let n = middleA.count
    let m = middleB.count
    if n * m > 25_000_000 {
      // Too large to align exactly: report the middles wholesale rather than stall.
      operations += (0..<n).map { .missing(prefix + $0) } + (0..<m).map { .extra(prefix + $0) }
    } else if n > 0 || m > 0 {
      var lengths = [[Int32]](repeating: [Int32](repeating: 0, count: m + 1), count: n + 1)
      for i in stride(from: n - 1, through: 0, by: -1) {
        for j in stride(from: m - 1, through: 0, by: -1) {
          lengths[i][j] =
            middleA[i] == middleB[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
        }
      }
      var i = 0
      var j = 0
      while i < n || j < m {
        if i < n, j < m, middleA[i] == middleB[j] {
          operations.append(.same(prefix + i, prefix + j))
          i += 1
          j += 1
        } else if i < n, j == m || lengths[i + 1][j] >= lengths[i][j + 1] {
          // Missing before extra, so a replaced packet reads as one change.
          operations.append(.missing(prefix + i))
          i += 1
        } else {
          operations.append(.extra(prefix + j))
          j += 1
        }
      }
    }
    operations += (0..<suffix).map { .same(a.count - suffix + $0, b.count - suffix + $0) }
    return operations
  }
}
