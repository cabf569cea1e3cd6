import Glibc
import NetDrillSystem

/// Reads the socket tables of a process's network namespace from
/// `/proc/<pid>/net/{udp,udp6,tcp,tcp6}` (proc(5)); sends nothing.
///
/// These files show the namespace of the process named in the path, not of
/// the reader, so they answer for the program's own namespace from any thread.
enum ProcNetSockets {
  /// TCP_LISTEN in include/net/tcp_states.h, as /proc/net/tcp prints it ("0A").
  private static let tcpListen: UInt8 = 0x0A

  /// True if a socket in `pid`'s namespace has local UDP port `port`.
  static func hasUDPPort(_ port: UInt16, pid: pid_t) -> Bool {
    ["udp", "udp6"].contains { table in entries(pid: pid, table: table).contains { $0.port == port } }
  }

  /// True if a socket in `pid`'s namespace listens on TCP port `port`.
  static func hasTCPListener(_ port: UInt16, pid: pid_t) -> Bool {
    ["tcp", "tcp6"].contains { table in
      entries(pid: pid, table: table).contains { $0.port == port && $0.state == tcpListen }
    }
  }

  /// (local port, state) of every row; empty if the file cannot be read
  /// (no IPv6 in the kernel, or the process has ended).
  static func entries(pid: pid_t, table: String) -> [(port: UInt16, state: UInt8)] {
    guard let text = readFile("/proc/\(pid)/net/\(table)") else { return [] }
    return parse(text)
  }

  /// Rows look like `0: 0100007F:1B5F 00000000:0000 07 ...`: the local
  /// address ends in the port in hex, the fourth column is the state in hex.
  static func parse(_ text: String) -> [(port: UInt16, state: UInt8)] {
    text.split(separator: "\n").dropFirst().compactMap { line in
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count > 3, let colon = fields[1].lastIndex(of: ":"),
        let port = UInt16(fields[1][fields[1].index(after: colon)...], radix: 16),
        let state = UInt8(fields[3], radix: 16)
      else { return nil }
      return (port, state)
    }
  }

  private static func readFile(_ path: String) -> String? {
    guard let file = try? FileDescriptor.open(path, .read) else { return nil }
    defer { file.close() }
    // A socket table of a private namespace is a few lines; 64 MiB is far past any.
    guard let bytes = try? file.readToEnd(limit: 64 << 20) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }
}
