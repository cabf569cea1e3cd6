import Foundation
import NetDrillCapture
import NetDrillTestSupport
import Testing

@Suite("Capture values")
struct CaptureValueTests {
  /// What the defaults do, not what they are: the largest UDP datagram loopback carries (65,507 bytes of
  /// payload) is captured whole, and a capture with no filter sees it at all.
  @Test("the default configuration captures the largest UDP datagram whole", .privileged)
  func defaultsKeepLargestDatagram() async throws {
    let payload = [UInt8](repeating: 0x5A, count: 65_507)
    let packets = try await TestNamespace.run { namespaceFD in
      let collector = PacketCollector()
      let capture = try LiveCapture(
        targets: [CaptureTarget(host: "test", interface: "lo", namespaceFD: namespaceFD)],
        configuration: CaptureConfiguration(), sink: collector.append)
      let receiver = try UDPSocket()
      let port = try receiver.bindLoopback()
      try UDPSocket().send(payload, toPort: port)
      _ = try receiver.receive()
      _ = capture.stop()
      return collector.packets
    }
    let datagrams = packets.filter {
      if case .udp(_, _, let bytes) = PacketSummary(ethernetFrame: $0.data) { return bytes == payload }
      return false
    }
    #expect(datagrams.count == 1)
    let frame = try #require(datagrams.first)
    #expect(frame.data.count == 14 + 20 + 8 + payload.count, "Ethernet + IPv4 + UDP + payload, nothing cut")
    #expect(Int(frame.originalLength) == frame.data.count)
  }

  @Test("a target is named host/interface")
  func targetName() {
    #expect(
      CaptureTarget(host: "client", interface: "veth0", namespaceFD: 3).name == "client/veth0")
  }

  @Test("statistics round-trip through JSON")
  func statisticsCodable() throws {
    let stats = CaptureStatistics(
      name: "client/lo", linkType: 1, snapLength: 262_144, received: 10, dropped: 0,
      interfaceDropped: 0,
      delivered: 5, warnings: ["w"], readError: nil)
    let decoded = try JSONDecoder().decode(
      CaptureStatistics.self, from: JSONEncoder().encode(stats))
    #expect(decoded == stats)
  }

  @Test("error messages say what to do")
  func errorMessages() {
    let permission = CaptureError(
      kind: .permissionDenied, target: "host/lo", detail: "pcap_activate: permission denied",
      capability: "CAP_NET_RAW")
    #expect(
      permission.description.hasPrefix(
        "capture on host/lo needs CAP_NET_RAW: run as root or enable unprivileged user namespaces"))
    let namespace = CaptureError(
      kind: .permissionDenied, target: "host/lo", detail: "setns: EPERM",
      capability: "CAP_SYS_ADMIN")
    #expect(namespace.description.contains("CAP_SYS_ADMIN to enter the host's network namespace"))
    let missing = CaptureError(
      kind: .noSuchInterface, target: "host/veth9", detail: "No such device exists")
    #expect(missing.description.contains("no interface \"veth9\""))
    let filter = CaptureError(
      kind: .invalidFilter, target: "host/lo", detail: "syntax error", filter: "udp and")
    #expect(
      filter.description
        == "capture filter \"udp and\" on host/lo is not valid BPF (see pcap-filter(7)): syntax error"
    )
  }
}
