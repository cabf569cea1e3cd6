import Glibc
import NetDrillSystem
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
/// Starting is two-phase when asked (`startsDelivering: false`): `init`
/// opens every handle, so the kernel already queues every packet, and
/// ``interfaces`` is known, but nothing reaches the sink until
/// ``startDelivering()``. A trace writer describes its interfaces in between,
/// so no packet can arrive for an interface the trace does not know yet.
///
/// Every pcap handle and the packet callback state belong to the capture
/// thread alone; this object holds only the thread, the stop pipe and the
/// worker, behind a `Mutex`.
public final class LiveCapture: Sendable {
  private enum State {
    case running(
      thread: pthread_t, stopPipe: (readEnd: FileDescriptor, writeEnd: FileDescriptor), worker: CaptureWorker)
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
  /// - Parameter startsDelivering: true (the default) to hand packets to
  ///   `sink` at once; false to hold them in the kernel until
  ///   ``startDelivering()`` (or ``stop(drainFor:)``), so the caller can act
  ///   on ``interfaces`` before the first packet.
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
    targets: [CaptureTarget], configuration: CaptureConfiguration = .init(), startsDelivering: Bool = true,
    progress: (@Sendable (UInt64) -> Void)? = nil,
    sink: @escaping @Sendable (CapturedPacket) -> Void
  ) throws(CaptureError) {
    let stopPipe: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
    do {
      stopPipe = try FileDescriptor.pipe()
    } catch {
      throw CaptureError.system("pipe2", errno: error.rawValue)
    }
    let worker = CaptureWorker(
      targets: targets, configuration: configuration, stopFD: stopPipe.readEnd.rawValue, progress: progress,
      sink: sink)

    var thread = pthread_t()
    let context = Unmanaged.passRetained(worker).toOpaque()
    let created = pthread_create(
      &thread, nil,
      { raw in
        // A thread of our own, not the Swift concurrency pool: it blocks in
        // poll(2) and changes its network namespace with setns(2).
        // `raw` is the retained worker passed just below: never nil.
        Unmanaged<CaptureWorker>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
      }, context)
    if created != 0 {
      Unmanaged<CaptureWorker>.fromOpaque(context).release()
      stopPipe.readEnd.close()
      stopPipe.writeEnd.close()
      throw CaptureError.system("pthread_create", errno: created)
    }

    switch worker.waitUntilOpened() {
    case .failure(let error):
      pthread_join(thread, nil)
      stopPipe.readEnd.close()
      stopPipe.writeEnd.close()
      throw error
    case .success(let interfaces):
      self.interfaces = interfaces
    }
    state = Mutex(.running(thread: thread, stopPipe: stopPipe, worker: worker))
    if startsDelivering { worker.startDelivering() }
  }

  deinit {
    _ = stop()
  }

  /// Lets the capture thread hand packets to the sink (the second phase of a
  /// capture made with `startsDelivering: false`). Packets that arrived since
  /// `init` were queued by the kernel and come first. Calling it again does nothing.
  public func startDelivering() {
    state.withLock { state in
      if case .running(_, _, let worker) = state { worker.startDelivering() }
    }
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
      case .running(let thread, let stopPipe, let worker):
        // A capture never started still drains and counts what the kernel queued.
        worker.startDelivering()
        requestStop(writeEnd: stopPipe.writeEnd, drainNanoseconds: max(0, drainFor.nanoseconds))
        pthread_join(thread, nil)
        stopPipe.readEnd.close()
        stopPipe.writeEnd.close()
        let statistics = worker.statistics
        state = .stopped(statistics)
        return statistics
      }
    }
  }

  /// Sends the drain time to the capture thread. 8 bytes into a pipe nobody
  /// else writes are atomic and never block (pipe(7), PIPE_BUF).
  private func requestStop(writeEnd: FileDescriptor, drainNanoseconds: Int64) {
    var message = drainNanoseconds
    // It cannot fail: the pipe is ours, open and empty, and EINTR is retried by the door.
    _ = withUnsafeBytes(of: &message) { raw in Result { () throws(Errno) in try writeEnd.writeAll(raw) } }
  }
}
