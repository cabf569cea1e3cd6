import Foundation
import NetDrillEngine
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// Every new expectation does something: each bundled scenario passes as
/// written, and a wrong expected value (or a missing control message on the
/// sending side) makes the run fail on exactly that check.
@Suite(
  "Engine: control messages and extended errors, mutated",
  .privileged)
struct ControlMessageMutationTests {
  /// (scenario, text to replace, replacement, the checks that must fail, `|`-separated)
  static let mutations: [(String, String, String, String)] = [
    ("udp/receive-buffer-overflow-drop-counter", #""SO_RXQ_OVFL": 17"#, #""SO_RXQ_OVFL": 16"#, "control.SO_RXQ_OVFL"),
    (
      "udp/receive-buffer-overflow-drop-counter", #""SO_RXQ_OVFL": "absent""#, #""SO_RXQ_OVFL": "present""#,
      "control.SO_RXQ_OVFL"
    ),
    (
      "udp/sendmsg-control-source-ttl-tos", #""IP_TTL": 7, "IP_TOS": 16, "SO_TIMESTAMPNS""#,
      #""IP_TTL": 8, "IP_TOS": 16, "SO_TIMESTAMPNS""#, "control.IP_TTL"
    ),
    (
      "udp/sendmsg-control-source-ttl-tos", #""IP_TTL": 7, "IP_TOS": 16, "SO_TIMESTAMPNS""#,
      #""IP_TTL": 7, "IP_TOS": 8, "SO_TIMESTAMPNS""#, "control.IP_TOS"
    ),
    (
      "udp/sendmsg-control-source-ttl-tos", #""SO_TIMESTAMPNS": "present""#, #""SO_TIMESTAMPNS": "absent""#,
      "control.SO_TIMESTAMPNS"
    ),
    (
      "udp/sendmsg-control-source-ttl-tos", #""addr": "127.0.0.1", "spec_dst""#, #""addr": "127.0.0.2", "spec_dst""#,
      "control.IP_PKTINFO"
    ),
    (
      "udp/sendmsg-control-source-ttl-tos", #""spec_dst": "127.0.0.1", "interface": "lo""#,
      #""spec_dst": "127.0.0.1", "ifindex": 2"#, "control.IP_PKTINFO"
    ),
    (
      "udp/sendmsg-control-source-ttl-tos", #""IPV6_HOPLIMIT": 3, "IPV6_TCLASS": 32 } }"#,
      #""IPV6_HOPLIMIT": 4, "IPV6_TCLASS": 32 } }"#, "control.IPV6_HOPLIMIT"
    ),
    (
      "udp/sendmsg-control-source-ttl-tos", #""IPV6_HOPLIMIT": 3, "IPV6_TCLASS": 32 } }"#,
      #""IPV6_HOPLIMIT": 3, "IPV6_TCLASS": 0 } }"#, "control.IPV6_TCLASS"
    ),
    ("udp/sendmsg-control-source-ttl-tos", #""addr": "::1""#, #""addr": "::2""#, "control.IPV6_PKTINFO"),
    // The sending side: without its control messages the datagram has the socket's defaults.
    (
      "udp/sendmsg-control-source-ttl-tos",
      #", "control": { "IP_PKTINFO": { "spec_dst": "127.0.0.2" }, "IP_TTL": 7, "IP_TOS": 16 }"#,
      "", "from|control.IP_TTL|control.IP_TOS"
    ),
    ("udp/sendmsg-control-source-ttl-tos", #""control_size": 16"#, #""control_size": 512"#, "flags"),
    ("network/broadcast-pktinfo-lan", #""addr": "192.0.2.255""#, #""addr": "192.0.2.2""#, "control.IP_PKTINFO"),
    (
      "network/broadcast-pktinfo-lan", #""192.0.2.255", "spec_dst": "192.0.2.2", "interface": "eth0""#,
      #""192.0.2.255", "spec_dst": "192.0.2.2", "interface": "eth1""#, "control.IP_PKTINFO"
    ),
    ("network/pmtu-frag-needed-info", #""info": 1280"#, #""info": 1400"#, "extended_error.info"),
    ("network/pmtu-frag-needed-info", #""data": 0"#, #""data": 1"#, "extended_error.data"),
    ("udp/recverr-error-queue", #""origin": "icmp""#, #""origin": 3"#, "extended_error.origin"),
    (
      "tcp/own-rcvtimeo-unchanged", #""SO_RCVTIMEO", "expect": { "value": "5s" }"#,
      #""SO_RCVTIMEO", "expect": { "value": "300ms" }"#, "value"
    ),
  ]

  @Test("an origin given by number passes like its name")
  func originByNumber() throws {
    let text = try BundledScenarioMutation.source("udp/recverr-error-queue").replacingOccurrences(
      of: #""origin": "icmp""#, with: #""origin": 2"#)
    #expect(try BundledScenarioMutation.run(text).passed)
  }

  @Test("a wrong expected value fails the run on that check", arguments: 0..<mutations.count)
  func mutationFails(_ index: Int) throws {
    let (scenario, original, replacement, field) = Self.mutations[index]
    try BundledScenarioMutation.expectFails(scenario, replacing: original, with: replacement, on: field)
  }

  @Test("a wrong expectation exits 1 from the command line")
  func exitStatus() throws {
    let text = try BundledScenarioMutation.source("udp/receive-buffer-overflow-drop-counter").replacingOccurrences(
      of: #""SO_RXQ_OVFL": 17"#, with: #""SO_RXQ_OVFL": 18"#)
    let path = try temporaryScenario(text, name: "ovfl")
    let result = try Command.netdrill(["run", path])
    #expect(result.status == 1)
    #expect(result.standardOutput.contains("expected control.SO_RXQ_OVFL: SO_RXQ_OVFL 18"))
    #expect(result.standardOutput.contains("actual control.SO_RXQ_OVFL: SO_RXQ_OVFL 17"))
  }
}
