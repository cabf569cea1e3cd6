import Foundation
import Glibc
import NetDrillNetwork
import NetDrillSockets
import NetDrillTestSupport
import Testing

/// Real private networks: namespaces, veths, bridges, routes and faults,
/// checked with real sockets. Serialized: the teardown tests compare what the
/// whole process holds before and after.
@Suite("Private networks", .serialized, .privileged)
struct PrivateNetworkTests {
  static let pair = TopologySpec(
    hosts: [HostSpec(name: "a"), HostSpec(name: "b")], links: [LinkSpec(name: "ab", hosts: ["a", "b"])])

  static let routed = TopologySpec(
    hosts: [HostSpec(name: "a"), HostSpec(name: "r", forwarding: true), HostSpec(name: "b")],
    links: [LinkSpec(name: "ar", hosts: ["a", "r"]), LinkSpec(name: "rb", hosts: ["r", "b"])],
    routes: [
      RouteSpec(host: "a", destination: "default", via: "192.0.2.2"),
      RouteSpec(host: "b", destination: "default", via: "198.51.100.1"),
      RouteSpec(host: "a", destination: "default", via: "2001:db8:1::2"),
      RouteSpec(host: "b", destination: "default", via: "2001:db8:2::1"),
    ])

  /// Sends `payload` from `from` to `to`'s address on `link` and returns what `to` received.
  /// IPv6 deliveries use their own port: a dual-stack bind of [::]:4000 right
  /// after an IPv4 socket on 0.0.0.0:4000 closed was seen to fail with EADDRINUSE.
  static func deliver(
    _ network: PrivateNetwork, from: String, to: String, link: String, family: SocketAddress.Family = .ipv4,
    payload: String = "hello", port: UInt16 = 4000
  ) throws -> [String] {
    let sender = try network.require(from)
    let receiver = try network.require(to)
    let destination = family == .ipv4 ? try receiver.ipv4(link) : try receiver.ipv6(link)
    return try TopologyTest.onThread {
      try receiver.enter()
      let inbox = try udpSocket(family, bindPort: port)
      try sender.enter()
      let outbox = try udpSocket(family)
      _ = try outbox.sendto(Array(payload.utf8), flags: 0, to: address(destination, port)).get()
      return inbox.receiveAll().map { String(decoding: $0, as: UTF8.self) }
    }
  }

  @Test("two hosts on a veth get the planned addresses and exchange UDP over IPv4 and IPv6")
  func twoHosts() throws {
    let network = try TopologyTest.build(Self.pair)
    let a = try network.require("a")
    let b = try network.require("b")
    #expect(
      a.interfaces == [
        HostInterface(
          name: "eth0", link: "ab", ipv4: "192.0.2.1", ipv4Prefix: 24, ipv6: "2001:db8:1::1", ipv6Prefix: 64,
          mtu: 1500, broadcast: "192.0.2.255")
      ])
    #expect(b.interfaces.map(\.ipv4) == ["192.0.2.2"])
    #expect(b.interfaces.map(\.ipv6) == ["2001:db8:1::2"])

    let addresses = try network.run(["ip", "-o", "addr", "show", "dev", "eth0"], in: "a")
    #expect(addresses.contains("inet 192.0.2.1/24 brd 192.0.2.255"))
    #expect(addresses.contains("inet6 2001:db8:1::1/64"))
    #expect(try network.run(["ip", "-o", "link", "show", "lo"], in: "b").contains("LOWER_UP"))

    #expect(try Self.deliver(network, from: "a", to: "b", link: "ab") == ["hello"])
    #expect(
      try Self.deliver(network, from: "b", to: "a", link: "ab", family: .ipv6, payload: "v6", port: 4001) == ["v6"])

    #expect(network.addressNames["192.0.2.2"] == "b/eth0")
    #expect(network.addressNames["2001:db8:1::1"] == "a/eth0")
    let targets = network.captureTargets.map { "\($0.host)/\($0.interface)" }
    #expect(targets == ["a/lo", "a/eth0", "b/lo", "b/eth0"])
    #expect(network.captureTargets.first?.namespaceFD == a.namespace.descriptor)
  }

  @Test("build leaves the calling thread in the first host's namespace")
  func callerEndsInFirstHost() throws {
    try Privileges.require()
    let same = try IsolatedThread.run(name: "build", timeout: .seconds(60)) { () throws -> Bool in
      let network = try PrivateNetwork.build(Self.pair)
      var expected = stat()
      var actual = stat()
      fstat(network.hosts[0].namespace.descriptor, &expected)
      stat("/proc/thread-self/ns/net", &actual)
      return expected.st_ino == actual.st_ino
    }
    #expect(same)
  }

  @Test("three hosts on a bridge: broadcast reaches both others, and needs SO_BROADCAST")
  func lanBroadcast() throws {
    let network = try TopologyTest.build(
      TopologySpec(
        hosts: [HostSpec(name: "a"), HostSpec(name: "b"), HostSpec(name: "c")],
        links: [LinkSpec(name: "lan", hosts: ["a", "b", "c"])]))
    let (a, b, c) = (try network.require("a"), try network.require("b"), try network.require("c"))
    #expect(c.interfaces.first?.ipv4 == "192.0.2.3")
    #expect(c.interfaces.first?.broadcast == "192.0.2.255")
    // The bridge lives in its own namespace, which has no capture targets.
    #expect(try network.run(["ip", "-o", "link", "show", "br0"], in: "link-lan").contains("UP"))
    #expect(!network.captureTargets.contains { $0.host.hasPrefix("link-") })

    let (refused, received) = try TopologyTest.onThread { () throws -> (Errno?, [[String]]) in
      try b.enter()
      let inboxB = try udpSocket(bindPort: 5000)
      try c.enter()
      let inboxC = try udpSocket(bindPort: 5000)
      try a.enter()
      let sender = try udpSocket()
      let broadcast = try address("192.0.2.255", 5000)
      var refused: Errno?
      if case .failure(let error) = sender.sendto(Array("no".utf8), flags: 0, to: broadcast) { refused = error }
      try sender.setInt(level: SOL_SOCKET, name: SO_BROADCAST, 1)
      _ = try sender.sendto(Array("all".utf8), flags: 0, to: broadcast).get()
      return (refused, [inboxB, inboxC].map { $0.receiveAll().map { String(decoding: $0, as: UTF8.self) } })
    }
    #expect(refused == Errno(rawValue: EACCES))
    #expect(received == [["all"], ["all"]])

    try network.setMTU("lan", mtu: 1400)
    #expect(c.interfaces.first?.mtu == 1400)
    #expect(try network.run(["ip", "-o", "link", "show", "br0"], in: "link-lan").contains("mtu 1400"))
    #expect(try network.run(["ip", "-o", "link", "show", "eth0"], in: "b").contains("mtu 1400"))
  }

  @Test("a router forwards between its links; a reject fault there sends ICMP host unreachable")
  func routerAndHostUnreachable() throws {
    let network = try TopologyTest.build(Self.routed)
    #expect(
      try network.run(["sysctl", "-n", "net.ipv4.ip_forward"], in: "r").trimmingCharacters(in: .whitespacesAndNewlines)
        == "1")
    #expect(
      try network.run(["sysctl", "-n", "net.ipv4.ip_forward"], in: "a").trimmingCharacters(in: .whitespacesAndNewlines)
        == "0")
    #expect(try Self.deliver(network, from: "a", to: "b", link: "rb") == ["hello"])
    #expect(
      try Self.deliver(network, from: "a", to: "b", link: "rb", family: .ipv6, payload: "v6", port: 4001) == ["v6"])

    let fault = Fault(host: "r", direction: .forward, protocolName: "udp", action: .reject(icmp: "host-unreachable"))
    try network.apply(fault)
    #expect(try network.run(["nft", "list", "table", "inet", "netdrill"], in: "r").contains("reject"))
    let a = try network.require("a")
    let target = try address(try network.require("b").ipv4("rb"), 4000)
    let routerOnA = try network.require("r").ipv4("ar")
    let (nextSend, queued) = try TopologyTest.onThread { () throws -> (Result<Int, Errno>, ReceivedMessage) in
      try a.enter()
      let socket = try udpSocket()
      try socket.setInt(level: Int32(IPPROTO_IP), name: IP_RECVERR, 1)
      try socket.connect(target).get()
      _ = try socket.send(Array("first".utf8), flags: 0).get()
      _ = try socket.poll(events: Int16(POLLERR), timeoutMilliseconds: 2000).get()
      // The stored error comes back on the next call, once (udp_err: with
      // IP_RECVERR even a non-fatal ICMP error sets sk_err) ...
      let next = socket.send(Array("second".utf8), flags: 0)
      // ... and the error queue holds the ICMP details.
      return (next, try socket.recvmsg(size: 512, flags: Int32(MSG_ERRQUEUE)).get())
    }
    #expect(nextSend == .failure(Errno(rawValue: EHOSTUNREACH)))
    #expect(queued.bytes == Array("first".utf8))
    let error = try #require(queued.extendedError)
    #expect(error.errno == Errno(rawValue: EHOSTUNREACH))
    #expect(error.origin == 2)  // SO_EE_ORIGIN_ICMP
    #expect(error.type == 3)  // destination unreachable
    #expect(error.code == 1)  // host unreachable
    #expect(error.offender?.ipText == routerOnA)

    try network.remove(fault)
    #expect(!(try network.run(["nft", "list", "table", "inet", "netdrill"], in: "r").contains("reject")))
    #expect(try Self.deliver(network, from: "a", to: "b", link: "rb") == ["hello"])
  }

  @Test("link MTU 1280: 1400 bytes with IP_PMTUDISC_DO fail with EMSGSIZE; setMTU lifts it")
  func pathMTU() throws {
    let network = try TopologyTest.build(
      TopologySpec(
        hosts: [HostSpec(name: "a"), HostSpec(name: "b")], links: [LinkSpec(name: "ab", hosts: ["a", "b"], mtu: 1280)]))
    let a = try network.require("a")
    #expect(a.interfaces.first?.mtu == 1280)
    #expect(try network.run(["ip", "-o", "link", "show", "eth0"], in: "b").contains("mtu 1280"))
    let target = try address(try network.require("b").ipv4("ab"), 4000)
    let send1400: @Sendable () throws -> Result<Int, Errno> = {
      try TopologyTest.onThread {
        try a.enter()
        let socket = try udpSocket()
        try socket.setInt(level: Int32(IPPROTO_IP), name: IP_MTU_DISCOVER, IP_PMTUDISC_DO)
        return socket.sendto([UInt8](repeating: 7, count: 1400), flags: 0, to: target)
      }
    }
    #expect(try send1400() == .failure(Errno(rawValue: EMSGSIZE)))
    try network.setMTU("ab", mtu: 1500)
    #expect(a.interfaces.first?.mtu == 1500)
    #expect(try send1400() == .success(1400))
  }

  @Test("dropEveryNth(2) on the receiver drops the 2nd, 4th, ... datagram: 5 of 10 arrive")
  func dropEveryNth() throws {
    let network = try TopologyTest.build(Self.pair)
    let fault = Fault(
      host: "b", link: "ab", direction: .input, protocolName: "udp", port: 4000, action: .dropEveryNth(2))
    try network.apply(fault)
    let (a, b) = (try network.require("a"), try network.require("b"))
    let target = try address(try b.ipv4("ab"), 4000)
    let burst: @Sendable () throws -> [[UInt8]] = {
      try TopologyTest.onThread {
        try b.enter()
        let inbox = try udpSocket(bindPort: 4000, timeoutMilliseconds: 300)
        try a.enter()
        let outbox = try udpSocket()
        for sequence in 0..<10 { _ = try outbox.sendto([UInt8(sequence)], flags: 0, to: target).get() }
        return inbox.receiveAll()
      }
    }
    #expect(try burst() == [[0], [2], [4], [6], [8]])
    try network.remove(fault)
    #expect(try burst().count == 10)
    #expect(throws: TopologyError.self) { try network.remove(fault) }

    // Random loss at 100% loses everything (below that it is not reproducible).
    let random = Fault(host: "b", direction: .input, protocolName: "udp", action: .dropRandomPercent(100))
    try network.apply(random)
    #expect(try burst().isEmpty)
    try network.remove(random)
    #expect(!(try network.run(["nft", "list", "table", "inet", "netdrill"], in: "b").contains("drop")))
    let some = Fault(host: "b", direction: .input, protocolName: "udp", action: .dropRandomPercent(50))
    try network.apply(some)
    #expect(
      try network.run(["nft", "list", "table", "inet", "netdrill"], in: "b").contains("numgen random mod 100 < 50"))
    try network.remove(some)
  }

  @Test("rateLimit installs a tbf root qdisc and removes it; input direction is refused")
  func rateLimit() throws {
    let network = try TopologyTest.build(Self.pair)
    let fault = Fault(
      host: "a", link: "ab", direction: .output, action: .rateLimit(rate: "1mbit", burst: "32kb", latency: "50ms"))
    try network.apply(fault)
    #expect(try network.run(["tc", "qdisc", "show", "dev", "eth0"], in: "a").contains("qdisc tbf"))
    #expect(try Self.deliver(network, from: "a", to: "b", link: "ab") == ["hello"])
    try network.remove(fault)
    #expect(!(try network.run(["tc", "qdisc", "show", "dev", "eth0"], in: "a").contains("tbf")))

    var input = fault
    input.direction = .input
    #expect(throws: TopologyError.self) { try network.apply(input) }
  }

  @Test("delay needs netem: a clear error where the kernel lacks it, a netem qdisc where it has it")
  func delay() throws {
    let network = try TopologyTest.build(Self.pair)
    let fault = Fault(host: "a", link: "ab", direction: .output, action: .delay("20ms"))
    do {
      try network.apply(fault)
      #expect(try network.run(["tc", "qdisc", "show", "dev", "eth0"], in: "a").contains("netem"))
      try network.remove(fault)
    } catch let error {
      guard case .missingKernelFeature(let feature, _) = error else {
        Issue.record("expected missingKernelFeature, got \(error)")
        return
      }
      #expect(feature == "netem")
      #expect(
        error.description
          == "netem: netem (delay, jitter, reordering) needs the sch_netem kernel module, which this kernel does not have (tc: Specified qdisc kind is unknown); use rate limiting (tbf) or nft loss instead"
      )
      // Nothing half-applied: the interface keeps its default qdisc and the fault is not recorded.
      #expect(!(try network.run(["tc", "qdisc", "show", "dev", "eth0"], in: "a").contains("netem")))
      #expect(throws: TopologyError.self) { try network.remove(fault) }
    }
  }

  @Test("setLink down: sendto fails with ENETUNREACH; up: delivery works again over IPv4 and IPv6")
  func linkDownAndUp() throws {
    let network = try TopologyTest.build(Self.routed)
    let a = try network.require("a")
    let target = try address(try network.require("b").ipv4("rb"), 4000)
    try network.setLink("ar", host: "a", up: false)
    #expect(!(try network.run(["ip", "-o", "link", "show", "eth0"], in: "a").contains(",UP")))
    let whileDown = try TopologyTest.onThread {
      try a.enter()
      return try udpSocket().sendto(Array("x".utf8), flags: 0, to: target)
    }
    // The kernel flushed the connected and the default route with the link.
    #expect(whileDown == .failure(Errno(rawValue: ENETUNREACH)))
    try network.setLink("ar", host: nil, up: false)
    try network.setLink("ar", host: nil, up: true)
    #expect(try Self.deliver(network, from: "a", to: "b", link: "rb") == ["hello"])
    #expect(
      try Self.deliver(network, from: "a", to: "b", link: "rb", family: .ipv6, payload: "v6", port: 4001) == ["v6"])
  }

  @Test("released networks and failed builds leave nothing behind")
  func teardown() throws {
    try Privileges.require()
    let interfacesBefore = hostInterfaceNames()
    let forwardingBefore = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8)
    // Other suites run in this process at the same time and hold namespaces of
    // their own: follow exactly the namespaces this network made.
    var made: Set<String> = []
    do {
      let network = try TopologyTest.build(
        TopologySpec(
          hosts: [
            HostSpec(name: "a"), HostSpec(name: "r", forwarding: true), HostSpec(name: "b"), HostSpec(name: "c"),
          ],
          links: [LinkSpec(name: "lan", hosts: ["a", "b", "r"]), LinkSpec(name: "wan", hosts: ["r", "c"])]))
      try network.apply(Fault(host: "r", direction: .forward, action: .drop))
      try network.apply(
        Fault(
          host: "c", link: "wan", direction: .output, action: .rateLimit(rate: "1mbit", burst: "32kb", latency: "50ms"))
      )
      for host in network.hosts {
        if let target = try? FileManager.default.destinationOfSymbolicLink(
          atPath: "/proc/self/fd/\(host.namespace.descriptor)")
        {
          made.insert(target)
        }
      }
      #expect(made.count == 4)
      #expect(heldNamespaces().isSuperset(of: made))
    }
    #expect(eventually { heldNamespaces().isDisjoint(with: made) })

    // Fails midway: the route duplicates the connected route (RTNETLINK: File exists).
    let failing = TopologySpec(
      hosts: [HostSpec(name: "a"), HostSpec(name: "b")], links: [LinkSpec(name: "ab", hosts: ["a", "b"])],
      routes: [RouteSpec(host: "b", destination: "192.0.2.0/24", via: "192.0.2.1")])
    let thrown = try IsolatedThread.run(name: "failing build", timeout: .seconds(60)) { () -> String in
      var before = stat()
      stat("/proc/thread-self/ns/net", &before)
      do {
        _ = try PrivateNetwork.build(failing)
        return "built"
      } catch {
        var after = stat()
        stat("/proc/thread-self/ns/net", &after)
        // The thread is back where it started, holding nothing of the failed network.
        return before.st_ino == after.st_ino ? "\(error)" : "thread left in another namespace: \(error)"
      }
    }
    #expect(thrown.contains("route add 192.0.2.0/24 via 192.0.2.1"))
    #expect(thrown.contains("File exists"))

    // Fails before anything is made.
    var badSubnet = Self.pair
    badSubnet.links[0].ipv4Subnet = "192.0.2.0/33"
    #expect(throws: TopologyError.self) { _ = try TopologyTest.build(badSubnet) }

    #expect(hostInterfaceNames() == interfacesBefore)
    #expect(try String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8) == forwardingBefore)
  }
}
