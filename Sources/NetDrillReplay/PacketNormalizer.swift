import NetDrillTrace

/// Which packet fields a comparison looks at. The defaults ignore what
/// changes from run to run on its own: IP ID, checksums, timestamps, TTL and
/// hop limit, TCP initial sequence numbers (seq/ack are relative), TCP window.
public struct NormalizationOptions: Sendable, Equatable {
  /// Fields to leave out besides the volatile ones: `payload`, `length`, `quote`, `tcp-seq`, `tcp-flags`.
  public var ignored: Set<String>
  /// Volatile fields to compare after all: `ttl`, `ip-id`, `tcp-window`.
  public var compared: Set<String>

  public static let ignorableFields = ["payload", "length", "quote", "tcp-seq", "tcp-flags"]
  /// `housekeeping`: ARP, IPv6 neighbour discovery, MLD and IGMP — the kernel's own
  /// link chatter, sent on timers, so its count and timing vary from run to run.
  public static let volatileFields = ["ttl", "ip-id", "tcp-window", "housekeeping"]

  public init(ignored: Set<String> = [], compared: Set<String> = []) {
    self.ignored = ignored
    self.compared = compared
  }
}

/// A captured packet in symbolic form: endpoints by name, volatile fields
/// gone, so the same behaviour in two runs gives equal values.
public struct NormalizedPacket: Sendable, Equatable, Codable {
  /// The flow it belongs to (`UDP client → $closed`); an ICMP error belongs
  /// to the flow of the datagram it quotes, so it is ordered against that datagram.
  public var flow: String
  /// Everything compared, in one line.
  public var text: String
  /// The interface it was captured on (`local/lo`).
  public var interface: String
  /// The step that caused it, from the packet comment.
  public var step: String?
  public var timestampNanoseconds: UInt64
}

/// Turns decoded packets into `NormalizedPacket`s for one trace. Stateful:
/// unnamed ports get stable names in order of first appearance, and TCP
/// sequence numbers are made relative to each direction's first.
public struct PacketNormalizer {
  private let names: [String: String]
  private let options: NormalizationOptions
  private var unnamed: [String: String] = [:]
  private var initialSequence: [String: UInt32] = [:]

  /// `names` maps concrete `address:port` (`127.0.0.1:41234`, `[::1]:9`) to symbols.
  public init(names: [String: String], options: NormalizationOptions = .init()) {
    self.names = names
    self.options = options
  }

  public mutating func normalize(_ packet: DecodedPacket, interface: String, step: String?, timestamp: UInt64)
    -> NormalizedPacket
  {
    let (flow, text) = describe(packet, quoted: false)
    return NormalizedPacket(flow: flow, text: text, interface: interface, step: step, timestampNanoseconds: timestamp)
  }

  /// A symbolic endpoint: the name the run gave it, or `port#N` for one it did not.
  public mutating func endpoint(_ address: IPAddress?, _ port: UInt16) -> String {
    let key = "\(address?.withPortBrackets ?? "?"):\(port)"
    if let name = names[key] { return name }
    if let name = unnamed[key] { return name }
    let name = "\(address?.withPortBrackets ?? "?"):port#\(unnamed.count + 1)"
    unnamed[key] = name
    return name
  }

  /// Replaces every concrete `address:port` this run named in `text` by its name.
  public func symbolize(_ text: String) -> String {
    var result = text
    // Longest first, so 127.0.0.1:9 does not eat into 127.0.0.1:9000.
    for (address, name) in names.sorted(by: { $0.key.count > $1.key.count }) where result.contains(address) {
      result = replaceWholeAddress(address, with: name, in: result)
    }
    return result
  }

  private func replaceWholeAddress(_ address: String, with name: String, in text: String) -> String {
    var output = ""
    var rest = Substring(text)
    while let range = rest.range(of: address) {
      let next = rest[range.upperBound...].first
      output += rest[..<range.lowerBound]
      output += (next.map { $0.isNumber } ?? false) ? String(rest[range]) : name
      rest = rest[range.upperBound...]
    }
    return output + rest
  }

  private mutating func describe(_ packet: DecodedPacket, quoted: Bool) -> (flow: String, text: String) {
    var extras: [String] = []
    switch packet.network {
    case .ipv4(let header):
      if options.compared.contains("ttl") { extras.append("ttl=\(header.ttl)") }
      if options.compared.contains("ip-id") { extras.append("id=\(header.identification)") }
    case .ipv6(let header):
      if options.compared.contains("ttl") { extras.append("hlim=\(header.hopLimit)") }
    default: break
    }
    switch packet.transport {
    case .udp(let udp):
      let flow = "UDP \(endpoint(packet.source, udp.sourcePort)) → \(endpoint(packet.destination, udp.destinationPort))"
      var text = flow
      if !options.ignored.contains("length") { text += " len=\(udp.payloadLength)" }
      if !options.ignored.contains("payload") { text += " data=\(hex(udp.payload))" }
      return (flow, (text + extras.map { " " + $0 }.joined()))

    case .tcp(let tcp):
      let from = endpoint(packet.source, tcp.sourcePort)
      let to = endpoint(packet.destination, tcp.destinationPort)
      let flow = "TCP \(from) → \(to)"
      var text = flow
      if !options.ignored.contains("tcp-flags") { text += " [\(tcp.flags.names.joined(separator: ","))]" }
      if !options.ignored.contains("tcp-seq") && !quoted {
        let forward = "\(from)>\(to)"
        let backward = "\(to)>\(from)"
        if initialSequence[forward] == nil { initialSequence[forward] = tcp.sequenceNumber }
        text += " seq=\(tcp.sequenceNumber &- initialSequence[forward]!)"
        if tcp.flags.contains(.ack) {
          if let base = initialSequence[backward] {
            text += " ack=\(tcp.acknowledgmentNumber &- base)"
          } else {
            text += " ack=?"
          }
        }
      }
      if options.compared.contains("tcp-window") { text += " win=\(tcp.window)" }
      if !options.ignored.contains("length") { text += " len=\(tcp.payload.count)" }
      if !options.ignored.contains("payload"), !tcp.payload.isEmpty { text += " data=\(hex(tcp.payload))" }
      // Both directions of a connection are one flow, ordered together.
      let flowKey = [from, to].sorted().joined(separator: " ⇄ ")
      return ("TCP \(flowKey)", text + extras.map { " " + $0 }.joined())

    case .icmpv4(let message), .icmpv6(let message):
      let kind = "\(message.isIPv6 ? "ICMPv6" : "ICMP") \(message.name) (\(message.type)/\(message.code))"
      var text = "\(kind) \(packet.source?.description ?? "?") → \(packet.destination?.description ?? "?")"
      if let mtu = message.mtu { text += " mtu=\(mtu)" }
      var flow = kind
      if let inner = message.quoted {
        let quotedDescription = describe(inner, quoted: true)
        // The quoted datagram's flow: the error is ordered against what caused it.
        flow = quotedDescription.flow
        if !options.ignored.contains("quote") { text += " quoting \(quotedDescription.text)" }
      }
      return (flow, text + extras.map { " " + $0 }.joined())

    case .other(let number):
      let text = "IP \(packet.source?.description ?? "?") → \(packet.destination?.description ?? "?") proto=\(number)"
      return (text, text)
    case nil:
      let text = packet.summary
      return (text, text)
    }
  }

  private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var text = ""
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0xf)])
    }
    return text
  }
}
