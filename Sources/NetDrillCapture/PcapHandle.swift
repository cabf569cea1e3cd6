import CPcap
import Glibc
import NetDrillSystem

/// What the C packet callback reaches through pcap's `user` pointer. Touched
/// only by the capture thread; ``delivered`` is read after that thread is joined.
final class PacketDelivery {
  let targetIndex: Int
  /// 1 with nanosecond timestamps, 1000 when libpcap fell back to microseconds.
  let nanosecondsPerTick: UInt64
  let sink: @Sendable (CapturedPacket) -> Void
  var delivered: UInt64 = 0
  /// Packets read before the owner let the capture deliver: kept here, in
  /// order, until ``release()``; nil once delivering.
  private var held: [CapturedPacket]? = []

  init(
    targetIndex: Int, nanosecondsPerTick: UInt64, sink: @escaping @Sendable (CapturedPacket) -> Void
  ) {
    self.targetIndex = targetIndex
    self.nanosecondsPerTick = nanosecondsPerTick
    self.sink = sink
  }

  func deliver(_ header: pcap_pkthdr, _ bytes: UnsafePointer<UInt8>) {
    // With PCAP_TSTAMP_PRECISION_NANO, ts.tv_usec holds nanoseconds (pcap_set_tstamp_precision(3PCAP)).
    let seconds = UInt64(clamping: header.ts.tv_sec)
    let fraction = UInt64(clamping: header.ts.tv_usec)
    let packet = CapturedPacket(
      targetIndex: targetIndex,
      timestampNanoseconds: seconds &* 1_000_000_000 &+ fraction &* nanosecondsPerTick,
      originalLength: header.len,
      data: Array(UnsafeBufferPointer(start: bytes, count: Int(header.caplen))))
    delivered &+= 1
    if held != nil {
      held?.append(packet)
    } else {
      sink(packet)
    }
  }

  /// Hands the held packets to the sink and delivers every later one directly.
  func release() {
    let packets = held ?? []
    held = nil
    for packet in packets { sink(packet) }
  }
}

/// One activated libpcap handle. Created, read and closed by the capture
/// thread only; `pcap_close` runs exactly once (``close()``, or `deinit` as a
/// last resort).
final class PcapHandle {
  let name: String
  let selectableFD: Int32
  let linkType: UInt16
  let snapLength: Int32
  private(set) var warnings: [String]
  private(set) var readError: String?
  private var pcap: OpaquePointer?
  private let delivery: PacketDelivery

  private init(
    name: String, pcap: OpaquePointer, selectableFD: Int32, delivery: PacketDelivery,
    warnings: [String]
  ) {
    self.name = name
    self.pcap = pcap
    self.selectableFD = selectableFD
    self.delivery = delivery
    self.warnings = warnings
    self.linkType = linkTypeForDataLink(pcap_datalink(pcap))
    self.snapLength = pcap_snapshot(pcap)
  }

  deinit { close() }

  /// Enters the target's namespace on the calling thread, then opens and
  /// activates a handle there. Must run on a thread the capture owns.
  static func open(
    target: CaptureTarget, index: Int, configuration: CaptureConfiguration,
    sink: @escaping @Sendable (CapturedPacket) -> Void
  ) throws(CaptureError) -> PcapHandle {
    let name = target.name
    // A packet socket belongs to the network namespace of the thread that
    // creates it (net/packet/af_packet.c: packet_create uses current's netns).
    if case .failure(let error) = syscall({ cpcap_setns_net(target.namespaceFD) }) {
      let code = error.rawValue
      let detail = "setns(\(target.namespaceFD), CLONE_NEWNET): \(errnoDescription(code))"
      if code == EPERM {
        throw CaptureError(
          kind: .permissionDenied, target: name, detail: detail, capability: "CAP_SYS_ADMIN")
      }
      throw CaptureError(kind: .namespace, target: name, detail: detail)
    }

    var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
    guard let pcap = pcap_create(target.interface, &errorBuffer) else {
      throw CaptureError(kind: .pcap, target: name, detail: "pcap_create: \(string(errorBuffer))")
    }
    var owned: OpaquePointer? = pcap
    defer { if let owned { pcap_close(owned) } }

    func check(_ call: String, _ status: Int32) throws(CaptureError) {
      guard status != 0 else { return }
      throw CaptureError(kind: .pcap, target: name, detail: "\(call): \(statusText(status))")
    }
    try check("pcap_set_snaplen", pcap_set_snaplen(pcap, configuration.snapLength))
    try check("pcap_set_buffer_size", pcap_set_buffer_size(pcap, target.bufferBytes ?? configuration.bufferBytes))
    try check(
      "pcap_set_immediate_mode", pcap_set_immediate_mode(pcap, configuration.immediateMode ? 1 : 0))
    if !configuration.immediateMode {
      let milliseconds = max(1, Int32(clamping: configuration.blockTimeout.milliseconds))
      try check("pcap_set_timeout", pcap_set_timeout(pcap, milliseconds))
    }

    var warnings: [String] = []
    let precisionStatus = pcap_set_tstamp_precision(pcap, Int32(PCAP_TSTAMP_PRECISION_NANO))
    if precisionStatus != 0 && precisionStatus != PCAP_ERROR_TSTAMP_PRECISION_NOTSUP {
      try check("pcap_set_tstamp_precision", precisionStatus)
    }

    let activation = pcap_activate(pcap)
    if activation < 0 {
      throw activationError(activation, pcap: pcap, target: target)
    } else if activation > 0 {
      warnings.append(
        "pcap_activate: \(statusText(activation)): \(String(cString: pcap_geterr(pcap)))")
    }

    let nanosecondsPerTick: UInt64
    if pcap_get_tstamp_precision(pcap) == Int32(PCAP_TSTAMP_PRECISION_NANO) {
      nanosecondsPerTick = 1
    } else {
      nanosecondsPerTick = 1000
      warnings.append(
        "nanosecond timestamps not supported; microsecond timestamps scaled to nanoseconds")
    }

    // On loopback the kernel hands a packet socket every packet twice: once
    // as PACKET_OUTGOING from dev_queue_xmit_nit and once as PACKET_HOST from
    // the receive path; both land in the ring (ps_recv counts both). libpcap
    // already drops the outgoing copy in user space when the ifindex is the
    // one it looked up by the name "lo" (pcap-linux.c, linux_check_direction);
    // PCAP_D_IN says so explicitly rather than relying on that detail. The
    // copy kept is the incoming one, for locally generated ICMP errors too.
    // (Doing this in the kernel filter with `inbound` loses packets: see
    // loadsPacketType.)
    if isLoopback(interface: target.interface) {
      if pcap_setdirection(pcap, PCAP_D_IN) != 0 {
        warnings.append(
          "pcap_setdirection(PCAP_D_IN) on loopback failed: \(String(cString: pcap_geterr(pcap)))")
      }
      // libpcap 1.10 drops the outgoing copy only after the kernel has put it
      // in the ring: half the ring and half the kernel's copying (done by the
      // sending thread) go to packets never delivered. PACKET_IGNORE_OUTGOING
      // (Linux 4.20) keeps them out of the ring; the packets delivered are the
      // same. Without it (older kernels) libpcap's own skip still applies.
      var ignore: Int32 = 1
      let status = syscall {
        setsockopt(
          pcap_fileno(pcap), SOL_PACKET_LEVEL, PACKET_IGNORE_OUTGOING_OPTION, &ignore,
          socklen_t(MemoryLayout<Int32>.size))
      }
      if case .failure(let error) = status {
        warnings.append(
          "PACKET_IGNORE_OUTGOING on loopback failed (\(errnoDescription(error.rawValue))): "
            + "each packet takes the ring twice")
      }
    }

    if let filter = configuration.filter {
      var program = bpf_program()
      if pcap_compile(pcap, &program, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 {
        throw CaptureError(
          kind: .invalidFilter, target: name, detail: String(cString: pcap_geterr(pcap)),
          filter: filter)
      }
      // pcap_setfilter copies the program; free ours on success and failure alike.
      defer { pcap_freecode(&program) }
      if loadsPacketType(program) {
        throw CaptureError(
          kind: .invalidFilter, target: name,
          detail:
            "direction (`inbound`/`outbound`) cannot be filtered: libpcap 1.10 also applies the "
            + "filter in user space to the first packets in the ring, where the kernel's packet type "
            + "is unavailable, and silently drops them. Every packet is already captured once; "
            + "leave direction out of the filter",
          filter: filter)
      }
      if pcap_setfilter(pcap, &program) != 0 {
        throw CaptureError(
          kind: .invalidFilter, target: name,
          detail: "pcap_setfilter: \(String(cString: pcap_geterr(pcap)))",
          filter: filter)
      }
    }

    if pcap_setnonblock(pcap, 1, &errorBuffer) != 0 {
      throw CaptureError(
        kind: .pcap, target: name, detail: "pcap_setnonblock: \(string(errorBuffer))")
    }
    let selectableFD = pcap_get_selectable_fd(pcap)
    if selectableFD < 0 {
      throw CaptureError(
        kind: .pcap, target: name, detail: "pcap_get_selectable_fd: no pollable descriptor")
    }
    // libpcap 1.10 opens its packet socket without SOCK_CLOEXEC. The programs
    // netdrill starts get only stdin, stdout and stderr anyway; this keeps a
    // capture out of anything else that execs.
    if case .failure(let error) = syscall({ fcntl(selectableFD, F_SETFD, FD_CLOEXEC) }) {
      throw CaptureError(
        kind: .pcap, target: name, detail: "fcntl(F_SETFD, FD_CLOEXEC): \(errnoDescription(error.rawValue))")
    }

    owned = nil
    let delivery = PacketDelivery(
      targetIndex: index, nanosecondsPerTick: nanosecondsPerTick, sink: sink)
    return PcapHandle(
      name: name, pcap: pcap, selectableFD: selectableFD, delivery: delivery, warnings: warnings)
  }

  /// Delivers the packets read before delivery started, then every later one as it is read.
  func startDelivering() { delivery.release() }

  /// Reads what the ring holds without blocking. Returns the number of
  /// packets delivered, or nil once the handle has failed (``readError``).
  func dispatch() -> Int32? {
    guard let pcap, readError == nil else { return nil }
    let context = UnsafeMutableRawPointer(Unmanaged.passUnretained(delivery).toOpaque())
      .assumingMemoryBound(to: UInt8.self)
    let count = pcap_dispatch(
      pcap, -1,
      { user, header, bytes in
        guard let user, let header, let bytes else { return }
        Unmanaged<PacketDelivery>.fromOpaque(UnsafeRawPointer(user)).takeUnretainedValue()
          .deliver(header.pointee, bytes)
      }, context)
    if count >= 0 { return count }
    // -2 (PCAP_ERROR_BREAK) only follows pcap_breakloop, which nothing calls;
    // anything negative means this handle cannot be read any more.
    readError = count == PCAP_ERROR ? String(cString: pcap_geterr(pcap)) : statusText(count)
    return nil
  }

  /// Stops reading this handle, keeping `reason` for its statistics.
  func retire(because reason: String) {
    if readError == nil { readError = reason }
  }

  /// Reads until the ring is empty.
  func drain() {
    while let count = dispatch(), count > 0 {}
  }

  /// The counters so far; call before ``close()``.
  func statistics() -> CaptureStatistics {
    var stats = pcap_stat()
    var warnings = self.warnings
    if let pcap, pcap_stats(pcap, &stats) != 0 {
      warnings.append("pcap_stats: \(String(cString: pcap_geterr(pcap)))")
    }
    return CaptureStatistics(
      name: name, linkType: linkType, snapLength: snapLength,
      received: stats.ps_recv, dropped: stats.ps_drop, interfaceDropped: stats.ps_ifdrop,
      delivered: delivery.delivered, warnings: warnings, readError: readError)
  }

  func close() {
    if let pcap {
      pcap_close(pcap)
      self.pcap = nil
    }
  }
}

/// The NUL-terminated message libpcap wrote into an error buffer.
private func string(_ errorBuffer: [CChar]) -> String {
  String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func statusText(_ status: Int32) -> String {
  String(cString: pcap_statustostr(status))
}

private func activationError(_ status: Int32, pcap: OpaquePointer, target: CaptureTarget)
  -> CaptureError
{
  // pcap_activate(3PCAP): pcap_geterr holds a message for PCAP_ERROR,
  // PCAP_ERROR_NO_SUCH_DEVICE and PCAP_ERROR_PERM_DENIED; the others are
  // described by their status alone.
  var detail = statusText(status)
  if status == PCAP_ERROR || status == PCAP_ERROR_NO_SUCH_DEVICE || status == PCAP_ERROR_PERM_DENIED {
    let message = String(cString: pcap_geterr(pcap))
    if !message.isEmpty { detail += ": \(message)" }
  }
  let kind: CaptureError.Kind
  switch status {
  case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
    return CaptureError(
      kind: .permissionDenied, target: target.name, detail: "pcap_activate: \(detail)",
      capability: "CAP_NET_RAW")
  case PCAP_ERROR_NO_SUCH_DEVICE: kind = .noSuchInterface
  case PCAP_ERROR_IFACE_NOT_UP: kind = .interfaceDown
  default: kind = .pcap
  }
  return CaptureError(kind: kind, target: target.name, detail: "pcap_activate: \(detail)")
}

/// Whether a compiled filter reads the packet type (direction) from the
/// kernel's ancillary data: `ld[h] [SKF_AD_OFF + SKF_AD_PKTTYPE]`, which is
/// what `inbound`/`outbound` compile to on Linux (gencode.c, gen_inbound).
/// libpcap's user-space interpreter cannot evaluate it, yet libpcap 1.10
/// filters the ring's first frames or blocks in user space after
/// pcap_setfilter (pcap-linux.c, blocks_to_filter_in_userland). Measured on
/// `lo` with 3 datagrams + 3 ICMP errors: the kernel accepted 6, `inbound`
/// delivered 0 in block mode and 5 in immediate mode.
private func loadsPacketType(_ program: bpf_program) -> Bool {
  let ancillaryPacketType: UInt32 = 0xFFFF_F000 &+ 4  // SKF_AD_OFF (-0x1000) + SKF_AD_PKTTYPE
  guard let instructions = program.bf_insns else { return false }
  return UnsafeBufferPointer(start: instructions, count: Int(program.bf_len)).contains {
    instruction in
    // BPF_CLASS == BPF_LD and BPF_MODE == BPF_ABS (bpf(4): class 0x07, mode 0xe0).
    instruction.code & 0x07 == 0x00 && instruction.code & 0xE0 == 0x20
      && instruction.k == ancillaryPacketType
  }
}

/// From <linux/socket.h> and <linux/if_packet.h>, which Glibc does not import.
private let SOL_PACKET_LEVEL: Int32 = 263
private let PACKET_IGNORE_OUTGOING_OPTION: Int32 = 23

/// IFF_LOOPBACK from getifaddrs(3), which asks rtnetlink in the calling
/// thread's namespace (unlike /sys/class/net, which shows the namespace
/// sysfs was mounted in). Falls back to the name when that fails.
private func isLoopback(interface: String) -> Bool {
  var list: UnsafeMutablePointer<ifaddrs>?
  guard getifaddrs(&list) == 0 else { return interface == "lo" }
  defer { freeifaddrs(list) }
  var entry = list
  while let current = entry {
    if let name = current.pointee.ifa_name, String(cString: name) == interface {
      return current.pointee.ifa_flags & UInt32(IFF_LOOPBACK) != 0
    }
    entry = current.pointee.ifa_next
  }
  return interface == "lo"
}

/// The LINKTYPE_ value (pcap file header) for a DLT_ value. They are equal
/// except for a few historical DLT numbers; pcap_datalink_val_to_name names
/// both. See https://www.tcpdump.org/linktypes.html.
func linkTypeForDataLink(_ dataLink: Int32) -> UInt16 {
  switch dataLink {
  case DLT_RAW: return 101  // LINKTYPE_RAW; DLT_RAW is 12 on Linux
  default: return UInt16(clamping: dataLink)
  }
}

extension Duration {
  var nanoseconds: Int64 {
    let (seconds, attoseconds) = components
    let total = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    if total.overflow { return seconds < 0 ? .min : .max }
    return total.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
  }

  var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
