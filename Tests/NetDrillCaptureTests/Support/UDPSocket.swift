import Glibc

/// A UDP/IPv4 socket on 127.0.0.1 for tests; closed exactly once in deinit.
final class UDPSocket {
  let fd: Int32

  init() throws {
    fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    if fd < 0 { throw NamespaceTestError.errno("socket(AF_INET, SOCK_DGRAM)") }
  }

  deinit { close(fd) }

  /// Binds to 127.0.0.1 on an ephemeral port and returns the port.
  @discardableResult
  func bindLoopback() throws -> UInt16 {
    var address = Self.loopback(port: 0)
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    if bound != 0 { throw NamespaceTestError.errno("bind 127.0.0.1:0") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    if named != 0 { throw NamespaceTestError.errno("getsockname") }
    return UInt16(bigEndian: address.sin_port)
  }

  func connectLoopback(port: UInt16) throws {
    var address = Self.loopback(port: port)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    if connected != 0 { throw NamespaceTestError.errno("connect 127.0.0.1:\(port)") }
  }

  /// sendto 127.0.0.1:port. An unconnected socket never hears of the ICMP
  /// a closed port answers with, so every send succeeds.
  func send(_ payload: [UInt8], toPort port: UInt16) throws {
    var address = Self.loopback(port: port)
    let sent = payload.withUnsafeBytes { bytes in
      withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          sendto(
            fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
    }
    if sent != payload.count { throw NamespaceTestError.errno("sendto 127.0.0.1:\(port)") }
  }

  /// send on a connected socket; returns the errno on failure.
  func send(_ payload: [UInt8]) -> Int32? {
    let sent = payload.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    return sent == payload.count ? nil : errno
  }

  /// Blocking receive of one datagram (with a timeout so a test cannot hang).
  func receive(timeoutMilliseconds: Int32 = 2000) throws -> [UInt8] {
    var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&descriptor, 1, timeoutMilliseconds) == 1 else {
      throw NamespaceTestError("no datagram within \(timeoutMilliseconds) ms")
    }
    var buffer = [UInt8](repeating: 0, count: 65_536)
    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    if count < 0 { throw NamespaceTestError.errno("recv") }
    return Array(buffer.prefix(count))
  }

  private static func loopback(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
  }
}
