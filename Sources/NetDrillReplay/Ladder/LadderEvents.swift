import NetDrillCapture
import NetDrillEngine
import NetDrillScenario
import NetDrillTrace

/// One trace as the JSON lines a ladder page draws, read in one pass: a
/// header, then steps and packets in time order, then the packet checks and
/// the verdict. Memory grows with the flows (the last arrow of each
/// direction, for ICMP errors to point back at), never with the packets.
///
/// Each packet names the lanes it goes between — endpoints as `show` names
/// them (the manifest's names for netdrill's traces, `client:41234` and
/// `host-3:53` for other captures) — and carries its decoded form for the
/// page to show on hover or click.
struct LadderEvents {
  /// Which of a diff's packets differ, by the location the diff names them with.
  struct Marks {
    var locations: Set<String>
    /// Appended to a location on this side (`" of the actual trace"` for the actual one).
    var suffix: String
    var options: DiffOptions
    /// Steps whose outcomes differ, as the diff names them (`step #4 send(client)`).
    var steps: Set<String> = []
  }

  let path: String
  let filter: PacketFilter?
  var marks: Marks?
  /// Bytes of each packet shown in hex in its details.
  static let hexLimit = 256

  /// Streams the events, one JSON line each, to `emit`.
  func write(_ emit: (String) throws(LadderError) -> Void) throws {
    let source = try TraceSource(path: path, filter: filter)
    let manifest = source.manifest
    let run = manifest?.run
    var table = FlowTable(names: EndpointNames(manifest: run?.names ?? [:]))
    var normalizer = PacketNormalizer(
      names: run?.names ?? [:], options: marks?.options.normalization ?? .init())
    var symbolizer = EndpointSymbolizer(names: run?.names ?? [:])
    let scenario = manifest.flatMap { manifest in
      try? ScenarioParser.parse(data: Array(manifest.scenarioSource.utf8), file: manifest.scenarioPath ?? path)
    }
    var matcher = scenario.flatMap { scenario in
      scenario.expectedPackets.isEmpty ? nil : run.map { PacketExpectationMatcher(scenario: scenario, run: $0) }
    }
    var steps = (run?.outcomes ?? []).enumerated().sorted {
      ($0.element.startNanoseconds, $0.offset) < ($1.element.startNanoseconds, $1.offset)
    }.map(\.element)[...]
    var start = run?.startNanoseconds
    var title = path
    if let run { title += "  ·  scenario \(run.scenarioName)" }
    try emit(LadderJSON.object([("k", "\"h\""), ("title", LadderJSON.string(title))]))

    var lastArrow: [FlowDirection: Int] = [:]
    var flowCounts: [String: Int] = [:]
    var index = 0
    let keepHousekeeping = marks?.options.normalization.compares("housekeeping") ?? false
    while let packet = try source.stream.next() {
      let time = packet.record.timestampNanoseconds
      if start == nil { start = time }
      while let step = steps.first, step.startNanoseconds <= time {
        try emit(Self.step(step, start: start ?? 0, symbolizer: &symbolizer, marks: marks))
        steps.removeFirst()
      }
      matcher?.consume(packet.decoded, interface: packet.interface, timestampNanoseconds: time)
      let placement = table.place(packet.decoded, wireLength: Int(packet.record.originalLength))
      let normalized = normalizer.normalize(
        packet.decoded, interface: packet.interface, step: packet.record.comment, timestamp: time)
      var arrow = Self.arrow(packet, placement: placement, table: table)
      if let quoted = arrow.quotes { arrow.quotedIndex = lastArrow[quoted] }
      if let direction = arrow.direction { lastArrow[direction] = index }
      var differs = false
      if let marks, keepHousekeeping || !packet.decoded.isHousekeeping {
        let key = marks.options.strictOrder ? "all packets" : "flow \(normalized.flow) on \(normalized.interface)"
        let count = flowCounts[key, default: 0] + 1
        flowCounts[key] = count
        differs = marks.locations.contains("\(key), packet \(count)\(marks.suffix)")
      }
      var members: [(String, String)] = [
        ("k", "\"p\""), ("t", String(Int64(bitPattern: time &- (start ?? time)))),
        ("f", LadderJSON.string(arrow.from)), ("to", LadderJSON.string(arrow.to)),
        ("s", LadderJSON.string(arrow.summary)),
        ("d", LadderJSON.string(Self.details(packet, normalized: normalized, summary: arrow.summary))),
      ]
      if arrow.isError { members.append(("e", "1")) }
      if let quoted = arrow.quotedIndex { members.append(("q", String(quoted))) }
      if differs { members.append(("x", "1")) }
      try emit(LadderJSON.object(members))
      index += 1
    }
    for step in steps { try emit(Self.step(step, start: start ?? 0, symbolizer: &symbolizer, marks: marks)) }
    var failed = run?.failedChecks ?? 0
    if let checks = matcher?.finish() {
      for check in checks {
        if !check.passed { failed += 1 }
        var text = check.expected
        if let actual = check.actual { text += "  ← \(actual)" }
        if let note = check.note { text += "  (\(note))" }
        if !check.passed, !check.nearest.isEmpty { text += "  nearest: " + check.nearest.joined(separator: "; ") }
        try emit(
          LadderJSON.object([("k", "\"c\""), ("ok", check.passed ? "true" : "false"), ("x", LadderJSON.string(text))]))
      }
    }
    let dropped = manifest?.droppedPackets ?? 0
    let passed = failed == 0 && dropped == 0
    var verdict =
      run == nil
      ? "\(index) packets (a capture without a netdrill manifest: no steps or expectations)"
      : passed ? "✓ every expectation held" : "✗ \(failed) expectation(s) failed"
    if dropped > 0 { verdict += "; the capture dropped \(dropped) packets: this trace is incomplete" }
    try emit(
      LadderJSON.object([
        ("k", "\"v\""), ("ok", passed ? "true" : "false"), ("x", LadderJSON.string(verdict)),
        ("n", String(index)),
      ]))
  }

  /// A step as a row beside the arrows: ✓/✗, label, call and result; a failed check highlighted.
  private static func step(
    _ outcome: StepOutcome, start: UInt64, symbolizer: inout EndpointSymbolizer, marks: Marks?
  ) -> String {
    let result = outcome.timelineResult
    let text = "\(outcome.label)  \(symbolizer.symbolize(outcome.call)) → \(result)"
    let checks = outcome.checks.map {
      "\($0.passed ? "✓" : "✗") \($0.field): expected \($0.expected), actual \($0.actual)"
    }
    var details = [text] + checks
    if let note = outcome.note { details.append(note) }
    let mark = outcome.checks.isEmpty ? "" : (outcome.passed ? "✓" : "✗")
    var members = [
      ("k", "\"s\""), ("t", String(Int64(bitPattern: outcome.startNanoseconds &- start))),
      ("m", LadderJSON.string(mark)), ("s", LadderJSON.string(text)),
      ("d", LadderJSON.string(details.joined(separator: "\n"))),
      ("fail", outcome.passed ? "false" : "true"),
    ]
    // As TraceDiff names a step in its differences.
    let location = TraceDiff.label(outcome)
    if marks?.steps.contains(location) == true { members.append(("x", "1")) }
    return LadderJSON.object(members)
  }

  /// One direction of one flow: where an ICMP error's quoted datagram went.
  struct FlowDirection: Hashable {
    var flow: Int
    var fromClient: Bool
  }

  struct Arrow {
    var from: String
    var to: String
    var summary: String
    var isError = false
    /// The flow direction this packet travelled, remembered for later ICMP errors.
    var direction: FlowDirection?
    /// For an ICMP error: the direction of the datagram it quotes.
    var quotes: FlowDirection?
    var quotedIndex: Int?
  }

  private static func arrow(_ packet: StreamedPacket, placement: PacketPlacement, table: FlowTable) -> Arrow {
    let decoded = packet.decoded
    switch placement {
    case .flow(let id, let fromClient):
      let flow = table.flows[id - 1]
      return Arrow(
        from: fromClient ? flow.clientName : flow.serverName, to: fromClient ? flow.serverName : flow.clientName,
        summary: ConversationTimeline.describe(decoded, flow: flow, fromClient: fromClient),
        direction: FlowDirection(flow: id, fromClient: fromClient))
    case .icmpError(let id):
      let flow = table.flows[id - 1]
      var forward = true
      var quotedDestination: IPAddress?
      if let quoted = decoded.icmp?.quoted {
        quotedDestination = quoted.destination
        switch quoted.transport {
        case .udp(let udp): forward = udp.sourcePort == flow.client.port && quoted.source == flow.client.address
        case .tcp(let tcp): forward = tcp.sourcePort == flow.client.port && quoted.source == flow.client.address
        default: break
        }
      }
      // Back along the quoted datagram's path: from the endpoint it was sent to
      // (or the router that answered instead), to the socket that sent it.
      let sender = forward ? flow.clientName : flow.serverName
      var origin = forward ? flow.serverName : flow.clientName
      if let source = decoded.source, source != quotedDestination {
        origin = table.names.host(source) ?? source.description
      }
      return Arrow(
        from: origin, to: sender, summary: ConversationTimeline.describeError(decoded, table: table, flow: flow),
        isError: true, quotes: FlowDirection(flow: id, fromClient: forward))
    case .other:
      let from = decoded.source.map { table.names.host($0) ?? $0.description } ?? "link"
      let to = decoded.destination.map { table.names.host($0) ?? $0.description } ?? from
      return Arrow(from: from, to: to, summary: decoded.summary)
    }
  }

  /// The transport's payload (UDP, TCP, ICMP), when it has one.
  private static func payload(_ packet: DecodedPacket) -> [UInt8]? {
    let bytes: [UInt8]
    switch packet.transport {
    case .udp(let udp): bytes = udp.payload
    case .tcp(let tcp): bytes = tcp.payload
    case .icmpv4(let message), .icmpv6(let message): bytes = message.payload
    default: return nil
    }
    return bytes.isEmpty ? nil : bytes
  }

  /// What hovering or clicking an arrow shows: when, where, the decoded
  /// headers field by field, and the first bytes in hex.
  private static func details(_ packet: StreamedPacket, normalized: NormalizedPacket, summary: String) -> String {
    var lines = [
      summary,
      "interface \(packet.interface)  ·  \(packet.record.data.count) of \(packet.record.originalLength)"
        + " bytes captured",
    ]
    if let step = packet.record.comment { lines.append("caused by \(step)") }
    lines.append(packet.decoded.summary)
    lines += normalized.fields
    if let payload = Self.payload(packet.decoded) {
      lines.append("payload " + TerminalText.payload(payload, textLimit: 200, hexLimit: 64))
    }
    if packet.decoded.truncated { lines.append("(truncated)") }
    lines += packet.decoded.notes
    let bytes = packet.record.data.prefix(hexLimit)
    var offset = 0
    while offset < bytes.count {
      let row = bytes.dropFirst(offset).prefix(16)
      let hex = row.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
      let text = String(row.map { (0x20..<0x7f).contains($0) ? Character(UnicodeScalar($0)) : "." })
      let position = String(offset, radix: 16)
      lines.append(String(repeating: "0", count: 4 - position.count) + position + "  " + hex.padded(48) + "  " + text)
      offset += 16
    }
    if packet.record.data.count > hexLimit { lines.append("… \(packet.record.data.count - hexLimit) more bytes") }
    return lines.joined(separator: "\n")
  }
}
