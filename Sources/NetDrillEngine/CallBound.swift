import Glibc
import NetDrillSockets

/// Bounds one blocking call without leaving a trace on the socket.
///
/// netdrill must stop a blocking call that would wait forever, but the bound
/// must not be visible to the scenario: no SO_RCVTIMEO/SO_SNDTIMEO of
/// netdrill's own (a listener's value is copied into every connection it
/// accepts later), nothing getsockopt could read afterwards. So the call runs
/// with the file's O_NONBLOCK set for the duration of the step only, and
/// netdrill waits in poll(2) between tries:
///
/// - O_NONBLOCK is a flag of the open file, not of the socket: getsockopt
///   never shows it, accept(2) never copies it (accept4's own flags decide),
///   and it is put back to its exact previous value before the step ends.
/// - A nonblocking try gives what the blocking call would have given at that
///   moment (the kernel's code is the same, with a zero timeout); only
///   "nothing yet" (EAGAIN, EINPROGRESS, EALREADY) differs, and then netdrill
///   waits for readiness and tries again. Readiness that vanishes before the
///   try (another reader, a datagram with a bad checksum dropped at recv time)
///   just gives EAGAIN again, and the wait goes on: the call never blocks.
/// - At the deadline the answer is the kernel's own EAGAIN (EINPROGRESS for a
///   connect), as SO_RCVTIMEO/SO_SNDTIMEO would have given.
/// - A timeout the scenario set itself (SO_RCVTIMEO, SO_SNDTIMEO; also one an
///   accepted socket inherited from its listener) is read from the kernel and
///   governs when it is the shorter.
struct CallBound {
  let socket: Socket
  /// CLOCK_MONOTONIC nanoseconds at which the call gives up.
  let deadline: UInt64
  /// True when netdrill's bound, not the socket's own timeout, sets the deadline.
  let isNetdrillBound: Bool

  /// `timeoutOption` is the option the kernel itself would bound this call
  /// with: SO_RCVTIMEO for receives and accept, SO_SNDTIMEO for sends and connect.
  init(socket: Socket, bound: Duration, timeoutOption: Int32) {
    self.socket = socket
    let own = Self.ownTimeout(of: socket, option: timeoutOption)
    let boundNanoseconds = UInt64(max(bound.nanoseconds, 0))
    if let own, own < boundNanoseconds {
      deadline = monotonicNanoseconds() + own
      isNetdrillBound = false
    } else {
      deadline = monotonicNanoseconds() + boundNanoseconds
      isNetdrillBound = true
    }
  }

  /// The socket's own SO_RCVTIMEO/SO_SNDTIMEO in nanoseconds; nil when 0 (wait forever).
  private static func ownTimeout(of socket: Socket, option: Int32) -> UInt64? {
    guard case .success(let raw) = socket.getOption(level: SOL_SOCKET, name: option),
      raw.count >= MemoryLayout<timeval>.size
    else { return nil }
    let value = raw.withUnsafeBytes { $0.loadUnaligned(as: timeval.self) }
    let nanoseconds = UInt64(max(value.tv_sec, 0)) * 1_000_000_000 + UInt64(max(value.tv_usec, 0)) * 1000
    return nanoseconds == 0 ? nil : nanoseconds
  }

  var isExpired: Bool { monotonicNanoseconds() >= deadline }

  /// Runs `body` with O_NONBLOCK set on the socket's open file, then puts the
  /// file's flags back exactly as they were.
  func nonBlocking<T>(_ body: () -> T) -> T {
    guard case .success(let flags) = socket.fileStatusFlags(), flags & O_NONBLOCK == 0 else { return body() }
    _ = socket.setFileStatusFlags(flags | O_NONBLOCK)
    defer { _ = socket.setFileStatusFlags(flags) }
    return body()
  }

  /// Waits until `events` (or an error or hang-up) are signalled or the
  /// deadline passes. Returns the revents, or nil at the deadline.
  func wait(for events: Int16) -> Int16? {
    let now = monotonicNanoseconds()
    guard now < deadline else { return nil }
    let milliseconds = Int32(clamping: (deadline - now + 999_999) / 1_000_000)
    guard case .success(let revents) = socket.poll(events: events, timeoutMilliseconds: milliseconds) else {
      return nil
    }
    if revents == 0 { return isExpired ? nil : 0 }
    // POLLERR stays set while an error queue (IP_RECVERR) is not empty, though
    // a receive still has nothing to give: pause instead of spinning.
    if revents & events == 0 { pause(milliseconds: 1) }
    return revents
  }

  /// Tries `attempt` until it stops saying "not yet" (EAGAIN) or the deadline
  /// passes, waiting for `events` in between. The last try's answer is returned.
  func retry<T>(waitingFor events: Int16, _ attempt: () -> Result<T, Errno>) -> Result<T, Errno> {
    while true {
      let result = attempt()
      guard case .failure(let errno) = result, errno.rawValue == EAGAIN else { return result }
      guard wait(for: events) != nil else { return result }
    }
  }

  /// A blocking TCP connect, bounded. A nonblocking connect starts the
  /// handshake (EINPROGRESS); when poll says it is over, connect() again
  /// answers exactly what the blocking connect would have returned then (0,
  /// or the pending error such as ECONNREFUSED), and leaves the socket in the
  /// same state (connected, or unconnected after a failure). At the deadline
  /// the first answer stands: EINPROGRESS, the handshake going on, as with SO_SNDTIMEO.
  func connect(_ address: SocketAddress) -> Result<Void, Errno> {
    nonBlocking {
      let first = socket.connect(address)
      guard case .failure(let pending) = first, Self.isPending(pending) else { return first }
      while wait(for: Int16(POLLOUT)) != nil {
        let again = socket.connect(address)
        if case .failure(let errno) = again, Self.isPending(errno) { continue }
        return again
      }
      return first
    }
  }

  private static func isPending(_ errno: Errno) -> Bool {
    errno.rawValue == EINPROGRESS || errno.rawValue == EALREADY
  }

  private func pause(milliseconds: Int) {
    sleepThread(nanoseconds: Int64(milliseconds) * 1_000_000)
  }
}

/// CLOCK_MONOTONIC in nanoseconds: deadlines must not move with the wall clock.
func monotonicNanoseconds() -> UInt64 {
  var now = timespec()
  clock_gettime(CLOCK_MONOTONIC, &now)
  return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
