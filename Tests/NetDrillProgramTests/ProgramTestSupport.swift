import Foundation
import Glibc
import NetDrillNetwork
import NetDrillSockets
import NetDrillTestSupport
import Testing

enum Namespaces {
  /// A fresh namespace, made on a thread of its own that then ends; the
  /// returned descriptor keeps the namespace alive.
  static func make(_ name: String) throws -> NetworkNamespace {
    try IsolatedThread.run(name: "make-\(name)", timeout: .seconds(10)) {
      try NetworkNamespace.createAndEnter(name: name)
    }
  }

  /// Runs `body` on a new thread inside `namespace`.
  static func inside<T: Sendable>(
    _ namespace: NetworkNamespace, _ body: @escaping @Sendable () throws -> T
  ) throws -> T {
    try IsolatedThread.run(name: "in-\(namespace.name)", timeout: .seconds(10)) {
      try namespace.enter()
      return try body()
    }
  }

  /// The inode that names `namespace` (as in `net:[4026532…]`).
  static func inode(of namespace: NetworkNamespace) -> UInt64 {
    var info = stat()
    _ = fstat(namespace.descriptor, &info)
    return UInt64(info.st_ino)
  }
}

/// Sends `text` to 127.0.0.1:`port` from inside `namespace` and returns the reply (2 s bound).
func udpRoundTrip(_ text: String, port: UInt16, in namespace: NetworkNamespace) throws -> String {
  try Namespaces.inside(namespace) {
    let socket = try Socket.open(family: .ipv4, stream: false, closeOnExec: true).orThrow("socket")
    _ = try socket.sendto(Array(text.utf8), flags: 0, to: .loopback(.ipv4, port: port)).orThrow("sendto")
    let events = try socket.poll(events: Int16(POLLIN), timeoutMilliseconds: 2000).orThrow("poll")
    guard events & Int16(POLLIN) != 0 else { throw SystemCallError("no echo within 2s", Errno(rawValue: ETIMEDOUT)) }
    let message = try socket.recvfrom(size: 2048, flags: 0).orThrow("recvfrom")
    return String(decoding: message.bytes, as: UTF8.self)
  }
}

/// Python programs used as programs under test. Each flushes its output
/// (a pipe makes Python buffer it) and prints "ready" once set up.
enum Programs {
  /// UDP echo on 127.0.0.1:`port`; exits 0 on SIGTERM.
  static func udpEcho(port: UInt16) -> [String] {
    [
      "python3", "-c",
      """
      import signal, socket, sys
      signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
      s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
      s.bind(("127.0.0.1", \(port)))
      print("ready", flush=True)
      while True:
          data, peer = s.recvfrom(65535)
          s.sendto(data, peer)
      """,
    ]
  }

  /// A TCP listener on [::]:`port` (IPv6, to exercise /proc/net/tcp6); exits 0 on SIGTERM.
  static func tcpListener(port: UInt16) -> [String] {
    [
      "python3", "-c",
      """
      import signal, socket, sys, time
      signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
      s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
      time.sleep(0.2)
      s.bind(("::", \(port)))
      s.listen()
      print("listening", file=sys.stderr, flush=True)
      while True:
          time.sleep(1)
      """,
    ]
  }
}
