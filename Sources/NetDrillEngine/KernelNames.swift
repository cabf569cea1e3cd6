import Glibc
import NetDrillScenario

// The kernel's numbers for the names scenarios use, and back.

extension MessageFlag {
  public var value: Int32 {
    switch self {
    case .MSG_DONTWAIT: return Int32(Glibc.MSG_DONTWAIT)
    case .MSG_PEEK: return Int32(Glibc.MSG_PEEK)
    case .MSG_TRUNC: return Int32(Glibc.MSG_TRUNC)
    case .MSG_ERRQUEUE: return Int32(Glibc.MSG_ERRQUEUE)
    case .MSG_WAITALL: return Int32(Glibc.MSG_WAITALL)
    case .MSG_CTRUNC: return Int32(Glibc.MSG_CTRUNC)
    case .MSG_CONFIRM: return Int32(Glibc.MSG_CONFIRM)
    case .MSG_DONTROUTE: return Int32(Glibc.MSG_DONTROUTE)
    case .MSG_MORE: return Int32(Glibc.MSG_MORE)
    case .MSG_NOSIGNAL: return Int32(Glibc.MSG_NOSIGNAL)
    case .MSG_OOB: return Int32(Glibc.MSG_OOB)
    case .MSG_EOR: return Int32(Glibc.MSG_EOR)
    case .MSG_WAITFORONE: return Int32(Glibc.MSG_WAITFORONE)
    }
  }

  static func combined(_ flags: [MessageFlag]) -> Int32 {
    flags.reduce(0) { $0 | $1.value }
  }

  /// The names of the flags set in a returned `msg_flags`.
  static func names(in value: Int32) -> [String] {
    MessageFlag.allCases.filter { value & $0.value != 0 }.map(\.rawValue)
  }
}

extension PollEvent {
  public var value: Int16 {
    switch self {
    case .POLLIN: return Int16(Glibc.POLLIN)
    case .POLLOUT: return Int16(Glibc.POLLOUT)
    case .POLLERR: return Int16(Glibc.POLLERR)
    case .POLLHUP: return Int16(Glibc.POLLHUP)
    case .POLLPRI: return Int16(Glibc.POLLPRI)
    case .POLLRDHUP: return 0x2000  // POLLRDHUP is a GNU extension, absent from Swift's Glibc module
    case .POLLNVAL: return Int16(Glibc.POLLNVAL)
    }
  }

  static func names(in value: Int16) -> [String] {
    PollEvent.allCases.filter { value & $0.value != 0 }.map(\.rawValue)
  }
}

extension ShutdownHow {
  var value: Int32 {
    switch self {
    case .read: return Int32(SHUT_RD)
    case .write: return Int32(SHUT_WR)
    case .both: return Int32(SHUT_RDWR)
    }
  }
}

extension Duration {
  /// The duration as a socket timeout (SO_RCVTIMEO/SO_SNDTIMEO), never below
  /// 1 µs: the kernel reads a zero timeval as "no timeout" and would block
  /// forever. Scenarios are checked for this when parsed; this is the last guard.
  var timeval: timeval {
    let nanoseconds = max(self.nanoseconds, 1_000)
    return Glibc.timeval(tv_sec: Int(nanoseconds / 1_000_000_000), tv_usec: Int(nanoseconds % 1_000_000_000 / 1000))
  }

  var milliseconds: Int32 {
    Int32(clamping: (nanoseconds + 999_999) / 1_000_000)
  }
}

/// CLOCK_REALTIME in nanoseconds: the clock libpcap stamps packets with, so
/// step times and packet times line up in a trace.
func realtimeNanoseconds() -> UInt64 {
  var now = timespec()
  clock_gettime(CLOCK_REALTIME, &now)
  return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
