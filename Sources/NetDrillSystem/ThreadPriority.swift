import Glibc

/// Scheduling for the threads that must keep up with the kernel: a background
/// receiver (a datagram that finds the receive buffer full is dropped) and the
/// capture (a packet that finds the ring full is dropped). On a machine busy
/// with other work either can be starved of CPU long enough for that to happen,
/// and a run that dropped is not a clean pass.
public enum ThreadPriority {
  /// The nice value asked for: enough to run as soon as work waits, against
  /// ordinary (nice 0) processes.
  public static let urgentNice: Int32 = -10

  /// Gives the calling thread ``urgentNice``. Only root (CAP_SYS_NICE) may
  /// lower a nice value; otherwise the thread stays as it is. On Linux,
  /// `who` 0 with PRIO_PROCESS is the calling thread, not the whole process
  /// (setpriority(2), BUGS), so the rest of netdrill keeps its priority.
  /// Returns whether the kernel accepted it.
  @discardableResult
  public static func raiseCallingThread() -> Bool {
    setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, urgentNice) == 0
  }

  /// The calling thread's nice value.
  public static var callingThreadNice: Int32 {
    errno = 0
    return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
  }
}
