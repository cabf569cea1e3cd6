import Foundation
import NetDrillTestSupport
import Testing

/// Socket options no bundled scenario sets: each is set in the socket's `options`, read back with
/// getsockopt (so the value is proven to have reached the kernel), and expecting the kernel's default
/// instead makes the run fail with exit 1 (so the set value really differs from what the kernel would
/// have had anyway).
@Suite("Socket options reach the kernel", .privileged)
struct SocketOptionKeyTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let option: String
    let family: String
    let set: String
    let readBack: Int
    let kernelDefault: Int
    var testDescription: String { option }
  }

  static let cases: [Case] = [
    Case(option: "SO_KEEPALIVE", family: "ipv4", set: "true", readBack: 1, kernelDefault: 0),
    Case(option: "SO_PRIORITY", family: "ipv4", set: "5", readBack: 5, kernelDefault: 0),
    Case(option: "IP_MULTICAST_ALL", family: "ipv4", set: "false", readBack: 0, kernelDefault: 1),
    Case(option: "IPV6_MULTICAST_HOPS", family: "ipv6", set: "9", readBack: 9, kernelDefault: 1),
    Case(option: "IPV6_MULTICAST_LOOP", family: "ipv6", set: "false", readBack: 0, kernelDefault: 1),
    Case(option: "IPV6_UNICAST_HOPS", family: "ipv6", set: "17", readBack: 17, kernelDefault: 64),
  ]

  private func scenario(_ option: String, family: String, set: String, expect: Int) throws -> String {
    try temporaryScenario(
      """
      {"netdrill": 1, "name": "option-\(option)",
       "sockets": {"s": {"type": "udp", "family": "\(family)", "options": {"\(option)": \(set)}}},
       "steps": [{"getsockopt": "s", "option": "\(option)", "expect": {"value": \(expect)}}]}
      """)
  }

  @Test("set, read back, and a wrong expected value fails", arguments: cases)
  func readBack(_ option: Case) throws {
    let right = try Command.netdrill(
      [
        "run", "--color", "never",
        try scenario(option.option, family: option.family, set: option.set, expect: option.readBack),
      ])
    #expect(right.status == 0, "\(right.standardOutput)\(right.standardError)")
    let wrong = try Command.netdrill(
      [
        "run", "--color", "never",
        try scenario(option.option, family: option.family, set: option.set, expect: option.kernelDefault),
      ])
    #expect(wrong.status == 1, "\(wrong.standardOutput)\(wrong.standardError)")
    #expect(wrong.standardOutput.contains("actual value: \(option.readBack)"), "\(wrong.standardOutput)")
  }
}
