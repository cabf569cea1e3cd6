import Dispatch
import Glibc
import NetDrillSystem
import Synchronization

/// The body of the capture thread: opens every handle, waits for the go-ahead
/// to deliver, polls the handles until told to stop, drains, collects
/// statistics and closes.
///
/// What the thread reports to its owner (the opened interfaces, then the
/// statistics) crosses threads in a `Mutex`; the semaphores only order the steps.
final class CaptureWorker: Sendable {
  private let targets: [CaptureTarget]
  private let configuration: CaptureConfiguration
  private let sink: @Sendable (CapturedPacket) -> Void
  private let progress: (@Sendable (UInt64) -> Void)?
  /// Read end of the stop pipe: a stop request is 8 bytes, the drain time in
  /// nanoseconds. Owned (closed) by ``LiveCapture``.
  private let stopFD: Int32

  /// Signalled once every handle is open (or opening failed).
  private let opened = DispatchSemaphore(value: 0)
  /// Signalled once (by `startDelivering`) to let the thread start polling.
  private let deliver = DispatchSemaphore(value: 0)

  private struct Reports {
    var startup: Result<[CaptureInterface], CaptureError> = .success([])
    var deliveryStarted = false
    var statistics: [CaptureStatistics] = []
  }
  private let reports = Mutex(Reports())

  /// The statistics, complete once the capture thread has ended (after `pthread_join`).
  var statistics: [CaptureStatistics] { reports.withLock { $0.statistics } }

  /// Upper bound for one poll(2) so a lost wake-up can never hang the thread.
  private static let pollTimeoutMilliseconds: Int64 = 100

  init(
    targets: [CaptureTarget], configuration: CaptureConfiguration, stopFD: Int32,
    progress: (@Sendable (UInt64) -> Void)? = nil, sink: @escaping @Sendable (CapturedPacket) -> Void
  ) {
    self.targets = targets
    self.configuration = configuration
    self.stopFD = stopFD
    self.progress = progress
    self.sink = sink
  }

  /// Waits until the thread has opened every handle; returns what each captures, in target order.
  func waitUntilOpened() -> Result<[CaptureInterface], CaptureError> {
    opened.wait()
    return reports.withLock { $0.startup }
  }

  /// Lets the thread start polling (and so delivering). Only the first call counts.
  func startDelivering() {
    let first = reports.withLock { reports in
      defer { reports.deliveryStarted = true }
      return !reports.deliveryStarted
    }
    if first { deliver.signal() }
  }

  /// In block mode a packet reaches user space only when the kernel retires
  /// its block, which the retire timer does blockTimeout after the block was
  /// opened, rounded up to jiffies (net/packet/af_packet.c,
  /// prb_retire_rx_blk_timer_expired). Draining for less could leave the last
  /// packets of a scenario in the kernel: twice the timeout plus 10 ms covers
  /// the rounding even at HZ=100.
  private var minimumDrainNanoseconds: Int64 {
    configuration.immediateMode ? 0 : 2 * configuration.blockTimeout.nanoseconds + 10_000_000
  }

  private static func realtimeNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
  }

  func run() {
    // Starved of CPU by a busy machine, it would let a ring overflow (a failed run).
    ThreadPriority.raiseCallingThread()
    var handles: [PcapHandle] = []
    do {
      for (index, target) in targets.enumerated() {
        handles.append(
          try PcapHandle.open(
            target: target, index: index, configuration: configuration, sink: sink))
        // Opening takes milliseconds per handle: keep the rings already open
        // from filling meanwhile (see readWhileHolding).
        readWhileHolding(handles)
      }
    } catch {
      for handle in handles { handle.close() }
      reports.withLock { $0.startup = .failure(error) }
      opened.signal()
      return
    }
    let interfaces = zip(targets, handles).map { target, handle in
      CaptureInterface(name: target.name, linkType: handle.linkType, snapLength: handle.snapLength)
    }
    reports.withLock { $0.startup = .success(interfaces) }
    opened.signal()
    // The handles are active, so the kernel queues every packet from here on;
    // they are read but none is delivered before the owner says so.
    while deliver.wait(timeout: .now() + .milliseconds(Self.holdReadIntervalMilliseconds)) == .timedOut {
      readWhileHolding(handles)
    }
    readWhileHolding(handles)
    for handle in handles { handle.startDelivering() }

    let pollError = poll(handles)
    for handle in handles { handle.drain() }
    let statistics = handles.map { handle in
      var stats = handle.statistics()
      if let pollError { stats.readError = stats.readError ?? pollError }
      return stats
    }
    reports.withLock { $0.statistics = statistics }
    for handle in handles { handle.close() }
  }

  /// How often rings are read while packets are held.
  private static let holdReadIntervalMilliseconds = 5

  /// Reads every handle into its held packets. A ring sized for a quiet
  /// interface has few blocks, and in block mode the kernel retires a block
  /// blockTimeout after its first packet however little it holds, so link
  /// chatter (IPv6 router and listener reports) arriving while a 20-host
  /// network's 40 handles open would use up the blocks and be dropped.
  /// Reading keeps the blocks free; what is held is only what arrives
  /// before the first step.
  private func readWhileHolding(_ handles: [PcapHandle]) {
    for handle in handles { _ = handle.dispatch() }
  }

  /// Dispatches readable handles until a stop request's drain time has passed.
  /// Returns a message if poll(2) itself failed (which ends capturing early).
  private func poll(_ handles: [PcapHandle]) -> String? {
    var descriptors = handles.map { pollfd(fd: $0.selectableFD, events: Int16(POLLIN), revents: 0) }
    descriptors.append(pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0))
    let stopSlot = descriptors.count - 1
    var deadline: ContinuousClock.Instant?

    while true {
      // Every packet stamped before `roundStart - retireBound` was in a retired
      // block (readable) when this round's poll began, and the round reads every
      // readable handle to its end (pcap_dispatch with -1): once the round is
      // over, all of them have reached the sink, on every handle.
      let roundStart = Self.realtimeNanoseconds()
      defer {
        let bound = UInt64(minimumDrainNanoseconds)
        progress?(roundStart > bound ? roundStart - bound : 0)
      }
      var timeout = Self.pollTimeoutMilliseconds
      if let deadline {
        let remaining = (deadline - .now).nanoseconds
        if remaining <= 0 { return nil }
        // Round up so we do not spin on a sub-millisecond remainder.
        timeout = min(timeout, (remaining + 999_999) / 1_000_000)
      }
      let ready: Int32
      switch syscall({ Glibc.poll(&descriptors, nfds_t(descriptors.count), Int32(timeout)) }) {
      case .success(let count): ready = count
      case .failure(let error): return "poll: \(errnoDescription(error.rawValue))"
      }
      if ready == 0 { continue }

      for slot in handles.indices where descriptors[slot].revents & Int16(POLLNVAL) != 0 {
        // The descriptor was closed under us: a bug, but not one to spin on.
        handles[slot].retire(
          because: "poll: descriptor \(descriptors[slot].fd) is not open (POLLNVAL)")
        descriptors[slot].fd = -1
      }
      for slot in handles.indices where descriptors[slot].fd >= 0 && descriptors[slot].revents != 0 {
        // POLLERR/POLLHUP too: pcap_dispatch then reports what went wrong
        // (for instance "The interface disappeared") and the handle retires.
        if handles[slot].dispatch() == nil {
          descriptors[slot].fd = -1  // poll(2) ignores negative descriptors
        }
      }
      if descriptors[stopSlot].revents != 0 {
        var drainNanoseconds: Int64 = 0
        // 8 bytes written at once into a pipe arrive at once (PIPE_BUF); a
        // read error would be a bug, and the default drain time is used then.
        _ = withUnsafeMutableBytes(of: &drainNanoseconds) { raw in
          syscall { read(stopFD, raw.baseAddress, raw.count) }
        }
        descriptors[stopSlot].fd = -1
        deadline = .now + .nanoseconds(max(drainNanoseconds, minimumDrainNanoseconds))
      }
    }
  }
}
