import NetDrillTrace

/// Which fields a comparison looks at: ``DiffField/table``'s defaults,
/// narrowed by `ignored` and widened by `compared` (field or group names).
public struct NormalizationOptions: Sendable, Equatable {
  /// Fields to leave out although the table compares them (`payload`, `length`, `ip-tos`…).
  public let ignored: Set<String>
  /// Fields to compare although the table ignores them (`ttl`, `ip-id`, `tcp-window`…).
  public let compared: Set<String>
  /// The names of the fields compared, after both adjustments.
  public let comparedFields: Set<String>

  /// Names `--ignore` takes.
  public static var ignorableFields: [String] { DiffField.ignorableNames }
  /// Names `--compare` takes.
  public static var volatileFields: [String] { DiffField.comparableNames }

  public init(ignored: Set<String> = [], compared: Set<String> = []) {
    self.ignored = ignored
    self.compared = compared
    var fields = Set(DiffField.table.filter(\.comparedByDefault).map(\.name))
    fields.subtract(ignored.flatMap(DiffField.expand))
    fields.formUnion(compared.flatMap(DiffField.expand))
    comparedFields = fields
  }

  /// Whether the field named so is compared.
  public func compares(_ field: String) -> Bool { comparedFields.contains(field) }
}

/// A captured packet in symbolic form: endpoints by name, ignored fields
/// gone, so the same behaviour in two runs gives equal values.
public struct NormalizedPacket: Sendable, Equatable, Codable {
  /// The flow it belongs to (`UDP client → $closed`); an ICMP error belongs
  /// to the flow of the datagram it quotes, so it is ordered against that datagram.
  public var flow: String
  /// The readable head: kind, endpoints, flags, relative seq/ack, payload
  /// length (`UDP client → $closed len=3`).
  public var summary: String
  /// Every other compared field as `name=value`, named as in ``DiffField/table``.
  public var fields: [String]
  /// Everything compared, in one line: what two runs must agree on.
  public var text: String
  /// The interface it was captured on (`local/lo`).
  public var interface: String
  /// The step that caused it, from the packet comment.
  public var step: String?
  public var timestampNanoseconds: UInt64

  public init(
    flow: String, summary: String, fields: [String], interface: String, step: String?, timestampNanoseconds: UInt64
  ) {
    self.flow = flow
    self.summary = summary
    self.fields = fields
    // As `([summary] + fields).joined(separator: " ")`, in one allocation: built for every packet a diff reads.
    var text = summary
    text.reserveCapacity(fields.reduce(summary.utf8.count) { $0 + 1 + $1.utf8.count })
    for field in fields {
      text += " "
      text += field
    }
    self.text = text
    self.interface = interface
    self.step = step
    self.timestampNanoseconds = timestampNanoseconds
  }
}

/// Turns decoded packets into `NormalizedPacket`s for one trace. Stateful:
/// unnamed ports get stable names in order of first appearance, and TCP
/// sequence numbers are made relative to each direction's first.
public struct PacketNormalizer {
  private let names: [String: String]
  private let options: NormalizationOptions
  /// `options.comparedFields`, asked about several times per packet.
  private let compared: ComparedFieldSet
  private let symbolizer: EndpointSymbolizer
  private var unnamed: [String: String] = [:]
  private var initialSequence: [String: UInt32] = [:]

  /// `names` maps concrete `address:port` (`127.0.0.1:41234`, `[::1]:9`) to symbols.
  public init(names: [String: String], options: NormalizationOptions = .init()) {
    self.names = names
    self.options = options
    compared = ComparedFieldSet(options.comparedFields)
    symbolizer = EndpointSymbolizer(names: names)
  }

  public mutating func normalize(_ packet: DecodedPacket, interface: String, step: String?, timestamp: UInt64)
    -> NormalizedPacket
  {
    let description = describe(packet, quoted: false)
    return NormalizedPacket(
      flow: description.flow, summary: description.summary, fields: description.fields, interface: interface,
      step: step, timestampNanoseconds: timestamp)
  }

  /// A symbolic endpoint: the name the run gave it, or `port#N` for one it did not.
  public mutating func endpoint(_ address: IPAddress?, _ port: UInt16) -> String {
    let endpoint = Endpoint(address: address, port: port)
    if let name = resolved[endpoint] { return name }
    let name = resolve(address, port)
    resolved[endpoint] = name
    return name
  }

  /// An endpoint as decoded: cheaper to look up than its `address:port` text.
  private struct Endpoint: Hashable {
    let address: IPAddress?
    let port: UInt16
  }

  /// The name ``resolve(_:_:)`` gave each endpoint seen: it never changes once given,
  /// so the text key is built once per endpoint, not once per packet.
  private var resolved: [Endpoint: String] = [:]

  private mutating func resolve(_ address: IPAddress?, _ port: UInt16) -> String {
    let key = "\(address?.withPortBrackets ?? "?"):\(port)"
    if let name = names[key] { return name }
    if let name = unnamed[key] { return name }
    let name = "\(address?.withPortBrackets ?? "?"):port#\(unnamed.count + 1)"
    unnamed[key] = name
    return name
  }

  /// Replaces every concrete `address:port` this run named in `text` by its name.
  public func symbolize(_ text: String) -> String {
    symbolizer.symbolized(text)
  }

  /// A packet's flow, readable head and compared fields.
  private struct Description {
    var flow: String
    var summary: String
    var fields: [String] = []
  }

  /// The compared fields of one packet, in header order, each once.
  private struct FieldList {
    let compared: ComparedFieldSet
    let prefix: String
    var items: [String] = []
    mutating func add(_ name: String, _ value: @autoclosure () -> String) {
      if compared.contains(name) { items.append("\(prefix)\(name)=\(value())") }
    }
  }

  private mutating func describe(_ packet: DecodedPacket, quoted: Bool) -> Description {
    var fields = FieldList(compared: compared, prefix: quoted ? "quote." : "")
    addLinkFields(packet.link, to: &fields)
    addNetworkFields(packet.network, to: &fields)
    var description: Description
    switch packet.transport {
    case .udp(let udp):
      let flow = "UDP \(endpoint(packet.source, udp.sourcePort)) → \(endpoint(packet.destination, udp.destinationPort))"
      description = Description(flow: flow, summary: flow)
      if compared.contains("payload-length") { description.summary += " len=\(udp.payloadLength)" }
      fields.add("udp-length", "\(udp.length)")
      fields.add("udp-checksum", hex16(udp.checksum))
      fields.add("payload", hex(udp.payload))

    case .tcp(let tcp):
      description = describeTCP(tcp, packet, quoted: quoted, fields: &fields)

    case .icmpv4(let message), .icmpv6(let message):
      let kind = "\(message.isIPv6 ? "ICMPv6" : "ICMP") \(message.name) (\(message.type)/\(message.code))"
      description = Description(
        flow: kind, summary: "\(kind) \(packet.source?.description ?? "?") → \(packet.destination?.description ?? "?")")
      if let mtu = message.mtu, compared.contains("icmp-rest") { description.summary += " mtu=\(mtu)" }
      fields.add("icmp-checksum", hex16(message.checksum))
      if let identifier = message.identifier, let sequence = message.sequence {
        fields.add("icmp-echo-id", "\(identifier)")
        fields.add("icmp-echo-seq", "\(sequence)")
      } else {
        fields.add("icmp-rest", hex(message.restOfHeader))
      }
      if !message.payload.isEmpty { fields.add("payload", hex(message.payload)) }
      if let inner = message.quoted {
        let quotedDescription = describe(inner, quoted: true)
        // The quoted datagram's flow: the error is ordered against what caused it.
        description.flow = quotedDescription.flow
        if compared.contains("quote") {
          description.summary += " quoting \(quotedDescription.summary)"
          fields.items += quotedDescription.fields
        }
      }

    case .other(let number):
      let text = "IP \(packet.source?.description ?? "?") → \(packet.destination?.description ?? "?") proto=\(number)"
      description = Description(flow: text, summary: text)
    case nil:
      description = Description(flow: packet.summary, summary: packet.summary)
    }
    description.fields = fields.items
    return description
  }

  private mutating func describeTCP(_ tcp: TCPHeader, _ packet: DecodedPacket, quoted: Bool, fields: inout FieldList)
    -> Description
  {
    let from = endpoint(packet.source, tcp.sourcePort)
    let to = endpoint(packet.destination, tcp.destinationPort)
    let forward = "\(from)>\(to)"
    let backward = "\(to)>\(from)"
    // Both directions of a connection are one flow, ordered together.
    var description = Description(
      flow: "TCP " + [from, to].sorted().joined(separator: " ⇄ "), summary: "TCP \(from) → \(to)")
    if compared.contains("tcp-flags") { description.summary += " [\(tcp.flags.names.joined(separator: ","))]" }
    // A quote does not start a direction: only packets on the wire set the initial sequence number.
    if !quoted, initialSequence[forward] == nil { initialSequence[forward] = tcp.sequenceNumber }
    if compared.contains("tcp-seq") {
      description.summary += " seq=" + relative(tcp.sequenceNumber, to: initialSequence[forward])
      if tcp.flags.contains(.ack) {
        description.summary += " ack=" + relative(tcp.acknowledgmentNumber, to: initialSequence[backward])
      }
    }
    if compared.contains("payload-length") { description.summary += " len=\(tcp.payload.count)" }
    if tcp.flags.contains(.syn) { fields.add("tcp-isn", "\(tcp.sequenceNumber)") }
    fields.add("tcp-data-offset", "\(tcp.headerLength)")
    fields.add("tcp-window", "\(tcp.window)")
    fields.add("tcp-checksum", hex16(tcp.checksum))
    fields.add("tcp-urgent", "\(tcp.urgentPointer)")
    let tcpOptions = tcp.parsedOptions
    if !tcpOptions.isEmpty { fields.add("tcp-options", tcpOptions.map(\.name).joined(separator: ",")) }
    for option in tcpOptions {
      switch option {
      case .maximumSegmentSize(let size): fields.add("tcp-mss", "\(size)")
      case .windowScale(let shift): fields.add("tcp-wscale", "\(shift)")
      case .sack(let blocks):
        let base = initialSequence[backward]
        fields.add(
          "tcp-sack",
          blocks.map { relative($0.left, to: base) + "-" + relative($0.right, to: base) }.joined(separator: ","))
      case .timestamps(let value, let echoReply): fields.add("tcp-timestamps", "\(value)/\(echoReply)")
      case .other(let kind, let data): fields.add("tcp-option-data", "\(kind):\(hex(data))")
      case .malformed(let bytes): fields.add("tcp-option-data", "malformed:\(hex(bytes))")
      case .end, .noOperation, .sackPermitted: break
      }
    }
    if !tcp.payload.isEmpty { fields.add("payload", hex(tcp.payload)) }
    return description
  }

  /// `value` less the initial sequence number, or `?` when that is not known.
  private func relative(_ value: UInt32, to base: UInt32?) -> String {
    base.map { String(value &- $0) } ?? "?"
  }

  private func addLinkFields(_ link: LinkHeader?, to fields: inout FieldList) {
    switch link {
    case .ethernet(let header):
      fields.add("eth-dst", mac(header.destination))
      fields.add("eth-src", mac(header.source))
      fields.add("eth-type", hex16(header.etherType) + (header.vlanID.map { " vlan \($0)" } ?? ""))
    case .linuxCooked(let header):
      fields.add("sll-packet-type", "\(header.packetTypeName)/\(header.hardwareType)")
      fields.add("sll-address", mac(header.address))
      if let index = header.interfaceIndex { fields.add("sll-ifindex", "\(index)") }
    case .loopback, .raw, nil:
      break
    }
  }

  private func addNetworkFields(_ network: NetworkHeader?, to fields: inout FieldList) {
    switch network {
    case .ipv4(let header):
      fields.add("ip-header-length", "\(header.headerLength)")
      fields.add("ip-tos", hex8(header.typeOfService))
      fields.add("ip-length", "\(header.totalLength)")
      fields.add("ip-id", "\(header.identification)")
      let flags = [(header.reservedFlag, "RB"), (header.dontFragment, "DF"), (header.moreFragments, "MF")]
        .filter(\.0).map(\.1)
      fields.add("ip-flags", flags.isEmpty ? "none" : flags.joined(separator: ","))
      fields.add("ip-fragment-offset", "\(header.fragmentOffset)")
      fields.add("ip-ttl", "\(header.ttl)")
      fields.add("ip-checksum", hex16(header.headerChecksum))
      if !header.options.isEmpty { fields.add("ip-options", hex(header.options)) }
    case .ipv6(let header):
      fields.add("ipv6-traffic-class", hex8(header.trafficClass))
      fields.add("ipv6-flow-label", "0x" + String(header.flowLabel, radix: 16))
      fields.add("ipv6-payload-length", "\(header.payloadLength)")
      fields.add(
        "ipv6-next-header",
        (header.extensionHeaders + [header.upperLayerProtocol])
          .map(String.init).joined(separator: ","))
      fields.add("ipv6-hop-limit", "\(header.hopLimit)")
      if let offset = header.fragmentOffset {
        fields.add("ipv6-fragment", "\(offset)\(header.moreFragments == true ? ",M" : "")")
        fields.add("ipv6-fragment-id", "\(header.fragmentIdentification ?? 0)")
      }
    case .arp, .other, nil:
      break
    }
  }

  // The formatters below write hex digits straight into a byte buffer: they
  // run several times for every packet a diff reads.
  private static let digits = Array("0123456789abcdef".utf8)

  private func mac(_ bytes: [UInt8]) -> String {
    var text: [UInt8] = []
    text.reserveCapacity(bytes.count * 3)
    for (index, byte) in bytes.enumerated() {
      if index > 0 { text.append(UInt8(ascii: ":")) }
      text.append(Self.digits[Int(byte >> 4)])
      text.append(Self.digits[Int(byte & 0xf)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  private func hex8(_ value: UInt8) -> String {
    String(decoding: [0x30, 0x78, Self.digits[Int(value >> 4)], Self.digits[Int(value & 0xf)]], as: UTF8.self)
  }

  private func hex16(_ value: UInt16) -> String {
    let nibbles = [value >> 12, value >> 8, value >> 4, value].map { Self.digits[Int($0 & 0xf)] }
    return String(decoding: [0x30, 0x78] + nibbles, as: UTF8.self)
  }

  private func hex(_ bytes: [UInt8]) -> String {
    var text: [UInt8] = []
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      text.append(Self.digits[Int(byte >> 4)])
      text.append(Self.digits[Int(byte & 0xf)])
    }
    return String(decoding: text, as: UTF8.self)
  }
}

/// A set of field names answering `contains` without hashing: names fall
/// into buckets by length and last byte, and a bucket holds one or two.
/// (Hashing a name costs more than building most fields' text.)
struct ComparedFieldSet {
  private var buckets = [[String]](repeating: [], count: 256)

  init(_ names: Set<String>) {
    for name in names { buckets[Self.bucket(name)].append(name) }
  }

  /// Whether `name` is in the set, by `String`'s own equality within its bucket.
  /// Only asked with the ASCII field names of this file: an ASCII string equals
  /// only its own bytes, so its bytes' bucket is the only one it can be in.
  func contains(_ name: String) -> Bool {
    buckets[Self.bucket(name)].contains(name)
  }

  private static func bucket(_ name: String) -> Int {
    let utf8 = name.utf8
    return (utf8.count &* 31 &+ Int(utf8.last ?? 0)) & 255
  }
}

/// Replaces the concrete `address:port`s a run named (`127.0.0.1:41234`,
/// `[::1]:9`) by their names in free text such as a step's call.
///
/// Built once per trace; each text costs dictionary lookups in proportion to
/// its own length, however many names the run has (a run of 2,000 sockets
/// must not cost 2,000 searches per step).
public struct EndpointSymbolizer: Sendable {
  private let names: [String: String]
  /// The longest name key, in UTF-8 bytes: no candidate is ever longer.
  private let longestKey: Int
  /// Dictionary lookups done so far, for tests that prove the work per text
  /// does not grow with the number of names.
  public private(set) var lookups = 0

  public init(names: [String: String]) {
    self.names = names
    longestKey = names.keys.map(\.utf8.count).max() ?? 0
  }

  /// `text` with each named `address:port` replaced: the port runs to the
  /// last digit (so `127.0.0.1:9` never matches inside `127.0.0.1:9000`) and,
  /// of the keys ending there, the longest wins.
  public mutating func symbolize(_ text: String) -> String {
    replace(in: text, lookups: &lookups)
  }

  /// ``symbolize(_:)`` without counting.
  public func symbolized(_ text: String) -> String {
    var ignored = 0
    return replace(in: text, lookups: &ignored)
  }

  private func replace(in text: String, lookups: inout Int) -> String {
    guard longestKey > 0 else { return text }
    let utf8 = Array(text.utf8)
    var output: [UInt8] = []
    output.reserveCapacity(utf8.count)
    var copied = 0
    var index = 0
    while index < utf8.count {
      guard utf8[index] == UInt8(ascii: ":"), index + 1 < utf8.count, Self.isDigit(utf8[index + 1]) else {
        index += 1
        continue
      }
      var portEnd = index + 1
      while portEnd < utf8.count, Self.isDigit(utf8[portEnd]) { portEnd += 1 }
      // Every start from the farthest a key could reach up to the colon, longest first.
      var start = max(copied, portEnd - longestKey)
      var replaced = false
      while start < index {
        lookups += 1
        if let name = names[String(decoding: utf8[start..<portEnd], as: UTF8.self)] {
          output += utf8[copied..<start]
          output += Array(name.utf8)
          copied = portEnd
          replaced = true
          break
        }
        start += 1
      }
      index = replaced ? portEnd : index + 1
    }
    output += utf8[copied...]
    return String(decoding: output, as: UTF8.self)
  }

  private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
