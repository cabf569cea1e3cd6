import Foundation
import NetDrillScenario
import NetDrillTrace

/// Writes the scenario that re-creates a capture's UDP and TCP conversations
/// on real sockets (see ``CaptureConversations`` for what is read).
///
/// - Every endpoint netdrill plays is a socket bound to its captured
///   address and port (a TCP server a listener; each accepted connection a
///   socket of its own), on the host of its captured address.
/// - Each datagram is sent by the side that sent it, in captured order; the
///   other side receives it and checks the payload exactly (and `from`,
///   when netdrill plays the sender). A datagram an ICMP port unreachable
///   answered has no receiver: the sender reads the error from its error
///   queue (IP_RECVERR) as ECONNREFUSED.
/// - TCP: connect / accept for the handshake (ECONNREFUSED when a RST
///   answered), byte streams sent and received until the captured count
///   (`MSG_WAITALL`: segmentation is the kernel's), `shutdown(write)` and
///   EOF for a FIN, an abortive close (SO_LINGER 0) and ECONNRESET for a RST.
/// - Roles: the client of a conversation is the side that opened it (who
///   sent the SYN; for UDP the side `show` calls client), and an endpoint
///   keeps the role it first had: so a server answering from a new port
///   (TFTP) is still a server.
public struct ScenarioImporter {
  public enum Role: Sendable { case client, server }

  let conversations: CaptureConversations
  let options: ImportOptions
  let network: ImportNetwork
  var roles: [Endpoint: Role] = [:]
  /// Conversations not replayed because of their addresses, by reason.
  public private(set) var excluded: [String: Int] = [:]
  var replayed: [CaptureConversations.TimedEvent] = []
  /// `replayed` with consecutive stream pieces joined: made once (the payloads are what a scenario holds).
  var eventsInOrder: [CaptureConversations.TimedEvent] = []

  /// The largest piece of a TCP stream sent or received in one step: small
  /// enough that the sender never waits for a receiver that is not reading yet.
  static let streamChunk = 65536

  public init(_ conversations: CaptureConversations, options: ImportOptions) {
    self.conversations = conversations
    self.options = options
    let all = conversations.addresses
    let loopbackOnly = all.allSatisfy(ImportNetwork.isLoopback)
    var excluded: [String: Int] = [:]
    var kept: [CaptureConversations.TimedEvent] = []
    for event in conversations.events {
      let flow = conversations.flows[event.event.flow - 1]
      let addresses = [flow.client.address, flow.server.address]
      if !loopbackOnly
        && addresses.contains(where: {
          ImportNetwork.isLoopback($0) || !ImportNetwork.replayable($0) || ImportNetwork.hostNumber($0) == nil
        })
      {
        excluded[
          "\(flow.flowProtocol.rawValue) event(s) with a loopback, broadcast, multicast, link-local address or a host number above .\(ImportNetwork.highestHostNumber)",
          default: 0] += 1
        continue
      }
      kept.append(event)
    }
    self.excluded = excluded
    self.replayed = kept
    self.eventsInOrder = Self.joined(kept)
    var order: [IPAddress] = []
    var seen = Set<IPAddress>()
    for event in kept {
      let flow = conversations.flows[event.event.flow - 1]
      for address in [flow.client.address, flow.server.address] where seen.insert(address).inserted {
        order.append(address)
      }
    }
    let flows = conversations.flows
    network = ImportNetwork(addresses: order) { address in
      for flow in flows {
        if flow.client.address == address { return Self.hostPart(flow.clientName) }
        if flow.server.address == address { return Self.hostPart(flow.serverName) }
      }
      return "host"
    }
    assignRoles()
  }

  static func hostPart(_ endpointName: String) -> String {
    guard let colon = endpointName.lastIndex(of: ":") else { return endpointName }
    return String(endpointName[..<colon])
  }

  /// Conversation roles spread along the endpoints they share, in captured order.
  private mutating func assignRoles() {
    for event in replayed {
      let flow = conversations.flows[event.event.flow - 1]
      var client = flow.client
      var server = flow.server
      if case .connect(_, let from, let to, _) = event.event { (client, server) = (from, to) }
      switch (roles[client], roles[server]) {
      case (nil, nil):
        roles[client] = .client
        roles[server] = .server
      case (let known?, nil): roles[server] = known == .client ? .server : .client
      case (nil, let known?): roles[client] = known == .client ? .server : .client
      default: break
      }
    }
  }

  public var replayedEvents: Int { replayed.count }
  public var replayedFlows: [Flow] {
    Set(replayed.map(\.event.flow)).sorted().map { conversations.flows[$0 - 1] }
  }

  func plays(_ endpoint: Endpoint) -> Bool {
    switch options.play {
    case .both: return true
    case .clients: return roles[endpoint] == .client
    case .servers: return roles[endpoint] == .server
    }
  }

  /// The host a captured address lives on in the replay.
  func host(of address: IPAddress) -> String? { network.hosts[address] }

  func endpointText(_ endpoint: Endpoint) -> String { endpoint.text }

  static func socketName(_ protocolName: String, _ hostName: String, _ port: UInt16) -> String {
    let host = String(hostName.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    return "\(protocolName)_\(host)_\(port)"
  }

  /// A JSON payload: text when it is printable ASCII, else hex.
  /// Lower-case hex digits, two per byte: a table, not a formatter per byte
  /// (megabytes of payload become a scenario in well under a second).
  static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// With `echo`, always the object form, carrying the ranges copied from the datagram last received.
  static func payload(_ bytes: [UInt8], echo: [EchoRange] = []) -> OrderedJSON {
    if echo.isEmpty, !bytes.isEmpty, bytes.allSatisfy({ (0x20...0x7E).contains($0) }) {
      return .string(String(decoding: bytes, as: UTF8.self))
    }
    var members: [(String, OrderedJSON)] = [("hex", .string(hex(bytes)))]
    if !echo.isEmpty {
      let ranges = echo.map { range in
        OrderedJSON.object([
          ("from", .integer(range.from)), ("to", .integer(range.to)), ("length", .integer(range.length)),
        ])
      }
      members.append(("echo", .array(ranges)))
    }
    return .object(members)
  }
}
