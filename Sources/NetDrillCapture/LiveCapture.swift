import Glibc
import Synchronization

/// Captures packets on interfaces in several network namespaces at once, on
/// one dedicated thread, and hands each packet to a sink.
///
/// ```swift
/// let capture = try LiveCapture(targets: targets) { packet in writer.append(packet) }
/// runScenario()
/// let stats = capture.stop()
/// ```
///
/// `@unchecked Sendable`: every pcap handle and the packet callback state
/// belong to the capture thread alone. This object only holds the thread id
/// and the stop pipe, behind a `Mutex`; results cross threads only after
/// `pthread_join`, which orders the capture thread's writes before our reads.
public final class LiveCapture: @unchecked Sendable {
  private enum State {
    case running(thread: pthread_t, stopWriteFD: Int32, stopReadFD: Int32, worker: CaptureWorker)
    case stopped([CaptureStatistics])
  }

  private let state: Mutex<State>

  /// What each target captures (link type, snap length), in target order:
  /// known once `init` returns, before any packet is delivered, so a trace
  /// writer can describe its interfaces first.
  public let interfaces: [CaptureInterface]

  /// Starts the capture thread and returns once every target's handle is
  /// active, so the very next packet on any of them is captured. Blocks the
  /// caller for that long (a few milliseconds per target).
  ///
  /// - Parameter sink: called on the capture thread, once per packet, in the
  ///   order read from each handle. Keep it quick: while it runs nothing is
  ///   read, and a full kernel ring drops packets (`CaptureStatistics.dropped`).
  /// - Parameter progress: called on the capture thread after each round of
  ///   reading with a watermark, in nanoseconds since the epoch (the clock of
  ///   packet timestamps): every packet stamped before it, on every target,
  ///   has been handed to `sink`. A writer that merges targets in timestamp
  ///   order can write everything up to it.
  /// - Throws: ``CaptureError`` for the first target that cannot be opened;
  ///   anything already opened is closed first.
  public init(
    targets: [CaptureTarget], configuration: CaptureConfiguration = .init(),
    progress: (@Sendable (UInt64) -> Void)? = nil,
    sink: @escaping @Sendable (CapturedPacket) -> Void
  ) throws(CaptureError) {
    var pipeFDs: [Int32] = [-1, -1]
    if pipe(&pipeFDs) != 0 {
      throw CaptureError.system("pipe", errno: errno)
    }
    let (readFD, writeFD) = (pipeFDs[0], pipeFDs[1])
    // pipe2(O_CLOEXEC) is not visible from Swift's Glibc module. A fork on
    // another thread between these calls could leak the pipe into a child,
    // which costs nothing but two descriptors until that child execs or exits.
    _ = fcntl(readFD, F_SETFD, FD_CLOEXEC)
    _ = fcntl(writeFD, F_SETFD, FD_CLOEXEC)
    let worker = CaptureWorker(
      targets: targets, configuration: configuration, stopFD: readFD, progress: progress, sink: sink)

    var thread = pthread_t()
    let context = Unmanaged.passRetained(worker).toOpaque()
    let created = pthread_create(
      &thread, nil,
      { raw in
        // A thread of our own, not the Swift concurrency pool: it blocks in
        // poll(2) and changes its network namespace with setns(2).
        Unmanaged<CaptureWorker>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
      }, context)
    if created != 0 {
      Unmanaged<CaptureWorker>.fromOpaque(context).release()
      Glibc.close(readFD)
      Glibc.close(writeFD)
      throw CaptureError.system("pthread_create", errno: created)
    }

    worker.ready.wait()
    if case .failure(let error) = worker.startup {
      pthread_join(thread, nil)
      Glibc.close(readFD)
      Glibc.close(writeFD)
      throw error
    }
    interfaces = worker.interfaces
    state = Mutex(
      .running(thread: thread, stopWriteFD: writeFD, stopReadFD: readFD, worker: worker))
  }

  deinit {
    _ = stop()
  }

  /// Stops capturing and returns one ``CaptureStatistics`` per target, in
  /// target order. The capture thread keeps reading for `drainFor` (packets
  /// still in flight in the kernel; in block mode at least twice
  /// ``CaptureConfiguration/blockTimeout`` plus 10 ms, so the last partly
  /// filled block is handed over), then empties every ring, reads the
  /// counters and closes every handle. Calling it again returns the same
  /// statistics.
  @discardableResult
  public func stop(drainFor: Duration = .milliseconds(20)) -> [CaptureStatistics] {
    state.withLock { state in
      switch state {
      case .stopped(let statistics):
        return statistics
      case .running(let thread, let writeFD, let readFD, let worker):
        requestStop(writeFD: writeFD, drainNanoseconds: max(0, drainFor.nanoseconds))
        pthread_join(thread, nil)
        Glibc.close(readFD)
        Glibc.close(writeFD)
        state = .stopped(worker.statistics)
        return worker.statistics
      }
    }
  }

  /// Sends the drain time to the capture thread. 8 bytes into a pipe nobody
  /// else writes are atomic and never block (pipe(7), PIPE_BUF).
  private func requestStop(writeFD: Int32, drainNanoseconds: Int64) {
    var message = drainNanoseconds
    while true {
      let written = withUnsafeBytes(of: &message) { write(writeFD, $0.baseAddress, $0.count) }
      if written >= 0 || errno != EINTR { return }
    }
  }
}
