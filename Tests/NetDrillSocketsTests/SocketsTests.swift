import Glibc
import NetDrillSockets
import Testing

@Suite("Errno names")
struct ErrnoTests {
  @Test(
    "names match the kernel's numbers",
    arguments: [
      ("ECONNREFUSED", ECONNREFUSED), ("EDESTADDRREQ", EDESTADDRREQ), ("ENOTCONN", ENOTCONN),
      ("EACCES", EACCES), ("EMSGSIZE", EMSGSIZE), ("EAGAIN", EAGAIN), ("EADDRINUSE", EADDRINUSE),
      ("ENETUNREACH", ENETUNREACH), ("ECONNRESET", ECONNRESET), ("EPIPE", EPIPE), ("EINVAL", EINVAL),
      ("EHOSTUNREACH", EHOSTUNREACH), ("EISCONN", EISCONN), ("EINPROGRESS", EINPROGRESS),
    ])
  func roundTrip(name: String, value: Int32) throws {
    let errno = try #require(Errno(name: name))
    #expect(errno.rawValue == value)
    #expect(errno.name == name)
    #expect(!errno.message.isEmpty)
  }

  @Test("aliases parse to their canonical errno")
  func aliases() {
    #expect(Errno(name: "EWOULDBLOCK")?.name == "EAGAIN")
    #expect(Errno(name: "EDEADLOCK")?.name == "EDEADLK")
  }

  @Test("unknown names are refused; unknown numbers still print")
  func unknown() {
    #expect(Errno(name: "ECONREFUSED") == nil)
    #expect(Errno(name: "econnrefused") == nil)
    #expect(Errno(rawValue: 9999).name == "E9999")
  }

  @Test("every listed name parses")
  func allNamesParse() {
    #expect(Errno.allNames.count > 130)
    #expect(Errno.allNames.allSatisfy { Errno(name: $0) != nil })
  }

  @Test("a failing real call reports its errno by name")
  func realCall() {
    let result = syscall { Glibc.close(-1) }
    #expect(result == .failure(Errno(name: "EBADF")!))
  }
}

@Suite("Socket addresses")
struct SocketAddressTests {
  @Test(
    "IPv4 and IPv6 literals parse and print in standard form",
    arguments: [
      ("127.0.0.1", UInt16(9), "127.0.0.1:9"),
      ("::1", 9, "[::1]:9"),
      ("2001:db8:0:0:0:0:0:1", 53, "[2001:db8::1]:53"),
      ("0.0.0.0", 0, "0.0.0.0:0"),
    ])
  func parse(ip: String, port: UInt16, text: String) throws {
    let address = try #require(SocketAddress(ip: ip, port: port))
    #expect(address.description == text)
  }

  @Test("non-addresses are refused", arguments: ["localhost", "256.0.0.1", "1.2.3", "[::1]", ""])
  func refuse(text: String) {
    #expect(SocketAddress(ip: text, port: 1) == nil)
  }

  @Test("sockaddr round trip keeps family, address and port")
  func sockaddrRoundTrip() throws {
    for address in [SocketAddress.loopback(.ipv4, port: 4242), .loopback(.ipv6, port: 65535), .wildcard(.ipv6)] {
      var storage = sockaddr_storage()
      let length = address.fill(&storage)
      let back = withUnsafeBytes(of: &storage) { SocketAddress($0.baseAddress!, length: length) }
      #expect(back == address)
    }
  }

  @Test("a real bind reports its address through getsockname")
  func realBind() throws {
    let socket = try Socket.open(family: .ipv4, stream: false).get()
    try socket.bind(.loopback(.ipv4, port: 0)).get()
    let bound = try #require(try socket.localAddress().get())
    #expect(bound.ipText == "127.0.0.1")
    #expect(bound.port != 0)
  }
}
