import NetDrillScenario
import NetDrillTrace

/// The verdict on one expected packet of `expect_packets`, or on a packet that
/// `{"exactly": [...]}` did not allow.
public struct PacketCheck: Sendable, Codable, Equatable {
  /// Index in `expect_packets` (0-based); nil for a packet no expectation allowed.
  public var index: Int?
  /// `[1] ICMP port-unreachable quoting [0]`.
  public var expected: String
  /// Where the expectation was written (`file:line:col`).
  public var location: String?
  public var passed: Bool
  /// The captured packet that matched, or the one that broke an `exactly` list.
  public var actual: String?
  /// When it failed: the captured packets closest to what was expected.
  public var nearest: [String]
  /// Why it could not be checked, when it could not.
  public var note: String?

  /// An absent packet proves nothing when the capture lost some: a failed check then.
  public static func completeCapture(droppedPackets: UInt64) -> [PacketCheck] {
    guard droppedPackets > 0 else { return [] }
    return [
      PacketCheck(
        index: nil, expected: "a complete capture", location: nil, passed: false,
        actual: "\(droppedPackets) packets dropped", nearest: [], note: "packet expectations cannot be trusted")
    ]
  }
}

/// Matches a run's captured packets against its expected packets, one packet
/// at a time, in time order. Memory holds the expectations, a few candidate
/// packets for the failure message, and the packets of the last second (to
/// count a packet seen on several interfaces once) — never the whole capture.
public struct PacketExpectationMatcher {
  private let expectations: [PacketExpectation]
  private let mode: PacketMatch
  private let file: String?
  private let endpoints: EndpointMatcher
  private var sightings = FirstSightings()
  private var checks: [PacketCheck?]
  /// The next expectation to match.
  private var next = 0
  /// The datagram each matched UDP/TCP expectation matched, for `quotes`.
  private var matchedDatagrams: [Int: QuotedDatagram] = [:]
  /// Candidates for the failure message of `expectations[next]`, best first.
  private var nearest = NearestPackets()
  /// `exactly`: the list broke here; later packets are only counted.
  private var brokenAt: Int?
  private var unexpected: [String] = []
  private var unexpectedCount = 0

  /// For `scenario`'s `expect_packets`, with the names and addresses of its run `run`.
  public init(scenario: Scenario, run: RunResult) {
    self.init(
      expectations: scenario.expectedPackets, mode: scenario.packetMatch, file: scenario.sourcePath, names: run.names,
      aliases: run.aliases ?? [:], closedPort: run.closedPort)
  }

  init(
    expectations: [PacketExpectation], mode: PacketMatch, file: String?, names: [String: String],
    aliases: [String: [String]], closedPort: UInt16
  ) {
    self.expectations = expectations
    self.mode = mode
    self.file = file
    self.endpoints = EndpointMatcher(names: names, aliases: aliases, closedPort: closedPort)
    self.checks = Array(repeating: nil, count: expectations.count)
  }

  public mutating func consume(_ packet: DecodedPacket, interface: String, timestampNanoseconds: UInt64) {
    guard !packet.isHousekeeping else { return }
    // Once nothing is left to match and no other packet is forbidden, no packet changes a verdict:
    // not even sighted (most packets of a long trace).
    let listDone = brokenAt != nil || next == expectations.count
    if listDone && mode != .exactly { return }
    guard sightings.isFirst(packet, interface: interface, timestampNanoseconds: timestampNanoseconds) else { return }
    if listDone {
      if mode == .exactly { noteUnexpected(packet, interface: interface) }
      return
    }
    let expectation = expectations[next]
    let score = self.score(expectation, packet)
    if score == .max {
      checks[next] = PacketCheck(
        index: next, expected: describe(expectation, index: next), location: locate(expectation),
        passed: true, actual: describe(packet, interface: interface), nearest: [], note: nil)
      if let datagram = QuotedDatagram(packet) { matchedDatagrams[next] = datagram }
      next += 1
      nearest = NearestPackets()
    } else if mode == .exactly {
      brokenAt = next
      checks[next] = PacketCheck(
        index: next, expected: describe(expectation, index: next), location: locate(expectation),
        passed: false, actual: describe(packet, interface: interface), nearest: nearest.packets,
        note: "a different packet came first, and the list says exactly these packets in this order")
    } else {
      let endpoints = self.endpoints
      nearest.offer(score: score) { Self.describe(packet, interface: interface, endpoints: endpoints) }
    }
  }

  /// The verdicts: one per expectation, then one per packet `exactly` did not allow.
  public func finish() -> [PacketCheck] {
    var result: [PacketCheck] = []
    for (index, expectation) in expectations.enumerated() {
      if let check = checks[index] {
        result.append(check)
        continue
      }
      let reached = brokenAt == nil && index == next
      result.append(
        PacketCheck(
          index: index, expected: describe(expectation, index: index), location: locate(expectation),
          passed: false, actual: nil, nearest: reached ? nearest.packets : [],
          note: reached ? "not captured" : "not reached: an earlier expected packet was not matched"))
    }
    if !unexpected.isEmpty {
      let more = unexpectedCount - unexpected.count
      result.append(
        PacketCheck(
          index: nil, expected: "no other packet (\"exactly\")", location: nil, passed: false,
          actual: unexpected[0], nearest: Array(unexpected.dropFirst()),
          note: more > 0 ? "and \(more) more" : nil))
    }
    return result
  }

  private mutating func noteUnexpected(_ packet: DecodedPacket, interface: String) {
    // The packet that broke the list is already reported; count what follows the list's end.
    guard brokenAt == nil else { return }
    unexpectedCount += 1
    if unexpected.count < 4 { unexpected.append(describe(packet, interface: interface)) }
  }

  // MARK: Matching

  /// `.max` when `packet` is `expectation`; otherwise how close it comes (0: another kind of packet).
  private func score(_ expectation: PacketExpectation, _ packet: DecodedPacket) -> Int {
    var score = 1
    var missed = false
    func field(_ matches: Bool) {
      if matches { score += 1 } else { missed = true }
    }
    switch expectation.kind {
    case .udp(let from, let to):
      guard let udp = packet.udp else { return 0 }
      field(endpoints.matches(from, packet.source, udp.sourcePort))
      field(endpoints.matches(to, packet.destination, udp.destinationPort))
    case .tcp(let from, let to, let flags):
      guard let tcp = packet.tcp else { return 0 }
      field(endpoints.matches(from, packet.source, tcp.sourcePort))
      field(endpoints.matches(to, packet.destination, tcp.destinationPort))
      if let flags { field(Set(flags) == Set(tcp.flags.names)) }
    case .icmp(let name):
      guard let message = packet.icmp, message.isError else { return 0 }
      field(ICMPErrorName.matches(name, message))
      if let quoted = expectation.quotes {
        field(matchedDatagrams[quoted].map { $0.isQuoted(by: message) } ?? false)
      }
    }
    return missed ? score : .max
  }

  // MARK: Descriptions

  /// `file.json:12:5 $.expect_packets[1]`.
  private func locate(_ expectation: PacketExpectation) -> String {
    (file.map { "\($0):" } ?? "") + expectation.location.description
  }

  private func describe(_ expectation: PacketExpectation, index: Int) -> String {
    func side(_ spec: AddressSpec?) -> String { spec?.description ?? "any" }
    let text: String
    switch expectation.kind {
    case .udp(let from, let to):
      text = "UDP \(side(from)) → \(side(to))"
    case .tcp(let from, let to, let flags):
      text = "TCP \(side(from)) → \(side(to))" + (flags.map { " [\($0.joined(separator: ","))]" } ?? "")
    case .icmp(let name):
      text = "ICMP \(name)" + (expectation.quotes.map { " quoting [\($0)]" } ?? "")
    }
    return "[\(index)] \(text)"
  }

  private func describe(_ packet: DecodedPacket, interface: String) -> String {
    Self.describe(packet, interface: interface, endpoints: endpoints)
  }

  /// `lo UDP client → $closed len=3`.
  private static func describe(_ packet: DecodedPacket, interface: String, endpoints: EndpointMatcher) -> String {
    "\(interface) " + endpoints.describe(packet)
  }
}

/// Decides whether a packet's endpoint is the one a scenario named, using the
/// run's address → name table and each name's concrete addresses.
struct EndpointMatcher {
  let names: [String: String]
  let aliases: [String: [String]]
  let closedPort: UInt16

  func matches(_ spec: AddressSpec?, _ address: IPAddress?, _ port: UInt16) -> Bool {
    guard let spec else { return true }
    switch spec {
    case .closedPort:
      return port == closedPort
    case .namedClosedPort(let label):
      return names[Self.key(address, port)] == "$closed.\(label)"
    case .named(let name):
      let key = Self.key(address, port)
      return names[key] == name || (aliases[name]?.contains(key) ?? false)
    case .literal(let host, let portSpec):
      let number: UInt16
      switch portSpec {
      case .closed: number = closedPort
      case .number(let value): number = value
      case .namedClosed(let label):
        guard let found = self.port(named: "$closed.\(label)") else { return false }
        number = found
      case .of(let name):
        guard let found = self.port(named: name) else { return false }
        number = found
      }
      guard let wanted = IPAddress(host) else { return false }
      return wanted == address && number == port
    }
  }

  /// The port of an address the run named `name` (a socket, a remembered address, `$closed.NAME`).
  private func port(named name: String) -> UInt16? {
    let keys = names.filter { $0.value == name }.map(\.key) + (aliases[name] ?? [])
    return keys.lazy.compactMap { $0.split(separator: ":").last.flatMap { UInt16($0) } }.first
  }

  /// `UDP client → $closed len=3`: endpoints by the names the run gave them.
  func describe(_ packet: DecodedPacket) -> String {
    func endpoint(_ address: IPAddress?, _ port: UInt16) -> String {
      let key = Self.key(address, port)
      return names[key] ?? key
    }
    switch packet.transport {
    case .udp(let udp):
      return
        "UDP \(endpoint(packet.source, udp.sourcePort)) → \(endpoint(packet.destination, udp.destinationPort)) len=\(udp.payloadLength)"
    case .tcp(let tcp):
      return
        "TCP \(endpoint(packet.source, tcp.sourcePort)) → \(endpoint(packet.destination, tcp.destinationPort)) [\(tcp.flags.names.joined(separator: ","))] len=\(tcp.payload.count)"
    case .icmpv4(let message), .icmpv6(let message):
      var text =
        "\(message.isIPv6 ? "ICMPv6" : "ICMP") \(message.name) \(packet.source?.description ?? "?") → \(packet.destination?.description ?? "?")"
      if let quoted = message.quoted { text += " quoting " + describe(quoted) }
      return text
    default:
      return packet.summary
    }
  }

  static func key(_ address: IPAddress?, _ port: UInt16) -> String {
    "\(address?.withPortBrackets ?? "?"):\(port)"
  }
}

/// The vocabulary's ICMP error names, which are ICMPv4's; the ICMPv6 message
/// with the same meaning matches too (RFC 4443 section 3).
enum ICMPErrorName {
  static func matches(_ name: String, _ message: ICMPMessage) -> Bool {
    guard message.isIPv6 else { return message.name == name }
    switch name {
    case "host-unreachable": return message.type == 1 && message.code == 3
    case "net-unreachable": return message.type == 1 && message.code == 0
    case "frag-needed": return message.type == 2
    case "protocol-unreachable": return message.type == 4 && message.code == 1
    default: return message.name == name
    }
  }
}

/// What identifies a UDP datagram or TCP segment inside an ICMP error that quotes it.
struct QuotedDatagram {
  var source: IPAddress?
  var destination: IPAddress?
  var identification: UInt16?
  var sourcePort: UInt16
  var destinationPort: UInt16
  /// UDP: the payload; TCP: the sequence number. ICMP quotes a prefix of the datagram.
  var payload: [UInt8]
  var sequence: UInt32?

  init?(_ packet: DecodedPacket) {
    source = packet.source
    destination = packet.destination
    if case .ipv4(let header)? = packet.network { identification = header.identification }
    switch packet.transport {
    case .udp(let udp):
      (sourcePort, destinationPort, payload) = (udp.sourcePort, udp.destinationPort, udp.payload)
    case .tcp(let tcp):
      (sourcePort, destinationPort, payload, sequence) = (tcp.sourcePort, tcp.destinationPort, [], tcp.sequenceNumber)
    default:
      return nil
    }
  }

  func isQuoted(by message: ICMPMessage) -> Bool {
    guard let inner = message.quoted, let quoted = QuotedDatagram(inner) else { return false }
    return quoted.source == source && quoted.destination == destination && quoted.identification == identification
      && quoted.sourcePort == sourcePort && quoted.destinationPort == destinationPort && quoted.sequence == sequence
      && payload.starts(with: quoted.payload)
  }
}

/// Counts a packet once although it is captured on every interface it crosses
/// (sent on a/eth0, received on b/eth0, forwarded by a router). A later copy
/// on another interface within a second is the same packet; a copy on an
/// interface that already saw it is a new packet (the same datagram sent again).
/// The one rule for both `expect_packets` and `import` of a multi-host trace.
public struct FirstSightings: Sendable {
  private struct Identity: Hashable {
    var source: IPAddress?
    var destination: IPAddress?
    var identification: UInt16?
    var transport: TransportHeader?

    /// Equal identities (all of the above equal) hash alike: this hashes a
    /// part of them, payloads as one block of bytes. The derived hash fed a
    /// payload to the hasher byte by byte, and that was most of the cost of
    /// a first sighting, which every packet of a long trace pays.
    func hash(into hasher: inout Hasher) {
      Self.combine(source, into: &hasher)
      Self.combine(destination, into: &hasher)
      hasher.combine(identification)
      switch transport {
      case .udp(let udp):
        hasher.combine(udp.sourcePort)
        hasher.combine(udp.destinationPort)
        udp.payload.withUnsafeBytes { hasher.combine(bytes: $0) }
      case .tcp(let tcp):
        hasher.combine(tcp.sourcePort)
        hasher.combine(tcp.destinationPort)
        hasher.combine(tcp.sequenceNumber)
        hasher.combine(tcp.acknowledgmentNumber)
        tcp.payload.withUnsafeBytes { hasher.combine(bytes: $0) }
      case .icmpv4(let message), .icmpv6(let message):
        hasher.combine(message.type)
        hasher.combine(message.code)
        message.restOfHeader.withUnsafeBytes { hasher.combine(bytes: $0) }
        message.payload.withUnsafeBytes { hasher.combine(bytes: $0) }
      case .other, nil:
        hasher.combine(transport)
      }
    }

    private static func combine(_ address: IPAddress?, into hasher: inout Hasher) {
      switch address {
      case .v4(let bytes)?:
        hasher.combine(4 as UInt8)
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
      case .v6(let bytes)?:
        hasher.combine(6 as UInt8)
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
      case nil:
        hasher.combine(0 as UInt8)
      }
    }
  }
  private var seen: [Identity: (interfaces: Set<String>, time: UInt64)] = [:]
  private static let window: UInt64 = 1_000_000_000

  public init() {}

  public mutating func isFirst(_ packet: DecodedPacket, interface: String, timestampNanoseconds time: UInt64) -> Bool {
    var identification: UInt16?
    if case .ipv4(let header)? = packet.network { identification = header.identification }
    let identity = Identity(
      source: packet.source, destination: packet.destination, identification: identification,
      transport: packet.transport)
    // One lookup for a packet seen before: its entry is changed where it is.
    if let index = seen.index(forKey: identity) {
      let known = seen.values[index].interfaces
      if !known.contains(interface), time &- seen.values[index].time < Self.window {
        seen.values[index].interfaces.insert(interface)
        return false
      }
      // A new packet, seen here now (the set is rebuilt only when it holds more than this interface).
      if known.count != 1 || !known.contains(interface) { seen.values[index].interfaces = [interface] }
      seen.values[index].time = time
    } else {
      seen[identity] = ([interface], time)
    }
    // Forget what is older than the window, so memory follows live traffic only.
    if seen.count > 4096 { seen = seen.filter { time &- $0.value.time < Self.window } }
    return true
  }
}

/// The few captured packets closest to an expected one, for its failure message.
struct NearestPackets {
  private(set) var packets: [String] = []
  private var scores: [Int] = []
  private static let limit = 3

  /// Keeps the packet `describe` names if it is among the closest so far;
  /// `describe` runs only then (most packets of a long capture are not).
  mutating func offer(score: Int, _ describe: () -> String) {
    guard score > 0 || packets.count < Self.limit else { return }
    // Earlier packets win ties: they are where the expected one was due.
    let position = scores.firstIndex { $0 < score } ?? scores.count
    guard position < Self.limit else { return }
    packets.insert(describe(), at: position)
    scores.insert(score, at: position)
    if packets.count > Self.limit {
      packets.removeLast()
      scores.removeLast()
    }
  }
}
