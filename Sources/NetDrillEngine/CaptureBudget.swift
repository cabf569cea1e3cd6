import NetDrillScenario

/// How much traffic a scenario is expected to put on the wire, and from it
/// the kernel capture ring of each interface.
///
/// Every ring is mapped into the recording process for the whole run, so a
/// fixed 64 MiB per interface made a 20-host LAN cost 2.6 GB. The capture
/// thread empties rings as they fill; a ring only has to hold what arrives
/// while that thread is busy, so it is sized from the scenario's own sends:
/// small for an exchange of a few datagrams, up to ``maximumRingBytes`` for a
/// burst. A ring that still overflows is never silent: the capture's drop
/// counter is written into the trace and fails the run.
public struct CaptureBudget: Sendable, Equatable {
  /// Packets the scenario's sends are expected to put on the wire.
  public private(set) var packets = 0
  /// Their payload bytes, each packet's counted up to ``snapLimit``.
  public private(set) var payloadBytes = 0
  /// Hosts that send, receive, run programs or forward: their interfaces
  /// carry the scenario's traffic. Others only hear broadcasts and the
  /// kernel's own chatter.
  public private(set) var busyHosts: Set<String> = []
  /// A program's traffic cannot be estimated from the scenario.
  public private(set) var hasPrograms = false

  /// The smallest ring: libpcap's TPACKET_V3 blocks are 256 KiB with the
  /// default snap length, and four of them let the kernel fill one while the
  /// capture thread reads the others.
  public static let minimumRingBytes: Int32 = 1 << 20
  /// The largest ring, for a burst of about 300k small datagrams or more
  /// (the bench scenario's three 100k repeats): with 10 ms block retirement a
  /// 64 MiB ring held about 1.3 s of such a burst, which a debug build's
  /// capture thread on a busy 2-core machine fell behind by now and then.
  public static let maximumRingBytes: Int32 = 128 << 20
  /// The ring of an interface on a host that takes no part in the steps.
  public static let idleRingBytes: Int32 = 2 << 20
  /// The ring of a host that runs a program, whose traffic is unknown.
  public static let programRingBytes: Int32 = 16 << 20
  /// Bytes a packet takes in a ring besides its payload: the tpacket3 header,
  /// sockaddr_ll, link, IP and transport headers, alignment.
  static let perPacketOverhead = 160
  /// Payload bytes counted per packet: a TCP send larger than this is split
  /// into segments (GSO keeps them up to 64 KiB on loopback and veth).
  static let snapLimit = 65_536

  public init() {}

  /// The budget of every step and socket of `scenario`.
  public init(scenario: Scenario) {
    for socket in scenario.sockets { busyHosts.insert(scenario.host(ofSocket: socket.name)) }
    for program in scenario.programs {
      hasPrograms = true
      busyHosts.insert(program.host ?? scenario.topology?.defaultHost ?? "local")
    }
    for host in scenario.topology?.hosts ?? [] where host.forwarding { busyHosts.insert(host.name) }
    for step in scenario.steps { add(step) }
  }

  /// Adds what `step` sends, `times` over: the hook for a step run in a loop
  /// (a repeat block adds its steps with its count).
  public mutating func add(_ step: Step, times: Int = 1) {
    if case .repetition(let repetition) = step.action {
      // A repeat bounded only by its duration is budgeted as the largest
      // ring: its count is unknown until it ends.
      let count = repetition.count ?? Int.max
      for inner in repetition.body { add(inner, times: Self.saturating(0, plus: count, times: times)) }
      return
    }
    guard case .send(let send) = step.action else { return }
    for message in send.messages {
      let size = message.byteCount
      add(packets: max(1, (size + Self.snapLimit - 1) / Self.snapLimit), payloadBytes: size, times: times)
    }
  }

  /// Adds `packets` packets carrying `payloadBytes` in all, `times` over.
  public mutating func add(packets: Int, payloadBytes: Int, times: Int = 1) {
    self.packets = Self.saturating(self.packets, plus: packets, times: times)
    self.payloadBytes = Self.saturating(self.payloadBytes, plus: payloadBytes, times: times)
  }

  /// `total + value × times`, stopping at `Int.max` (a 10M repeat of 64 KiB must not trap).
  private static func saturating(_ total: Int, plus value: Int, times: Int) -> Int {
    let (product, overflowed) = max(0, value).multipliedReportingOverflow(by: max(0, times))
    guard !overflowed else { return .max }
    let (sum, overflowedSum) = total.addingReportingOverflow(product)
    return overflowedSum ? .max : sum
  }

  /// The ring for the scenario's traffic: every packet twice (loopback hands
  /// a packet socket both directions) with its overhead, rounded up to a MiB,
  /// between ``minimumRingBytes`` and ``maximumRingBytes``.
  public var trafficRingBytes: Int32 {
    let perCopy = Double(payloadBytes) + Double(packets) * Double(Self.perPacketOverhead)
    let wanted = 2 * perCopy
    guard wanted < Double(Self.maximumRingBytes) else { return Self.maximumRingBytes }
    let mebibytes = (Int(wanted) + (1 << 20) - 1) >> 20
    return max(Self.minimumRingBytes, Int32(mebibytes) << 20)
  }

  /// The ring of each interface of `host`.
  public func ringBytes(forHost host: String) -> Int32 {
    let traffic = trafficRingBytes
    guard busyHosts.contains(host) else { return min(traffic, Self.idleRingBytes) }
    return hasPrograms ? max(traffic, Self.programRingBytes) : traffic
  }
}

extension Payload {
  /// The payload's size, without building a pattern's bytes.
  var byteCount: Int {
    switch self {
    case .text(let text): return text.utf8.count
    case .hex(let bytes), .base64(let bytes): return bytes.count
    case .pattern(let size, _): return size
    case .zeros(let count): return count
    case .sequence(let size, _): return size
    }
  }
}
