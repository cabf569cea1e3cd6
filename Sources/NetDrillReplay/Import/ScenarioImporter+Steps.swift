import Foundation
import NetDrillScenario
import NetDrillTrace

extension ScenarioImporter {
  /// What the socket of one side of a conversation is called, and how it is declared.
  private struct SocketPlan {
    var declarations: [(String, OrderedJSON)] = []
    var setup: [OrderedJSON] = []
    var names = Set<String>()
    /// UDP endpoint → socket.
    var udp: [Endpoint: String] = [:]
    /// TCP server endpoint → listener.
    var listeners: [Endpoint: String] = [:]
    /// TCP flow → (client socket, accepted socket).
    var tcpClient: [Int: String] = [:]
    var tcpAccepted: [Int: String] = [:]

    mutating func unique(_ base: String, flow: Int) -> String {
      var name = base
      if names.contains(name) { name = "\(base)_f\(flow)" }
      names.insert(name)
      return name
    }
  }

  /// The scenario as ordered JSON; `name` and `source` go into its name and description.
  /// Throws ``ImportTooLarge`` as soon as the steps outgrow the scenario size limit.
  public func scenario(name: String, source: String) throws(ImportTooLarge) -> OrderedJSON {
    var plan = SocketPlan()
    declareSockets(&plan)
    var members: [(String, OrderedJSON)] = [
      ("netdrill", .integer(1)),
      ("name", .string(name)),
      ("description", .string(description(source: source))),
      ("defaults", .object([("timeout", .string(options.timeout))])),
    ]
    members += network.members
    if let program = options.program, let programMember = self.program(program) {
      members.append(("programs", .object([(Self.programName, programMember)])))
    }
    members.append(("sockets", .object(plan.declarations)))
    var setup = plan.setup
    // A client under test starts once the servers it talks to are bound, and
    // its exit status (0: every answer as it expected) is the verdict.
    let clientUnderTest = options.play == .servers && options.program != nil
    if clientUnderTest { setup.append(.object([("start", .string(Self.programName))])) }
    var steps = try setup + steps(plan, source: source)
    if clientUnderTest {
      steps.append(
        .object([
          ("stop", .string(Self.programName)), ("timeout", .string(options.timeout)),
          ("expect", .object([("returns", .integer(0))])),
        ]))
    }
    members.append(("steps", .lines(steps)))
    return .object(members)
  }

  /// What the scenario's description says: where it came from and what was left out.
  func description(source: String) -> String {
    let flows = replayedFlows
    let udp = flows.filter { $0.flowProtocol == .udp }.count
    let tcp = flows.filter { $0.flowProtocol == .tcp }.count
    var text =
      "Imported by netdrill import from \(source) (\(conversations.packetsRead) packets): \(flows.count) conversation(s) re-created on real sockets (UDP \(udp), TCP \(tcp)); netdrill plays \(options.play == .both ? "both sides" : "the \(options.play.rawValue)")"
    if options.program != nil {
      text += ", the program under test the \(options.play == .clients ? "servers" : "clients")"
    }
    if let speed = options.speed { text += "; recorded pacing at \(Self.speedText(speed))" }
    text += ". " + Self.unsupportedText(conversations.unsupported.merging(excluded, uniquingKeysWith: +))
    if conversations.copiesOnOtherInterfaces > 0 {
      text += " \(conversations.copiesOnOtherInterfaces) copies of packets already seen on another interface read once."
    }
    return text
  }

  /// The name of the program under test in an imported scenario.
  static let programName = "under_test"

  public static func speedText(_ speed: Double) -> String {
    speed == speed.rounded() ? "\(Int(speed))x" : "\(speed)x"
  }

  /// `Not replayed: 3 packets (ARP 2, IPv4 fragment 1).` or `Nothing left out.`
  public static func unsupportedText(_ counts: [String: Int]) -> String {
    let total = counts.values.reduce(0, +)
    guard total > 0 else { return "Every packet is replayed." }
    let parts = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
      .map { "\($0.key) \($0.value)" }
    return "Not replayed: \(total) packet(s) (\(parts.joined(separator: ", ")))."
  }

  private func program(_ command: String) -> OrderedJSON? {
    // The program is the side netdrill does not play: on the host of the first such endpoint.
    let other: Role = options.play == .clients ? .server : .client
    var endpoint: (Endpoint, FlowProtocol)?
    for event in eventsInOrder {
      let flow = conversations.flows[event.event.flow - 1]
      for candidate in [flow.server, flow.client] where roles[candidate] == other {
        endpoint = (candidate, flow.flowProtocol)
        break
      }
      if endpoint != nil { break }
    }
    var members: [(String, OrderedJSON)] = []
    if let (address, _) = endpoint, let host = host(of: address.address) { members.append(("host", .string(host))) }
    members.append(("command", .array([.string("/bin/sh"), .string("-c"), .string(command)])))
    if options.play == .clients, let (address, flowProtocol) = endpoint {
      let key = flowProtocol == .tcp ? "tcp_port" : "udp_port"
      members.append(("ready", .object([(key, .integer(Int(address.port)))])))
      members.append(("ready_timeout", .string("10s")))
    }
    if options.play == .servers { members.append(("deferred", .bool(true))) }
    return .object(members)
  }

  private func socketDeclaration(_ endpoint: Endpoint, type: String, options socketOptions: [(String, OrderedJSON)])
    -> OrderedJSON
  {
    var members: [(String, OrderedJSON)] = [
      ("type", .string(type)), ("family", .string(endpoint.address.isIPv6 ? "ipv6" : "ipv4")),
    ]
    if let host = host(of: endpoint.address) { members.append(("host", .string(host))) }
    if !socketOptions.isEmpty { members.append(("options", .object(socketOptions))) }
    return .object(members)
  }

  private func hostName(_ endpoint: Endpoint) -> String {
    host(of: endpoint.address) ?? (endpoint.address.isIPv6 ? "ip6" : "local")
  }

  private func declareSockets(_ plan: inout SocketPlan) {
    // UDP: a socket per endpoint that sends, or receives a datagram nobody refused.
    var udpOrder: [Endpoint] = []
    var recvErr = Set<Endpoint>()
    var tcpServers: [Endpoint] = []
    for event in eventsInOrder {
      switch event.event {
      case .datagram(_, let from, let to, _, let refused):
        if plays(from), !udpOrder.contains(from) { udpOrder.append(from) }
        if !refused, plays(to), !udpOrder.contains(to) { udpOrder.append(to) }
        if refused { recvErr.insert(from) }
      case .connect(let flow, let client, let server, let refused):
        if plays(server), !refused, !tcpServers.contains(server) {
          tcpServers.append(server)
          let name = plan.unique(Self.socketName("tcp", hostName(server), server.port), flow: flow)
          plan.listeners[server] = name
          plan.declarations.append(
            (name, socketDeclaration(server, type: "tcp", options: [("SO_REUSEADDR", .bool(true))])))
          plan.setup.append(.object([("bind", .string(name)), ("address", .string(server.text))]))
          plan.setup.append(.object([("listen", .string(name)), ("backlog", .integer(64))]))
        }
        if plays(client) {
          let name = plan.unique(Self.socketName("tcp", hostName(client), client.port), flow: flow)
          plan.tcpClient[flow] = name
          plan.declarations.append(
            (name, socketDeclaration(client, type: "tcp", options: [("SO_REUSEADDR", .bool(true))])))
          // Bound to the captured port: the replay's conversation has the capture's 5-tuple.
          plan.setup.append(.object([("bind", .string(name)), ("address", .string(client.text))]))
        }
        if plays(server), !refused {
          plan.tcpAccepted[flow] = plan.unique("conn_f\(flow)", flow: flow)
        }
      default: break
      }
    }
    for endpoint in udpOrder {
      let name = plan.unique(Self.socketName("udp", hostName(endpoint), endpoint.port), flow: 0)
      plan.udp[endpoint] = name
      let recvErrOption = endpoint.address.isIPv6 ? "IPV6_RECVERR" : "IP_RECVERR"
      plan.declarations.append(
        (
          name,
          socketDeclaration(
            endpoint, type: "udp", options: recvErr.contains(endpoint) ? [(recvErrOption, .bool(true))] : [])
        ))
      plan.setup.append(.object([("bind", .string(name)), ("address", .string(endpoint.text))]))
    }
  }

  /// The replayed events, consecutive stream pieces of one direction joined.
  static func joined(_ replayed: [CaptureConversations.TimedEvent]) -> [CaptureConversations.TimedEvent] {
    var joined: [CaptureConversations.TimedEvent] = []
    for event in replayed {
      if case .stream(let flow, let from, let to, let bytes) = event.event, let last = joined.last,
        case .stream(flow, from, to, let previous) = last.event
      {
        joined[joined.count - 1].event = .stream(flow: flow, from: from, to: to, bytes: previous + bytes)
        continue
      }
      joined.append(event)
    }
    return joined
  }

  private func steps(_ plan: SocketPlan, source: String) throws(ImportTooLarge) -> [OrderedJSON] {
    var steps: [OrderedJSON] = []
    // Counted as the steps are made, so a capture too large for a scenario
    // stops here, holding no more than the limit's worth of steps.
    var written = 0
    let events = eventsInOrder
    let fresh = freshValues(events)
    // Endpoints netdrill does not play (a client under test, on an ephemeral
    // port) → the name their first datagram's real source is remembered as.
    var peers: [Endpoint: String] = [:]
    var lastTimestamp: UInt64?
    for (index, timed) in events.enumerated() {
      var eventSteps: [OrderedJSON] = []
      switch timed.event {
      case .datagram(_, let from, let to, let payload, let refused):
        let data = Self.payload(payload)
        if plays(from), let socket = plan.udp[from] {
          eventSteps.append(
            .object([
              ("sendto", .string(socket)), ("to", .string(peers[to] ?? to.text)),
              ("data", Self.payload(payload, echo: fresh.echoes[index] ?? [])),
              ("expect", .object([("returns", .integer(payload.count))])),
            ]))
          if refused {
            eventSteps.append(.object([("poll", .string(socket)), ("events", .array([.string("POLLIN")]))]))
            eventSteps.append(
              .object([
                ("recvmsg", .string(socket)), ("flags", .array([.string("MSG_ERRQUEUE")])),
                (
                  "expect",
                  .object([
                    (
                      "extended_error",
                      .object([
                        ("errno", .string("ECONNREFUSED")), ("origin", .string(from.address.isIPv6 ? "icmp6" : "icmp")),
                      ])
                    )
                  ])
                ),
              ]))
          }
        }
        if !refused, plays(to), let socket = plan.udp[to] {
          // A client under test picks fresh values (a DNS ID, an NTP timestamp) the answer echoes:
          // its request can only be held to its length.
          let freshRequest = !plays(from) && fresh.requests.contains(index)
          var expect: [(String, OrderedJSON)] = [freshRequest ? ("returns", .integer(payload.count)) : ("data", data)]
          var members: [(String, OrderedJSON)] = [("recvfrom", .string(socket))]
          if plays(from) {
            expect.append(("from", .string(from.text)))
          } else if options.program != nil, peers[from] == nil {
            let name = Self.peerName(from, taken: Set(peers.values))
            peers[from] = name
            members.append(("remember", .string(name)))
          }
          members.append(("expect", .object(expect)))
          eventSteps.append(.object(members))
        }
      case .connect(let flow, let client, let server, let refused):
        if let socket = plan.tcpClient[flow] {
          eventSteps.append(
            .object([
              ("connect", .string(socket)), ("to", .string(server.text)),
              ("expect", .object([refused ? ("error", .string("ECONNREFUSED")) : ("returns", .integer(0))])),
            ]))
        }
        if let listener = plan.listeners[server], let accepted = plan.tcpAccepted[flow] {
          var members: [(String, OrderedJSON)] = [("accept", .string(listener)), ("as", .string(accepted))]
          if plays(client) { members.append(("expect", .object([("from", .string(client.text))]))) }
          eventSteps.append(.object(members))
        }
      case .stream(let flow, let from, _, let bytes):
        let sender = socket(plan, flow: flow, endpoint: from, sending: true)
        let receiver = socket(plan, flow: flow, endpoint: from, sending: false)
        var offset = 0
        let freshRequest = fresh.requests.contains(index) && !plays(from)
        while offset < bytes.count {
          let piece = Array(bytes[offset..<min(offset + Self.streamChunk, bytes.count)])
          offset += piece.count
          if let sender {
            eventSteps.append(
              .object([
                ("send", .string(sender)), ("data", Self.payload(piece, echo: fresh.echoes[index] ?? [])),
                ("expect", .object([("returns", .integer(piece.count))])),
              ]))
          }
          if let receiver {
            eventSteps.append(
              .object([
                ("recv", .string(receiver)), ("size", .integer(piece.count)),
                ("flags", .array([.string("MSG_WAITALL")])),
                (
                  "expect",
                  .object([freshRequest ? ("returns", .integer(piece.count)) : ("data", Self.payload(piece))])
                ),
              ]))
          }
        }
      case .finish(let flow, let from, _):
        if let sender = socket(plan, flow: flow, endpoint: from, sending: true) {
          eventSteps.append(.object([("shutdown", .string(sender)), ("how", .string("write"))]))
        }
        if let receiver = socket(plan, flow: flow, endpoint: from, sending: false) {
          eventSteps.append(.object([("recv", .string(receiver)), ("expect", .object([("returns", .integer(0))]))]))
        }
      case .reset(let flow, let from, _):
        if let sender = socket(plan, flow: flow, endpoint: from, sending: true) {
          eventSteps.append(
            .object([
              ("setsockopt", .string(sender)), ("option", .string("SO_LINGER")),
              ("value", .object([("onoff", .integer(1)), ("linger", .integer(0))])),
            ]))
          eventSteps.append(.object([("close", .string(sender))]))
        }
        if let receiver = socket(plan, flow: flow, endpoint: from, sending: false) {
          eventSteps.append(
            .object([("recv", .string(receiver)), ("expect", .object([("error", .string("ECONNRESET"))]))]))
        }
      }
      if let speed = options.speed, let last = lastTimestamp, !eventSteps.isEmpty,
        timed.timestampNanoseconds > last
      {
        let gap = Double(timed.timestampNanoseconds - last) / speed
        let microseconds = Int64(gap / 1000)
        if microseconds >= 100 {
          steps.append(.object([("wait", .string("\(microseconds)us"))]))
        }
      }
      if !eventSteps.isEmpty { lastTimestamp = timed.timestampNanoseconds }
      written += eventSteps.reduce(0) { $0 + $1.minimumSize }
      if written > ImportTooLarge.limit {
        throw ImportTooLarge(capture: source, what: "the scenario written from it", bytes: written)
      }
      steps += eventSteps
    }
    return steps
  }

  /// Which sends copy fresh values from the request their socket last
  /// received (event index → ranges, see ``FreshValueEcho``) and which
  /// requests carry such values (event indices).
  struct FreshValues {
    var echoes: [Int: [EchoRange]] = [:]
    var requests = Set<Int>()
  }

  func freshValues(_ events: [CaptureConversations.TimedEvent]) -> FreshValues {
    var result = FreshValues()
    // What each endpoint (of each TCP conversation) last received, and in which event.
    struct Receiver: Hashable {
      var flow: Int
      var endpoint: Endpoint
    }
    var lastReceived: [Receiver: (index: Int, bytes: [UInt8])] = [:]
    for (index, timed) in events.enumerated() {
      let flow = conversations.flows[timed.event.flow - 1]
      let received: (from: Endpoint, to: Endpoint, bytes: [UInt8])
      switch timed.event {
      // UDP: a socket per endpoint, whatever the conversation; TCP: a socket per conversation side.
      case .datagram(_, let from, let to, let payload, false): received = (from, to, payload)
      case .stream(_, let from, let to, let bytes) where bytes.count <= Self.streamChunk: received = (from, to, bytes)
      case .stream(let id, _, let to, _):
        lastReceived[Receiver(flow: id, endpoint: to)] = nil
        continue
      default: continue
      }
      let key = { (endpoint: Endpoint) in
        Receiver(flow: flow.flowProtocol == .tcp ? timed.event.flow : 0, endpoint: endpoint)
      }
      if let request = lastReceived[key(received.from)] {
        let ranges = FreshValueEcho.ranges(
          request: request.bytes, reply: received.bytes, flowProtocol: flow.flowProtocol,
          ports: (flow.client.port, flow.server.port))
        if !ranges.isEmpty {
          result.echoes[index] = ranges
          result.requests.insert(request.index)
        }
      }
      lastReceived[key(received.to)] = (index, received.bytes)
    }
    return result
  }

  /// `peer_10.0.0.1_40000` (from `10.0.0.1:40000`): a name for where a program's datagrams really come from.
  private static func peerName(_ endpoint: Endpoint, taken: Set<String>) -> String {
    let text = endpoint.text.map { $0.isLetter || $0.isNumber || $0 == "." ? $0 : "_" }
    var name = "peer_" + String(text)
    while taken.contains(name) { name += "_" }
    return name
  }

  /// The socket of the sending (or the receiving) side of a TCP conversation, when netdrill plays it.
  private func socket(_ plan: SocketPlan, flow: Int, endpoint from: Endpoint, sending: Bool) -> String? {
    let conversation = conversations.flows[flow - 1]
    let fromClient = from == conversation.client
    let clientSide = sending ? fromClient : !fromClient
    return clientSide ? plan.tcpClient[flow] : plan.tcpAccepted[flow]
  }
}
