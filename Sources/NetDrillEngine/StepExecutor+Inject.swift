import Glibc
import NetDrillScenario
import NetDrillSockets
import NetDrillSystem

/// What a send step really put on the wire, kept so a later `inject` of an
/// ICMP error can quote it: addresses as the kernel chose them, the first
/// datagram's payload.
struct SentDatagram {
  var source: SocketAddress
  var destination: SocketAddress
  var payload: [UInt8]
  var host: String
}

/// What inject steps need from the run so far.
struct InjectionState {
  /// The first datagram each UDP send step sent, by step index.
  var sentDatagrams: [Int: SentDatagram] = [:]
  /// Where each socket last connected to: the peer of a connection still in
  /// SYN_SENT, which getpeername does not tell (ENOTCONN).
  var connectTargets: [String: SocketAddress] = [:]
  /// Each host's device, opened at its first inject.
  var devices: [String: InjectionDevice] = [:]
  /// Whether the scenario has inject steps at all (nothing is noted otherwise); found at the first step.
  var isNeeded: Bool?
}

// inject: crafted packets delivered through the host's `InjectionDevice`.
extension StepExecutor {
  /// After a step: keeps what a later inject may need from it.
  func noteForInjection(_ step: Step, outcome: StepOutcome) {
    if injection.isNeeded == nil {
      injection.isNeeded = scenario.steps.contains { $0.action.verb == .inject }
    }
    guard injection.isNeeded == true else { return }
    switch step.action {
    case .send(let send): noteSent(send, step: step, outcome: outcome)
    case .connect(let name, let spec):
      if let target = try? resolve(spec, for: name, step) { injection.connectTargets[name] = target }
    default: break
    }
  }

  /// After a send step: remembers the datagram it sent (UDP only), for ICMP
  /// errors that quote it.
  private func noteSent(_ send: SendStep, step: Step, outcome: StepOutcome) {
    guard let open = sockets[send.socket], open.kind == .udp, let returned = outcome.returned, returned >= 0 else {
      return
    }
    let destination: SocketAddress?
    if let spec = send.to {
      destination = try? resolve(spec, for: send.socket, step)
    } else if case .success(let peer?) = open.socket.peerAddress() {
      destination = peer
    } else {
      destination = nil
    }
    guard let destination, case .success(var source?) = open.socket.localAddress() else { return }
    if source.isWildcard, let chosen = Self.sourceAddress(toward: destination) {
      source = SocketAddress(family: source.family, addressBytes: chosen.addressBytes, port: source.port)
    }
    injection.sentDatagrams[step.index] = SentDatagram(
      source: source, destination: destination, payload: send.messages.first?.bytes ?? [], host: open.host)
  }

  /// The source address the kernel picks toward `destination` (a UDP connect
  /// sends nothing; getsockname then tells the address routing chose).
  static func sourceAddress(toward destination: SocketAddress) -> SocketAddress? {
    guard case .success(let probe) = Socket.open(family: destination.family, stream: false, closeOnExec: true) else {
      return nil
    }
    defer { _ = probe.close() }
    guard case .success = probe.connect(destination), case .success(let local?) = probe.localAddress() else {
      return nil
    }
    return local
  }

  func performInject(_ inject: InjectStep, _ step: Step) throws(RunError) -> StepOutcome {
    guard network.isPrivate else {
      throw .environment(
        "\(step.location): inject needs netdrill's private network; it never writes packets into the host's own network (--host-network)"
      )
    }
    let (packet, host, text) = try build(inject, step)
    try enter(host)
    let device = try injectionDevice(for: host)
    var outcome = begin(step: step.phase, verb: .inject, socket: nil, call: "inject \(text)")
    let result = device.deliver(packet)
    record(result, into: &outcome)
    if case .failure(let errno) = result {
      throw .environment("\(step.location): inject: sendto on \(host)/lo failed: \(errno.name)")
    }
    // The packet itself is in the capture (its comment names this step); its
    // bytes are not kept here, as ports and sequence numbers differ run to run.
    outcome.value = "injected on \(host)/lo"
    return outcome
  }

  private func injectionDevice(for host: String) throws(RunError) -> InjectionDevice {
    if let device = injection.devices[host] { return device }
    let device = try InjectionDevice()
    injection.devices[host] = device
    return device
  }

  private func defaultHost(_ inject: InjectStep) -> String {
    inject.host ?? scenario.topology?.defaultHost ?? "local"
  }

  /// The packet, the host receiving it, and the call text.
  private func build(_ inject: InjectStep, _ step: Step) throws(RunError) -> ([UInt8], String, String) {
    switch inject.packet {
    case .udp(let fromSpec, let toSpec, let data):
      var host = defaultHost(inject)
      if inject.host == nil, case .named(let name) = toSpec, let open = sockets[name] { host = open.host }
      let destination = try resolve(toSpec, for: nil, step)
      let source = try resolve(fromSpec, for: nil, step)
      guard source.family == destination.family else {
        throw .badAddress("\(fromSpec) → \(toSpec): one is IPv4, the other IPv6", step.location)
      }
      let payload = data.bytes
      return (
        PacketBuilder.udp(from: source, to: destination, payload: payload), host,
        "udp \(source) → \(destination) \(OutcomeBytes(payload))"
      )

    case .icmp(let kind, let quoting, let offender, let mtu):
      guard let sent = injection.sentDatagrams[quoting] else {
        throw .environment(
          "\(step.location): inject icmp quotes step \(quoting + 1), which sent no datagram in this run (its send failed)"
        )
      }
      let original = PacketBuilder.udp(
        from: sent.source, to: sent.destination, payload: sent.payload, dontFragment: sent.source.family == .ipv4)
      let from = offender.flatMap { SocketAddress(ip: $0, port: 0) } ?? sent.destination
      guard from.family == sent.source.family else {
        throw .badAddress(
          "\(offender ?? "") sends an error about an \(sent.source.family.rawValue) datagram", step.location)
      }
      let size = mtu ?? InjectStep.defaultMTU
      let mtuText = kind == .fragNeeded ? " mtu \(size)" : ""
      return (
        PacketBuilder.icmpError(kind, from: from.addressBytes, quoting: original, mtu: size),
        inject.host ?? sent.host,
        "\(sent.source.family == .ipv6 ? "icmp6 \(kind == .fragNeeded ? "packet-too-big" : kind.rawValue)" : "icmp \(kind.rawValue)")\(mtuText) from \(from.ipText) quoting step \(quoting + 1): udp \(sent.source) → \(sent.destination)"
      )

    case .tcp(let name, let flags, let seq, let ack, let window, let data):
      let open = try socket(name, step)
      try enter(open.host)
      // getpeername fails in SYN_SENT: the peer is then where the connect step went.
      var peerAddress: SocketAddress?
      if case .success(let peer?) = open.socket.peerAddress() { peerAddress = peer }
      guard case .success(let local?) = open.socket.localAddress(),
        let peer = peerAddress ?? injection.connectTargets[name],
        !local.isWildcard
      else {
        throw .environment("\(step.location): inject tcp into \(name): the socket is not connected or connecting")
      }
      let position = try TCPSequenceState.read(open.socket, step)
      let sequence = UInt32(truncatingIfNeeded: Int64(position.receiveNext) + seq)
      let acknowledgement = UInt32(truncatingIfNeeded: Int64(position.sendNext) + ack)
      let bits = flags.reduce(UInt8(0)) { $0 | $1.bit }
      let payload = data?.bytes ?? []
      let flagText = flags.map(\.rawValue).joined(separator: "|")
      let dataText = payload.isEmpty ? "" : " \(OutcomeBytes(payload))"
      return (
        PacketBuilder.tcp(
          from: peer, to: local, seq: sequence, ack: acknowledgement, flags: bits, window: UInt16(window),
          payload: payload),
        inject.host ?? open.host,
        "tcp [\(flagText)] \(peer) → \(local) into \(name) seq rcv_nxt\(Self.signed(seq)) ack snd_nxt\(Self.signed(ack))\(dataText)"
      )
    }
  }

  private static func signed(_ value: Int64) -> String { value == 0 ? "" : value > 0 ? "+\(value)" : "\(value)" }
}

/// Where a TCP connection stands: the next sequence number it expects from
/// its peer (rcv_nxt) and the end of what it has sent (snd_nxt).
///
/// Read from the kernel through TCP_REPAIR (the interface CRIU checkpoints
/// connections with): in repair mode TCP_QUEUE_SEQ gives rcv_nxt for the
/// receive queue and write_seq for the send queue; write_seq less TCP_INFO's
/// tcpi_notsent_bytes is snd_nxt. Repair mode is left with
/// TCP_REPAIR_OFF_NO_WP, which sends no window probe, and SO_REUSEADDR, which
/// leaving repair mode clears, is put back as it was. Nothing is sent.
struct TCPSequenceState {
  var receiveNext: UInt32
  var sendNext: UInt32

  static let repair: Int32 = 19  // TCP_REPAIR
  static let repairQueue: Int32 = 20  // TCP_REPAIR_QUEUE
  static let queueSequence: Int32 = 21  // TCP_QUEUE_SEQ
  static let receiveQueue: Int32 = 1  // TCP_RECV_QUEUE
  static let sendQueue: Int32 = 2  // TCP_SEND_QUEUE
  static let repairOffWithoutProbe: Int32 = -1  // TCP_REPAIR_OFF_NO_WP
  /// offsetof(struct tcp_info, tcpi_notsent_bytes) in linux/tcp.h.
  static let notSentOffset = 144

  static func read(_ socket: Socket, _ step: Step) throws(RunError) -> TCPSequenceState {
    let level = Int32(IPPROTO_TCP)
    func fail(_ what: String, _ errno: Errno) -> RunError {
      .environment("\(step.location): inject tcp: \(what) failed: \(errno.name) (TCP_REPAIR needs CAP_NET_ADMIN)")
    }
    let reuse = socket.getOption(level: SOL_SOCKET, name: SO_REUSEADDR, capacity: 4)
    if case .failure(let errno) = socket.setOption(level: level, name: repair, value: Int32(1)) {
      throw fail("setsockopt(TCP_REPAIR)", errno)
    }
    defer {
      _ = socket.setOption(level: level, name: repair, value: repairOffWithoutProbe)
      if case .success(let bytes) = reuse, bytes.contains(where: { $0 != 0 }) {
        _ = socket.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: Int32(1))
      }
    }
    func sequence(of queue: Int32) throws(RunError) -> UInt32 {
      if case .failure(let errno) = socket.setOption(level: level, name: repairQueue, value: queue) {
        throw fail("setsockopt(TCP_REPAIR_QUEUE)", errno)
      }
      switch socket.getOption(level: level, name: queueSequence, capacity: 4) {
      case .success(let bytes) where bytes.count == 4:
        return bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
      case .success: throw .environment("\(step.location): inject tcp: TCP_QUEUE_SEQ gave no 32-bit value")
      case .failure(let errno): throw fail("getsockopt(TCP_QUEUE_SEQ)", errno)
      }
    }
    let receiveNext = try sequence(of: receiveQueue)
    let writeSequence = try sequence(of: sendQueue)
    var notSent: UInt32 = 0
    if case .success(let info) = socket.getOption(level: level, name: Int32(TCP_INFO), capacity: 256),
      info.count >= notSentOffset + 4
    {
      notSent = info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: notSentOffset, as: UInt32.self) }
    }
    return TCPSequenceState(receiveNext: receiveNext, sendNext: writeSequence &- notSent)
  }
}
