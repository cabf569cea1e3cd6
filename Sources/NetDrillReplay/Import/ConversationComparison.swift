import NetDrillEngine
import NetDrillScenario
import NetDrillTrace

/// Two captures' conversations compared as conversations: datagram
/// payloads in order, TCP byte streams, handshakes, FINs, resets and ICMP
/// port unreachables, per flow. What the kernel decides — segmentation,
/// sequence numbers, timing, the ephemeral ports a program picks — is not
/// compared.
///
/// Endpoints are matched by name, not address: hosts by order of appearance
/// (`client`, `server`, `host-3`, as `show` names them), a conversation's
/// server port as it is, every other port as `#N` in order of appearance on
/// its host.
public struct ConversationComparison: Sendable {
  public struct FlowResult: Sendable {
    public var label: String
    public var summary: String
    /// The first difference, nil when equal.
    public var difference: String?
  }

  public var flows: [FlowResult] = []
  public var same: Bool { flows.allSatisfy { $0.difference == nil } }

  /// One side's conversations in comparable form.
  struct Side {
    struct Conversation {
      var label: String
      var flowProtocol: FlowProtocol
      var clientLabel: String
      var serverLabel: String
      var ports: (UInt16, UInt16)
      var datagrams: [(fromClient: Bool, payload: [UInt8], refused: Bool)] = []
      var connect: Bool?  // refused?
      var streams: [[UInt8]] = [[], []]  // client→server, server→client
      var finished = [false, false]
      var reset = [false, false]
    }
    var conversations: [Conversation] = []

    init(_ capture: CaptureConversations) {
      var portLabels: [Endpoint: String] = [:]
      var counters: [String: Int] = [:]
      var index: [Int: Int] = [:]
      func label(_ endpoint: Endpoint, name: String, server: Bool) -> String {
        if let known = portLabels[endpoint] { return known }
        let host = ScenarioImporter.hostPart(name)
        let text: String
        if server {
          text = "\(host):\(endpoint.port)"
        } else {
          counters[host, default: 0] += 1
          text = "\(host):#\(counters[host] ?? 0)"
        }
        portLabels[endpoint] = text
        return text
      }
      for timed in capture.events {
        let id = timed.event.flow
        let flow = capture.flows[id - 1]
        if index[id] == nil {
          let server = label(flow.server, name: flow.serverName, server: true)
          let client = label(flow.client, name: flow.clientName, server: false)
          index[id] = conversations.count
          conversations.append(
            Conversation(
              label: "\(flow.flowProtocol.rawValue) \(client) ↔ \(server)", flowProtocol: flow.flowProtocol,
              clientLabel: client, serverLabel: server, ports: (flow.client.port, flow.server.port)))
        }
        let position = index[id] ?? 0
        func fromClient(_ endpoint: Endpoint) -> Bool { endpoint == flow.client }
        switch timed.event {
        case .datagram(_, let from, _, let payload, let refused):
          conversations[position].datagrams.append((fromClient(from), payload, refused))
        case .connect(_, _, _, let refused):
          conversations[position].connect = refused
        case .stream(_, let from, _, let bytes):
          conversations[position].streams[fromClient(from) ? 0 : 1] += bytes
        case .finish(_, let from, _):
          conversations[position].finished[fromClient(from) ? 0 : 1] = true
        case .reset(_, let from, _):
          conversations[position].reset[fromClient(from) ? 0 : 1] = true
        }
      }
    }
  }

  /// `freshValues`: the clients are a program under test answered by a
  /// recorded responder. Where the capture's answer echoes a value its
  /// request made fresh (``FreshValueEcho``), that request is compared by
  /// its length and the echoed bytes of the answer are not compared.
  public init(expected: CaptureConversations, actual: CaptureConversations, freshValues: Bool = false) {
    let want = Side(expected)
    var got = Side(actual).conversations
    for conversation in want.conversations {
      guard let match = got.firstIndex(where: { $0.label == conversation.label }) else {
        flows.append(
          FlowResult(
            label: conversation.label, summary: Self.summary(conversation),
            difference: "missing: the replay has no such conversation"))
        continue
      }
      let other = got.remove(at: match)
      flows.append(
        FlowResult(
          label: conversation.label, summary: Self.summary(conversation),
          difference: Self.difference(conversation, other, freshValues: freshValues)))
    }
    for extra in got {
      flows.append(
        FlowResult(
          label: extra.label, summary: Self.summary(extra), difference: "extra: the capture has no such conversation"))
    }
  }

  static func summary(_ conversation: Side.Conversation) -> String {
    switch conversation.flowProtocol {
    case .tcp:
      return
        "\(conversation.streams[0].count) bytes →, \(conversation.streams[1].count) bytes ←\(conversation.connect == true ? ", refused" : "")"
    default:
      let refused = conversation.datagrams.filter(\.refused).count
      return
        "\(conversation.datagrams.count) datagram(s)\(refused > 0 ? ", \(refused) refused (ICMP port unreachable)" : "")"
    }
  }

  static func direction(_ conversation: Side.Conversation, fromClient: Bool) -> String {
    fromClient
      ? "\(conversation.clientLabel) → \(conversation.serverLabel)"
      : "\(conversation.serverLabel) → \(conversation.clientLabel)"
  }

  /// What of `want` the other side must match byte for byte: the requests
  /// held to their length, the answers' echoed ranges (by datagram number;
  /// for TCP, 0 is the client's stream and 1 the server's).
  struct FreshParts {
    var lengthOnly = Set<Int>()
    var echoed: [Int: [EchoRange]] = [:]

    /// Everything compared byte for byte.
    init() {}

    init(_ want: Side.Conversation) {
      if want.flowProtocol == .tcp {
        let ranges = FreshValueEcho.ranges(
          request: want.streams[0], reply: want.streams[1], flowProtocol: .tcp, ports: want.ports)
        if !ranges.isEmpty { (lengthOnly, echoed) = ([0], [1: ranges]) }
        return
      }
      var lastFrom: [Bool: Int] = [:]
      for (number, datagram) in want.datagrams.enumerated() {
        if let request = lastFrom[!datagram.fromClient] {
          let ranges = FreshValueEcho.ranges(
            request: want.datagrams[request].payload, reply: datagram.payload, flowProtocol: want.flowProtocol,
            ports: want.ports)
          if !ranges.isEmpty {
            lengthOnly.insert(request)
            echoed[number] = ranges
          }
        }
        if !datagram.refused { lastFrom[datagram.fromClient] = number }
      }
    }

    func same(_ number: Int, _ a: [UInt8], _ b: [UInt8]) -> Bool {
      if lengthOnly.contains(number) { return a.count == b.count }
      if let ranges = echoed[number] { return FreshValueEcho.masked(a, ranges) == FreshValueEcho.masked(b, ranges) }
      return a == b
    }
  }

  static func difference(_ want: Side.Conversation, _ got: Side.Conversation, freshValues: Bool = false) -> String? {
    let fresh = freshValues ? FreshParts(want) : FreshParts()
    if want.flowProtocol == .tcp {
      if want.connect != got.connect {
        return
          "handshake: expected \(want.connect == true ? "refused (RST)" : "accepted"), got \(got.connect == true ? "refused (RST)" : got.connect == nil ? "none" : "accepted")"
      }
      for side in 0..<2 {
        let name = direction(want, fromClient: side == 0)
        let (a, b) = (want.streams[side], got.streams[side])
        if !fresh.same(side, a, b) {
          let offset = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
          let wantPiece = Array(a[offset..<min(a.count, offset + 32)])
          let gotPiece = Array(b[offset..<min(b.count, offset + 32)])
          return
            "stream \(name) differs at byte \(offset) (expected \(a.count) bytes, got \(b.count)): expected \(TerminalText.payload(wantPiece)), got \(TerminalText.payload(gotPiece))"
        }
        if want.finished[side] != got.finished[side] {
          return
            "FIN \(name): expected \(want.finished[side] ? "one" : "none"), got \(got.finished[side] ? "one" : "none")"
        }
        if want.reset[side] != got.reset[side] {
          return "RST \(name): expected \(want.reset[side] ? "one" : "none"), got \(got.reset[side] ? "one" : "none")"
        }
      }
      return nil
    }
    for (number, pair) in zip(want.datagrams, got.datagrams).enumerated() {
      let (a, b) = pair
      if a.fromClient != b.fromClient || !fresh.same(number, a.payload, b.payload) || a.refused != b.refused {
        var text =
          "datagram \(number + 1) (\(direction(want, fromClient: a.fromClient))): expected \(TerminalText.payload(a.payload)), got \(TerminalText.payload(b.payload))"
        if a.fromClient != b.fromClient { text += " from \(direction(want, fromClient: b.fromClient))" }
        if a.refused != b.refused {
          text +=
            a.refused ? " (expected an ICMP port unreachable, none came)" : " (refused by an ICMP port unreachable)"
        }
        return text
      }
    }
    if want.datagrams.count != got.datagrams.count {
      let number = min(want.datagrams.count, got.datagrams.count)
      if want.datagrams.count > got.datagrams.count {
        let missing = want.datagrams[number]
        return
          "datagram \(number + 1) (\(direction(want, fromClient: missing.fromClient))): expected \(TerminalText.payload(missing.payload)), got nothing"
      }
      let extra = got.datagrams[number]
      return
        "datagram \(number + 1) (\(direction(want, fromClient: extra.fromClient))): expected nothing, got \(TerminalText.payload(extra.payload))"
    }
    return nil
  }

  /// The comparison for a reader, one line per conversation.
  public func text(style: TextStyle) -> String {
    var lines: [String] = []
    for (index, flow) in flows.enumerated() {
      let head = "#\(index + 1) \(TerminalText.escape(flow.label))"
      if let difference = flow.difference {
        lines.append(style.red("✗ \(head)  \(flow.summary)"))
        lines.append("    \(TerminalText.escape(difference))")
      } else {
        lines.append(style.green("= \(head)  \(flow.summary)"))
      }
    }
    let differing = flows.filter { $0.difference != nil }.count
    lines.append(
      differing == 0
        ? style.green("✓ conversations equal: \(flows.count) compared")
        : style.red("✗ \(differing) of \(flows.count) conversation(s) differ"))
    return lines.joined(separator: "\n")
  }
}
