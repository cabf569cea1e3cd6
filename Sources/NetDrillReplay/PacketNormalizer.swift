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
    var text = PacketText()
    write(packet, into: &text)
    return NormalizedPacket(text, interface: interface, step: step, timestampNanoseconds: timestamp)
  }

  /// Writes what ``normalize(_:interface:step:timestamp:)`` would give as bytes
  /// (`text` is cleared first): the streaming diff compares these and builds
  /// strings only for packets it shows. Advances the normalizer as `normalize` does.
  mutating func write(_ packet: DecodedPacket, into text: inout PacketText) {
    text.clear()
    describe(packet, quoted: false, withFields: true, into: &text)
  }

  /// Writes only the packet's `summary` (and `flow`) bytes into `text`, no
  /// compared fields: what a timeline prints for a packet. The fields (payload
  /// in hex, TCP options…) were most of the work of ``write(_:into:)`` and a
  /// timeline line never shows them. Advances the normalizer exactly as
  /// `write` does (port names, initial sequence numbers), so every later
  /// summary is the one `normalize` would give.
  mutating func writeSummary(_ packet: DecodedPacket, into text: inout PacketText) {
    text.clear()
    describe(packet, quoted: false, withFields: false, into: &text)
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

  /// The compared fields of one packet, in header order, each once, as
  /// `name=value` with a space before each.
  private struct FieldWriter {
    let compared: ComparedFieldSet
    let quoted: Bool
    /// False when only the summary is wanted: `add` then writes nothing.
    let writesFields: Bool
    var text: PacketText

    /// Writes `name=` and the value `value` writes, if the field is compared.
    mutating func add(_ name: String, _ value: (inout [UInt8]) -> Void) {
      guard writesFields, compared.contains(name) else { return }
      text.fields.append(UInt8(ascii: " "))
      text.fieldStarts.append(text.fields.count)
      if quoted { text.fields.write("quote." as StaticString) }
      text.fields.write(name)
      text.fields.append(UInt8(ascii: "="))
      value(&text.fields)
    }
  }

  private mutating func describe(
    _ packet: DecodedPacket, quoted: Bool, withFields: Bool, into text: inout PacketText
  ) {
    // The writer owns the text while it writes (moved in and back, so the storage is reused, not copied).
    var fields = FieldWriter(compared: compared, quoted: quoted, writesFields: withFields, text: text)
    text = PacketText()
    defer { text = fields.text }
    addLinkFields(packet.link, to: &fields)
    addNetworkFields(packet.network, to: &fields)
    switch packet.transport {
    case .udp(let udp):
      let from = endpoint(packet.source, udp.sourcePort)
      let to = endpoint(packet.destination, udp.destinationPort)
      fields.text.flow.write("UDP " as StaticString)
      fields.text.flow.write(from)
      fields.text.flow.write(" → " as StaticString)
      fields.text.flow.write(to)
      fields.text.summary += fields.text.flow
      if compared.contains("payload-length") {
        fields.text.summary.write(" len=" as StaticString)
        fields.text.summary.writeDecimal(udp.payloadLength)
      }
      fields.add("udp-length") { $0.writeDecimal(udp.length) }
      fields.add("udp-checksum") { $0.writeHex16(udp.checksum) }
      fields.add("payload") { $0.writeHex(udp.payload) }

    case .tcp(let tcp):
      describeTCP(tcp, packet, quoted: quoted, fields: &fields)

    case .icmpv4(let message), .icmpv6(let message):
      var kind: [UInt8] = []
      kind.write(message.isIPv6 ? "ICMPv6 " as StaticString : "ICMP ")
      kind.write(message.name)
      kind.write(" (" as StaticString)
      kind.writeDecimal(message.type)
      kind.append(UInt8(ascii: "/"))
      kind.writeDecimal(message.code)
      kind.append(UInt8(ascii: ")"))
      fields.text.flow = kind
      fields.text.summary = kind
      fields.text.summary.write(" \(packet.source?.description ?? "?") → \(packet.destination?.description ?? "?")")
      if let mtu = message.mtu, compared.contains("icmp-rest") {
        fields.text.summary.write(" mtu=" as StaticString)
        fields.text.summary.writeDecimal(mtu)
      }
      fields.add("icmp-checksum") { $0.writeHex16(message.checksum) }
      if let identifier = message.identifier, let sequence = message.sequence {
        fields.add("icmp-echo-id") { $0.writeDecimal(identifier) }
        fields.add("icmp-echo-seq") { $0.writeDecimal(sequence) }
      } else {
        fields.add("icmp-rest") { $0.writeHex(message.restOfHeader) }
      }
      if !message.payload.isEmpty { fields.add("payload") { $0.writeHex(message.payload) } }
      if let inner = message.quoted {
        var quotedText = PacketText()
        describe(inner, quoted: true, withFields: withFields, into: &quotedText)
        // The quoted datagram's flow: the error is ordered against what caused it.
        fields.text.flow = quotedText.flow
        if compared.contains("quote") {
          fields.text.summary.write(" quoting " as StaticString)
          fields.text.summary += quotedText.summary
          fields.text.appendFields(of: quotedText)
        }
      }

    case .other(let number):
      let line = "IP \(packet.source?.description ?? "?") → \(packet.destination?.description ?? "?") proto=\(number)"
      fields.text.flow.write(line)
      fields.text.summary.write(line)
    case nil:
      fields.text.flow.write(packet.summary)
      fields.text.summary.write(packet.summary)
    }
  }

  private mutating func describeTCP(
    _ tcp: TCPHeader, _ packet: DecodedPacket, quoted: Bool, fields: inout FieldWriter
  ) {
    let from = endpoint(packet.source, tcp.sourcePort)
    let to = endpoint(packet.destination, tcp.destinationPort)
    let forward = directionKey(from, to)
    let backward = directionKey(to, from)
    // Both directions of a connection are one flow, ordered together (as `[from, to].sorted()`).
    let (low, high) = to < from ? (to, from) : (from, to)
    fields.text.flow.write("TCP " as StaticString)
    fields.text.flow.write(low)
    fields.text.flow.write(" ⇄ " as StaticString)
    fields.text.flow.write(high)
    fields.text.summary.write("TCP " as StaticString)
    fields.text.summary.write(from)
    fields.text.summary.write(" → " as StaticString)
    fields.text.summary.write(to)
    if compared.contains("tcp-flags") {
      fields.text.summary.write(" [" as StaticString)
      fields.text.summary.write(tcp.flags.names, separator: ",") { $0.write($1) }
      fields.text.summary.append(UInt8(ascii: "]"))
    }
    // A quote does not start a direction: only packets on the wire set the initial sequence number.
    if !quoted, initialSequence[forward] == nil { initialSequence[forward] = tcp.sequenceNumber }
    if compared.contains("tcp-seq") {
      fields.text.summary.write(" seq=" as StaticString)
      writeRelative(tcp.sequenceNumber, to: initialSequence[forward], into: &fields.text.summary)
      if tcp.flags.contains(.ack) {
        fields.text.summary.write(" ack=" as StaticString)
        writeRelative(tcp.acknowledgmentNumber, to: initialSequence[backward], into: &fields.text.summary)
      }
    }
    if compared.contains("payload-length") {
      fields.text.summary.write(" len=" as StaticString)
      fields.text.summary.writeDecimal(tcp.payload.count)
    }
    if tcp.flags.contains(.syn) { fields.add("tcp-isn") { $0.writeDecimal(tcp.sequenceNumber) } }
    fields.add("tcp-data-offset") { $0.writeDecimal(tcp.headerLength) }
    fields.add("tcp-window") { $0.writeDecimal(tcp.window) }
    fields.add("tcp-checksum") { $0.writeHex16(tcp.checksum) }
    fields.add("tcp-urgent") { $0.writeDecimal(tcp.urgentPointer) }
    // Options are only ever fields: not even parsed for a summary.
    guard fields.writesFields else { return }
    let tcpOptions = tcp.parsedOptions
    if !tcpOptions.isEmpty {
      fields.add("tcp-options") { text in text.write(tcpOptions, separator: ",") { $0.write($1.name) } }
    }
    for option in tcpOptions {
      switch option {
      case .maximumSegmentSize(let size): fields.add("tcp-mss") { $0.writeDecimal(size) }
      case .windowScale(let shift): fields.add("tcp-wscale") { $0.writeDecimal(shift) }
      case .sack(let blocks):
        let base = initialSequence[backward]
        fields.add("tcp-sack") { text in
          text.write(blocks, separator: ",") { text, block in
            writeRelative(block.left, to: base, into: &text)
            text.append(UInt8(ascii: "-"))
            writeRelative(block.right, to: base, into: &text)
          }
        }
      case .timestamps(let value, let echoReply):
        fields.add("tcp-timestamps") { text in
          text.writeDecimal(value)
          text.append(UInt8(ascii: "/"))
          text.writeDecimal(echoReply)
        }
      case .other(let kind, let data):
        fields.add("tcp-option-data") { text in
          text.writeDecimal(kind)
          text.append(UInt8(ascii: ":"))
          text.writeHex(data)
        }
      case .malformed(let bytes):
        fields.add("tcp-option-data") { text in
          text.write("malformed:" as StaticString)
          text.writeHex(bytes)
        }
      case .end, .noOperation, .sackPermitted: break
      }
    }
    if !tcp.payload.isEmpty { fields.add("payload") { $0.writeHex(tcp.payload) } }
  }

  /// The key of one direction of a connection in `initialSequence`: `from>to`,
  /// built once per pair of names seen, not once per packet.
  private mutating func directionKey(_ from: String, _ to: String) -> String {
    let pair = NamePair(from: from, to: to)
    if let key = directionKeys[pair] { return key }
    let key = "\(from)>\(to)"
    directionKeys[pair] = key
    return key
  }

  /// Two endpoint names, as given (the key of ``directionKeys``).
  private struct NamePair: Hashable {
    let from: String
    let to: String
  }

  private var directionKeys: [NamePair: String] = [:]

  /// `value` less the initial sequence number, or `?` when that is not known.
  private func writeRelative(_ value: UInt32, to base: UInt32?, into text: inout [UInt8]) {
    if let base { text.writeDecimal(value &- base) } else { text.append(UInt8(ascii: "?")) }
  }

  private func addLinkFields(_ link: LinkHeader?, to fields: inout FieldWriter) {
    switch link {
    case .ethernet(let header):
      fields.add("eth-dst") { $0.writeMAC(header.destination) }
      fields.add("eth-src") { $0.writeMAC(header.source) }
      fields.add("eth-type") { text in
        text.writeHex16(header.etherType)
        if let vlan = header.vlanID {
          text.write(" vlan " as StaticString)
          text.writeDecimal(vlan)
        }
      }
    case .linuxCooked(let header):
      fields.add("sll-packet-type") { text in
        text.write(header.packetTypeName)
        text.append(UInt8(ascii: "/"))
        text.writeDecimal(header.hardwareType)
      }
      fields.add("sll-address") { $0.writeMAC(header.address) }
      if let index = header.interfaceIndex { fields.add("sll-ifindex") { $0.writeDecimal(index) } }
    case .loopback, .raw, nil:
      break
    }
  }

  private func addNetworkFields(_ network: NetworkHeader?, to fields: inout FieldWriter) {
    switch network {
    case .ipv4(let header):
      fields.add("ip-header-length") { $0.writeDecimal(header.headerLength) }
      fields.add("ip-tos") { $0.writeHex8(header.typeOfService) }
      fields.add("ip-length") { $0.writeDecimal(header.totalLength) }
      fields.add("ip-id") { $0.writeDecimal(header.identification) }
      fields.add("ip-flags") { text in
        // The set flags by name, comma-separated, or `none`.
        let start = text.count
        func flag(_ isSet: Bool, _ name: StaticString) {
          guard isSet else { return }
          if text.count > start { text.append(UInt8(ascii: ",")) }
          text.write(name)
        }
        flag(header.reservedFlag, "RB")
        flag(header.dontFragment, "DF")
        flag(header.moreFragments, "MF")
        if text.count == start { text.write("none" as StaticString) }
      }
      fields.add("ip-fragment-offset") { $0.writeDecimal(header.fragmentOffset) }
      fields.add("ip-ttl") { $0.writeDecimal(header.ttl) }
      fields.add("ip-checksum") { $0.writeHex16(header.headerChecksum) }
      if !header.options.isEmpty { fields.add("ip-options") { $0.writeHex(header.options) } }
    case .ipv6(let header):
      fields.add("ipv6-traffic-class") { $0.writeHex8(header.trafficClass) }
      fields.add("ipv6-flow-label") { $0.writeHexNumber(header.flowLabel) }
      fields.add("ipv6-payload-length") { $0.writeDecimal(header.payloadLength) }
      fields.add("ipv6-next-header") { text in
        text.write(header.extensionHeaders + [header.upperLayerProtocol], separator: ",") { $0.writeDecimal($1) }
      }
      fields.add("ipv6-hop-limit") { $0.writeDecimal(header.hopLimit) }
      if let offset = header.fragmentOffset {
        fields.add("ipv6-fragment") { text in
          text.writeDecimal(offset)
          if header.moreFragments == true { text.write(",M" as StaticString) }
        }
        fields.add("ipv6-fragment-id") { $0.writeDecimal(header.fragmentIdentification ?? 0) }
      }
    case .arp, .other, nil:
      break
    }
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
