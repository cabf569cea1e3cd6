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
/// per flow and interface, never per packet.
struct BulkFolder {
  private struct FlowKey: Hashable {
    var interface: Int
    var addressesAndPorts: [UInt8]
  }

  private struct Run {
    var shape: [UInt8]
    var packets = 0
    var summary: BulkRun?
    var hash = StableHash()
  }

  private var runs: [FlowKey: Run] = [:]
  private(set) var finished: [BulkRun] = []

  /// True when `data` belongs to a run past its first packets: it is counted
  /// here and must not be written.
  mutating func fold(
    _ data: [UInt8], originalLength: UInt32, interface: Int, interfaceName: String, timestamp: UInt64,
    step: String?
  ) -> Bool {
    guard let parsed = UDPShape(data) else { return false }
    let key = FlowKey(interface: interface, addressesAndPorts: parsed.flowBytes)
    if var run = runs[key], run.shape == parsed.shape {
      run.packets += 1
      guard run.packets > BulkFolding.keptPackets else {
        runs[key] = run
        return false
      }
      if run.summary == nil {
        run.summary = BulkRun(
          interface: interfaceName, flow: parsed.flowText, payloadLength: parsed.payloadLength, count: 0, bytes: 0,
          firstNanoseconds: timestamp, lastNanoseconds: timestamp, digest: "", step: step)
      }
      run.summary?.count += 1
      run.summary?.bytes += Int(originalLength)
      run.summary?.lastNanoseconds = timestamp
      run.hash.add(data[parsed.payloadStart...])
      runs[key] = run
      return true
    }
    // A new flow, or a packet of another shape: the flow's run ends here.
    if let ended = runs[key] { close(ended) }
    runs[key] = Run(shape: parsed.shape, packets: 1)
    return false
  }

  /// Closes every open run; the summaries in the order their runs began.
  mutating func finish() -> [BulkRun] {
    for run in runs.values { close(run) }
    runs = [:]
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

/// The parts of an Ethernet-framed UDP datagram a run is keyed on.
private struct UDPShape {
  /// Header bytes with the fields that change on their own zeroed.
  var shape: [UInt8]
  /// Source address, destination address, then both ports.
  var flowBytes: [UInt8]
  private let addressLength: Int
  var payloadStart: Int
  var payloadLength: Int

  init?(_ data: [UInt8]) {
    let link = 14
    guard data.count >= link + 40 else { return nil }
    let etherType = Int(data[12]) << 8 | Int(data[13])
    var header: [UInt8]
    let addresses: Range<Int>
    let udp: Int
    switch etherType {
    case 0x0800:
      let ihl = Int(data[link] & 0x0f) * 4
      let fragment = (Int(data[link + 6]) << 8 | Int(data[link + 7])) & 0x3fff
      guard data[link] >> 4 == 4, ihl >= 20, data[link + 9] == 17, fragment == 0, data.count >= link + ihl + 8
      else { return nil }
      udp = link + ihl
      header = Array(data[..<(udp + 8)])
      for offset in [link + 4, link + 5, link + 8, link + 10, link + 11] { header[offset] = 0 }  // id, ttl, checksum
      addresses = (link + 12)..<(link + 20)
    case 0x86dd:
      guard data[link] >> 4 == 6, data[link + 6] == 17, data.count >= link + 48 else { return nil }
      udp = link + 40
      header = Array(data[..<(udp + 8)])
      header[link + 1] &= 0xf0  // flow label
      header[link + 2] = 0
      header[link + 3] = 0
      header[link + 7] = 0  // hop limit
      addresses = (link + 8)..<(link + 40)
    default:
      return nil
    }
    header[udp + 6] = 0  // UDP checksum
    header[udp + 7] = 0
    let udpLength = Int(data[udp + 4]) << 8 | Int(data[udp + 5])
    guard udpLength >= 8, udp + udpLength <= data.count else { return nil }
    shape = header
    flowBytes = Array(data[addresses]) + Array(data[udp..<(udp + 4)])
    addressLength = addresses.count / 2
    payloadStart = udp + 8
    payloadLength = udpLength - 8
  }

  /// `UDP 127.0.0.1:40000 → 127.0.0.1:7000`: built only for a run's summary, never per packet.
  var flowText: String {
    let ports = 2 * addressLength
    let source = Self.text(flowBytes[0..<addressLength])
    let destination = Self.text(flowBytes[addressLength..<ports])
    let sourcePort = Int(flowBytes[ports]) << 8 | Int(flowBytes[ports + 1])
    let destinationPort = Int(flowBytes[ports + 2]) << 8 | Int(flowBytes[ports + 3])
    return "UDP \(source):\(sourcePort) → \(destination):\(destinationPort)"
  }

  /// The address as the run's name map writes it (`[::1]` with brackets), so a diff can name it.
  private static func text(_ bytes: ArraySlice<UInt8>) -> String {
    IPAddress(bytes: Array(bytes))?.withPortBrackets ?? "?"
  }
}
