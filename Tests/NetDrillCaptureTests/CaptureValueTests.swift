import Foundation
import NetDrillCapture
import Testing

@Suite("Capture values")
struct CaptureValueTests {
  @Test("configuration defaults")
  func configurationDefaults() {
    let configuration = CaptureConfiguration()
    #expect(configuration.snapLength == 262_144)
    #expect(configuration.bufferBytes == 64 << 20)
    #expect(configuration.filter == nil)
    #expect(!configuration.immediateMode, "block mode: see CaptureConfiguration.immediateMode")
    #expect(configuration.blockTimeout == .milliseconds(10))
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
