import Foundation
import Glibc
import NetDrillNetwork
import NetDrillSockets
import NetDrillTestSupport
import Testing

/// Privileges and threads for tests that build real private networks.
enum TopologyTest {
  /// Builds `spec` on a thread of its own, as netdrill does; the thread ends
  /// afterwards, so it keeps no namespace alive.
  static func build(_ spec: TopologySpec) throws -> PrivateNetwork {
    try Privileges.require()
    return try IsolatedThread.run(name: "build", timeout: .seconds(60)) { try PrivateNetwork.build(spec) }
  }

  /// Runs socket work on a fresh thread (sockets are made in whichever
  /// namespace that thread last entered with `host.enter()`).
  static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
    try IsolatedThread.run(name: "test sockets", timeout: .seconds(30), body)
  }
}

struct TestFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

extension NetworkHost {
  /// Moves the calling thread into this host.
  func enter() throws { try namespace.enter() }

  func ipv4(_ link: String) throws -> String {
    guard let address = interface(on: link)?.ipv4 else { throw TestFailure("\(name) has no interface on \(link)") }
    return address
  }

  func ipv6(_ link: String) throws -> String {
    guard let address = interface(on: link)?.ipv6, !address.isEmpty else {
      throw TestFailure("\(name) has no IPv6 address on \(link)")
    }
    return address
  }
}

extension PrivateNetwork {
  func require(_ name: String) throws -> NetworkHost {
    guard let host = host(named: name) else { throw TestFailure("no host \(name)") }
    return host
  }
}

/// A UDP socket made in the calling thread's namespace, with a receive timeout.
func udpSocket(
  _ family: SocketAddress.Family = .ipv4, bindPort: UInt16? = nil, timeoutMilliseconds: Int = 500
) throws -> Socket {
  let socket = try Socket.open(family: family, stream: false, closeOnExec: true).get()
  let timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
  try socket.setOption(level: SOL_SOCKET, name: SO_RCVTIMEO, value: timeout).get()
  if let bindPort { try socket.bind(.wildcard(family, port: bindPort)).get() }
  return socket
}

extension Socket {
  /// Every datagram that arrives until a receive times out.
  func receiveAll(size: Int = 2048) -> [[UInt8]] {
    var received: [[UInt8]] = []
    while case .success(let message) = recvfrom(size: size, flags: 0) { received.append(message.bytes) }
    return received
  }

  func setInt(level: Int32, name: Int32, _ value: Int32) throws {
    try setOption(level: level, name: name, value: value).get()
  }
}

func address(_ ip: String, _ port: UInt16) throws -> SocketAddress {
  guard let address = SocketAddress(ip: ip, port: port) else { throw TestFailure("bad address \(ip)") }
  return address
}

/// Network namespaces this process holds (through descriptors or threads),
/// as nsfs inode numbers: what keeps a namespace alive from here.
func heldNamespaces() -> Set<String> {
  var found = Set<String>()
  func scan(_ directory: String, link: (String) -> String) {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
    for entry in entries {
      if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link(entry)),
        target.hasPrefix("net:")
      {
        found.insert(target)
      }
    }
  }
  scan("/proc/self/fd") { "/proc/self/fd/\($0)" }
  scan("/proc/self/task") { "/proc/self/task/\($0)/ns/net" }
  return found
}

/// The host's own interfaces, as the host's sysfs shows them (read only).
func hostInterfaceNames() -> [String] {
  ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")) ?? []).sorted()
}

/// Polls `condition` for up to `seconds`.
func eventually(seconds: Double = 3, _ condition: () -> Bool) -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while Date() < deadline {
    if condition() { return true }
    usleep(20_000)
  }
  return condition()
}
