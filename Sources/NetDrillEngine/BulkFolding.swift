import NetDrillTrace

/// Bulk traffic summarised in a trace: the rule.
///
/// A burst of a million datagrams would make a trace of a hundred MB that
/// says nothing its first packets do not. So the recorder writes the first
/// ``keptPackets`` packets of every *run* — consecutive UDP datagrams of one
/// flow on one interface with the same shape — and folds the rest of the run
/// into one ``BulkRun`` in the manifest: how many, their bytes, first and
/// last time, and a digest of their payloads.
///
/// Same shape means the same bytes from the link header to the end of the
/// UDP header, except the fields the diff ignores because they change on
/// their own (IPv4 identification, TTL and header checksum, IPv6 flow label
/// and hop limit, UDP checksum): so same addresses, ports, length, TOS,
/// flags. A packet of another shape ends the flow's run (it is written, and
/// starts a run of its own). Only Ethernet-framed IPv4 and IPv6 UDP without
/// fragments or extension headers is folded; everything else is always
/// written. `record --full` writes every packet.
///
/// A run of up to ``keptPackets`` packets is written whole, so traces of
/// small exchanges (every bundled golden) are what they were.
public enum BulkFolding {
  /// Packets of a run written before the rest is summarised.
  public static let keptPackets = 64
}

/// A run's packets after the first ``BulkFolding/keptPackets``: counted, not stored.
public struct BulkRun: Sendable, Codable, Equatable {
  /// `host/interface`.
  public var interface: String
  /// `UDP 127.0.0.1:40000 → 127.0.0.1:7000`, concrete (a diff names the endpoints).
  public var flow: String
  /// UDP payload bytes of each packet (the run's shape has one length).
  public var payloadLength: Int
  /// Packets summarised (not written).
  public var count: Int
  /// Their bytes on the wire.
  public var bytes: Int
  public var firstNanoseconds: UInt64
  public var lastNanoseconds: UInt64
  /// 64-bit FNV-1a over the payloads in order, 16 hex digits.
  public var digest: String
  /// The step that sent the first summarised packet.
  public var step: String?

  /// `UDP client → server len=1024 on local/lo: 20416 more packets, 21.8 MB, digest …` with the flow as given.
  public func description(flow shown: String) -> String {
    "\(shown) len=\(payloadLength) on \(interface): \(count) more packets summarised, \(bytes) bytes, digest \(digest)"
  }
}

/// Folds runs as packets are written, in timestamp order. Memory: one entry
/// per flow and interface, never per packet. A packet that continues a run
/// costs a parse of its headers in place, a lookup of a fixed-size key and a
/// byte comparison with the run's shape: nothing is allocated for it.
struct BulkFolder {
  /// The interface and the flow's addresses and ports (up to 36 bytes), packed in words.
  private struct FlowKey: Hashable {
    var interface: Int
    var words: UDPShape.FlowWords

    static func == (a: FlowKey, b: FlowKey) -> Bool {
      a.interface == b.interface && a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2
        && a.words.3 == b.words.3 && a.words.4 == b.words.4
    }

    func hash(into hasher: inout Hasher) {
      hasher.combine(interface)
      hasher.combine(words.0)
      hasher.combine(words.1)
      hasher.combine(words.2)
      hasher.combine(words.3)
      hasher.combine(words.4)
    }
  }

  private struct Run {
    /// The first packet's header bytes, with the fields that change on their own zeroed.
    var shape: [UInt8]
    var packets = 0
    var summary: BulkRun?
    var hash = StableHash()
  }

  /// Each flow's run: an index into `open`, whose elements are changed in
  /// place (a dictionary's values are copied out to be read).
  private var runs: [FlowKey: Int] = [:]
  private var open: [Run] = []
  private(set) var finished: [BulkRun] = []

  /// True when `data` belongs to a run past its first packets: it is counted
  /// here and must not be written. `step` names the step that sent it, and is
  /// asked only when a run's summary begins.
  mutating func fold(
    _ data: [UInt8], originalLength: UInt32, interface: Int, interfaceName: String, timestamp: UInt64,
    step: () -> String?
  ) -> Bool {
    data.withUnsafeBytes { raw in
      fold(
        raw, originalLength: originalLength, interface: interface, interfaceName: interfaceName,
        timestamp: timestamp, step: step)
    }
  }

  private mutating func fold(
    _ raw: UnsafeRawBufferPointer, originalLength: UInt32, interface: Int, interfaceName: String, timestamp: UInt64,
    step: () -> String?
  ) -> Bool {
    guard let parsed = UDPShape(raw) else { return false }
    let key = FlowKey(interface: interface, words: parsed.flowWords(raw))
    guard let index = runs[key] else {
      runs[key] = open.count
      open.append(Run(shape: parsed.shape(raw), packets: 1))
      return false
    }
    guard parsed.matches(open[index].shape, raw) else {
      // A packet of another shape: the flow's run ends here, and it starts the next.
      close(open[index])
      open[index] = Run(shape: parsed.shape(raw), packets: 1)
      return false
    }
    open[index].packets += 1
    guard open[index].packets > BulkFolding.keptPackets else { return false }
    if open[index].summary == nil {
      open[index].summary = BulkRun(
        interface: interfaceName, flow: parsed.flowText(raw), payloadLength: parsed.payloadLength, count: 0,
        bytes: 0, firstNanoseconds: timestamp, lastNanoseconds: timestamp, digest: "", step: step())
    }
    open[index].summary!.count += 1
    open[index].summary!.bytes += Int(originalLength)
    open[index].summary!.lastNanoseconds = timestamp
    open[index].hash.add(UnsafeRawBufferPointer(rebasing: raw[parsed.payloadStart...]))
    return true
  }

  /// Closes every open run; the summaries in the order their runs began.
  mutating func finish() -> [BulkRun] {
    for run in open { close(run) }
    runs = [:]
    open = []
    return finished.sorted {
      ($0.firstNanoseconds, $0.interface, $0.flow) < ($1.firstNanoseconds, $1.interface, $1.flow)
    }
  }

  private mutating func close(_ run: Run) {
    guard var summary = run.summary else { return }
    summary.digest = run.hash.hex
    finished.append(summary)
  }
}

/// Where the parts a run is keyed on lie in an Ethernet-framed UDP datagram:
/// offsets only, read from the packet's bytes where it lies.
private struct UDPShape {
  private let isIPv6: Bool
  /// Where the IP header starts (after the Ethernet header).
  private static let link = 14
  /// Where the UDP header starts.
  private let udp: Int
  private let addressStart: Int
  private let addressLength: Int
  let payloadStart: Int
  let payloadLength: Int

  init?(_ data: UnsafeRawBufferPointer) {
    let link = Self.link
    guard data.count >= link + 40 else { return nil }
    let etherType = Int(data[12]) << 8 | Int(data[13])
    switch etherType {
    case 0x0800:
      let ihl = Int(data[link] & 0x0f) * 4
      let fragment = (Int(data[link + 6]) << 8 | Int(data[link + 7])) & 0x3fff
      guard data[link] >> 4 == 4, ihl >= 20, data[link + 9] == 17, fragment == 0, data.count >= link + ihl + 8
      else { return nil }
      isIPv6 = false
      udp = link + ihl
      addressStart = link + 12
      addressLength = 4
    case 0x86dd:
      guard data[link] >> 4 == 6, data[link + 6] == 17, data.count >= link + 48 else { return nil }
      isIPv6 = true
      udp = link + 40
      addressStart = link + 8
      addressLength = 16
    default:
      return nil
    }
    let udpLength = Int(data[udp + 4]) << 8 | Int(data[udp + 5])
    guard udpLength >= 8, udp + udpLength <= data.count else { return nil }
    payloadStart = udp + 8
    payloadLength = udpLength - 8
  }

  /// Which bits of header byte `offset` a run's shape keeps: none of the
  /// fields that change on their own (IPv4 identification, TTL and header
  /// checksum; IPv6 flow label and hop limit; the UDP checksum).
  private func mask(_ offset: Int) -> UInt8 {
    let link = Self.link
    if offset == udp + 6 || offset == udp + 7 { return 0 }  // UDP checksum
    if isIPv6 {
      switch offset - link {
      case 1: return 0xf0  // flow label
      case 2, 3, 7: return 0  // flow label, hop limit
      default: return 0xff
      }
    }
    switch offset - link {
    case 4, 5, 8, 10, 11: return 0  // identification, TTL, checksum
    default: return 0xff
    }
  }

  /// The header bytes, link header to the end of the UDP header, masked: a new run's shape.
  func shape(_ data: UnsafeRawBufferPointer) -> [UInt8] {
    (0..<payloadStart).map { data[$0] & mask($0) }
  }

  /// True when the packet's masked header bytes are `shape`.
  func matches(_ shape: [UInt8], _ data: UnsafeRawBufferPointer) -> Bool {
    guard shape.count == payloadStart else { return false }
    return shape.withUnsafeBufferPointer { expected in
      for offset in 0..<payloadStart where data[offset] & mask(offset) != expected[offset] { return false }
      return true
    }
  }

  /// 40 bytes: room for two IPv6 addresses and two ports.
  typealias FlowWords = (UInt64, UInt64, UInt64, UInt64, UInt64)

  /// Source address, destination address, then both ports, packed into words (zero beyond them).
  func flowWords(_ data: UnsafeRawBufferPointer) -> FlowWords {
    var words: FlowWords = (0, 0, 0, 0, 0)
    withUnsafeMutableBytes(of: &words) { words in
      let addresses = 2 * addressLength
      words.baseAddress!.copyMemory(from: data.baseAddress! + addressStart, byteCount: addresses)
      (words.baseAddress! + addresses).copyMemory(from: data.baseAddress! + udp, byteCount: 4)
    }
    return words
  }

  /// `UDP 127.0.0.1:40000 → 127.0.0.1:7000`: built only for a run's summary, never per packet.
  func flowText(_ data: UnsafeRawBufferPointer) -> String {
    let source = Self.text(data, from: addressStart, count: addressLength)
    let destination = Self.text(data, from: addressStart + addressLength, count: addressLength)
    let sourcePort = Int(data[udp]) << 8 | Int(data[udp + 1])
    let destinationPort = Int(data[udp + 2]) << 8 | Int(data[udp + 3])
    return "UDP \(source):\(sourcePort) → \(destination):\(destinationPort)"
  }

  /// The address as the run's name map writes it (`[::1]` with brackets), so a diff can name it.
  private static func text(_ data: UnsafeRawBufferPointer, from start: Int, count: Int) -> String {
    IPAddress(bytes: Array(data[start..<(start + count)]))?.withPortBrackets ?? "?"
  }
}
