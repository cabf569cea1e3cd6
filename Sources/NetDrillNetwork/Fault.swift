/// A network fault installed in one host while a scenario runs.
///
/// Packet faults (`drop`, `reject`, `dropEveryNth`, `dropRandomPercent`) are
/// nftables rules in the host's `table inet netdrill`, one chain per hook.
/// Shaping faults (`rateLimit`, `delay`) replace the root qdisc of the host's
/// interface(s) with `tc`; a qdisc shapes what an interface *sends*, so they
/// act on egress only (direction `.output`, or `.forward` on a router: the
/// forwarded packets leave through the interface too) and cannot filter by
/// protocol or port.
public struct Fault: Sendable, Equatable, CustomStringConvertible {
  public enum Action: Sendable, Equatable {
    /// Silently discard.
    case drop
    /// Discard and answer with an ICMP error: `port-unreachable`,
    /// `host-unreachable`, `net-unreachable` or `admin-prohibited` (IPv4
    /// names); IPv6 packets get the ICMPv6 equivalent (port-unreachable,
    /// addr-unreachable, no-route, admin-prohibited). The IPv6 names are
    /// accepted too. A forwarding router rejecting with `host-unreachable`
    /// is how a scenario shows "ICMP host unreachable from a router".
    case reject(icmp: String)
    /// Deterministic loss: drops the N-th, 2N-th, ... matching packet
    /// (nft `numgen inc mod N`, one counter per rule, starting when applied).
    case dropEveryNth(Int)
    /// Random loss of about this percentage (nft `numgen random`).
    /// NOT reproducible: two runs lose different packets, so traces of
    /// scenarios using it will not diff clean. Prefer `dropEveryNth`.
    case dropRandomPercent(Int)
    /// Token bucket on the interface: `tc qdisc replace dev IF root tbf rate
    /// RATE burst BURST latency LATENCY` (e.g. "1mbit", "32kb", "50ms").
    case rateLimit(rate: String, burst: String, latency: String)
    /// Fixed delay with netem ("50ms"). Needs the sch_netem kernel module;
    /// where the kernel lacks it, applying throws
    /// `TopologyError.missingKernelFeature("netem", ...)`.
    case delay(String)
  }

  /// The nftables hook the fault sits on.
  public enum Direction: String, Sendable, Equatable {
    /// Packets addressed to the host.
    case input
    /// Packets the host sends.
    case output
    /// Packets a forwarding host routes between its links. With `link` set,
    /// packets entering *or* leaving through that link's interface match.
    case forward
  }

  /// The host it is installed in.
  public var host: String
  /// Only that host's interface on this link (nil: all its interfaces).
  public var link: String?
  public var direction: Direction
  /// "udp", "tcp", "icmp" (ICMP and ICMPv6), or nil for any protocol.
  /// Without a protocol, IPv6 neighbour discovery (ICMPv6) matches too.
  public var protocolName: String?
  /// Destination port (UDP or TCP).
  public var port: UInt16?
  public var action: Action

  public init(
    host: String, link: String? = nil, direction: Direction, protocolName: String? = nil, port: UInt16? = nil,
    action: Action
  ) {
    self.host = host
    self.link = link
    self.direction = direction
    self.protocolName = protocolName
    self.port = port
    self.action = action
  }

  public var description: String {
    var text = "\(action) on \(host)"
    if let link { text += " link \(link)" }
    text += " \(direction.rawValue)"
    if let protocolName { text += " \(protocolName)" }
    if let port { text += " port \(port)" }
    return text
  }

  /// Whether the fault is a qdisc (tc) rather than an nftables rule.
  var isQdisc: Bool {
    switch action {
    case .rateLimit, .delay: return true
    case .drop, .reject, .dropEveryNth, .dropRandomPercent: return false
    }
  }

  /// (IPv4 ICMP type, ICMPv6 type) for each accepted reject name.
  static let rejectTypes: [String: (ipv4: String, ipv6: String)] = [
    "port-unreachable": ("port-unreachable", "port-unreachable"),
    "host-unreachable": ("host-unreachable", "addr-unreachable"),
    "addr-unreachable": ("host-unreachable", "addr-unreachable"),
    "net-unreachable": ("net-unreachable", "no-route"),
    "no-route": ("net-unreachable", "no-route"),
    "admin-prohibited": ("admin-prohibited", "admin-prohibited"),
  ]
}

/// Turns a packet fault into nftables rules. Pure, so it is tested without root.
enum FaultRules {
  static let table = "inet netdrill"

  /// `add rule` lines for `fault` on `interface` (nil: any), each ending in `comment "COMMENT"`.
  static func rules(for fault: Fault, interface: String?, comment: String) throws(TopologyError) -> [String] {
    var matches: [String] = []
    switch (fault.protocolName, fault.port) {
    case (nil, nil): break
    case (nil, let port?): matches.append("meta l4proto { tcp, udp } th dport \(port)")
    case (let name?, let port) where name == "udp" || name == "tcp":
      matches.append("meta l4proto \(name)")
      if let port { matches.append("\(name) dport \(port)") }
    case ("icmp", nil): matches.append("meta l4proto { icmp, ipv6-icmp }")
    case ("icmp", _):
      throw .invalidRequest("fault \(fault): ICMP has no ports; drop the port or use udp/tcp")
    case (let other?, _):
      throw .invalidRequest("fault \(fault): unknown protocol \"\(other)\"; use udp, tcp, icmp or leave it out")
    }

    var verdicts: [(family: String?, verdict: String)]
    switch fault.action {
    case .drop:
      verdicts = [(nil, "drop")]
    case .reject(let icmp):
      guard let types = Fault.rejectTypes[icmp] else {
        throw .invalidRequest(
          "fault \(fault): cannot reject with \"\(icmp)\"; use one of \(Fault.rejectTypes.keys.sorted().joined(separator: ", "))"
        )
      }
      verdicts = [
        ("ipv4", "reject with icmp type \(types.ipv4)"), ("ipv6", "reject with icmpv6 type \(types.ipv6)"),
      ]
    case .dropEveryNth(let n):
      guard n >= 1 else { throw .invalidRequest("fault \(fault): dropEveryNth needs N >= 1") }
      // `numgen inc mod N` gives the first matching packet 0, then 1, ..., N-1, 0, ...
      // (checked with an nft counter on Linux 6.18; the "dropEveryNth" test pins it):
      // matching N-1 lets the first N-1 pass and drops the N-th, 2N-th, ...
      verdicts = [(nil, "numgen inc mod \(n) \(n - 1) drop")]
    case .dropRandomPercent(let percent):
      guard (0...100).contains(percent) else {
        throw .invalidRequest("fault \(fault): dropRandomPercent needs a percentage in 0...100")
      }
      // nft rejects `< 100` (the value must fit 0...99): 100% is a plain drop.
      verdicts = [(nil, percent == 100 ? "drop" : "numgen random mod 100 < \(percent) drop")]
    case .rateLimit, .delay:
      throw .invalidRequest("fault \(fault): rate limiting and delay are tc qdiscs, not nftables rules")
    }

    let interfaceMatches: [String?]
    switch (fault.direction, interface) {
    case (_, nil): interfaceMatches = [nil]
    case (.input, let name?): interfaceMatches = ["iifname \"\(name)\""]
    case (.output, let name?): interfaceMatches = ["oifname \"\(name)\""]
    case (.forward, let name?): interfaceMatches = ["iifname \"\(name)\"", "oifname \"\(name)\""]
    }

    var lines: [String] = []
    for interfaceMatch in interfaceMatches {
      for (family, verdict) in verdicts {
        let parts =
          [interfaceMatch, family.map { "meta nfproto \($0)" }] + matches.map { Optional($0) }
          + [verdict, "comment \"\(comment)\""]
        lines.append("add rule \(table) \(fault.direction.rawValue) " + parts.compactMap { $0 }.joined(separator: " "))
      }
    }
    return lines
  }

  /// The `add table` / `add chain` lines that make sure `direction`'s chain exists (idempotent).
  static func chainSetup(_ direction: Fault.Direction) -> [String] {
    [
      "add table \(table)",
      "add chain \(table) \(direction.rawValue) { type filter hook \(direction.rawValue) priority 0; policy accept; }",
    ]
  }

  /// Handles of the rules carrying `comment` in an `nft -a list chain` listing.
  static func handles(in listing: String, comment: String) -> [Int] {
    listing.split(separator: "\n").compactMap { line in
      guard line.contains("comment \"\(comment)\""), let range = line.range(of: "# handle ") else { return nil }
      return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
  }
}
