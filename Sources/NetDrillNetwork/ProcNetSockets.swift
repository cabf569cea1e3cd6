import Glibc

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
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { Glibc.close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16384)
    while true {
      let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return count == 0 ? String(decoding: bytes, as: UTF8.self) : nil }
      bytes.append(contentsOf: buffer.prefix(count))
    }
  }
}
