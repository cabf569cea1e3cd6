import NetDrillScenario
import NetDrillSockets
import Testing

/// Control messages, the whole extended error, and the hint for a "timeout" errno.
@Suite("ScenarioParser: control messages and extended errors")
struct ControlAndErrorParserTests {
  private func steps(_ steps: String, sockets: String = #""c": {"type": "udp"}"#) -> String {
    #"{"netdrill": 1, "name": "t", "sockets": {\#(sockets)}, "steps": [\#(steps)]}"#
  }

  private func parse(_ text: String) throws -> Scenario {
    try ScenarioParser.parse(data: Array(text.utf8), file: "t.json")
  }

  @Test("sendmsg control and recvmsg control_size and expected control decode in order")
  func decodesControl() throws {
    let scenario = try parse(
      steps(
        #"""
        {"sendmsg": "c", "to": "127.0.0.1:9", "data": "x",
         "control": {"IP_TTL": 5, "IP_PKTINFO": {"spec_dst": "127.0.0.2", "interface": "lo"}, "IP_TOS": 16}},
        {"recvmsg": "c", "control_size": 16,
         "expect": {"control": {"SO_RXQ_OVFL": 17, "SO_TIMESTAMPNS": "present", "IP_TTL": "absent",
                                "IP_PKTINFO": {"addr": "192.0.2.255", "ifindex": 2}}}}
        """#))
    guard case .send(let send) = scenario.steps[0].action, case .receive(let receive) = scenario.steps[1].action else {
      Issue.record("wrong actions")
      return
    }
    #expect(
      send.control == [
        ControlEntry(name: .IP_TTL, value: .integer(5)),
        ControlEntry(
          name: .IP_PKTINFO, value: .packetInfo(PacketInfo(specificDestination: "127.0.0.2", interface: "lo"))),
        ControlEntry(name: .IP_TOS, value: .integer(16)),
      ])
    #expect(receive.controlSize == 16)
    #expect(
      scenario.steps[1].expect?.control == [
        ControlEntry(name: .SO_RXQ_OVFL, value: .integer(17)),
        ControlEntry(name: .SO_TIMESTAMPNS, value: .present),
        ControlEntry(name: .IP_TTL, value: .absent),
        ControlEntry(name: .IP_PKTINFO, value: .packetInfo(PacketInfo(address: "192.0.2.255", interfaceIndex: 2))),
      ])
  }

  @Test("the options that enable control messages are settable by name")
  func enablingOptions() throws {
    let names = [
      "SO_RXQ_OVFL", "SO_TIMESTAMPNS", "IP_PKTINFO", "IP_RECVTTL", "IP_RECVTOS", "IPV6_RECVPKTINFO",
      "IPV6_RECVHOPLIMIT", "IPV6_RECVTCLASS",
    ]
    for name in names {
      #expect(SocketOptionName(name: name)?.settable == true, "\(name)")
    }
  }

  @Test(
    "malformed control messages are reported where they are",
    arguments: [
      (
        #"{"sendmsg": "c", "to": "127.0.0.1:9", "data": "x", "control": {"SO_RXQ_OVFL": 1}}"#,
        "$.steps[0].control.SO_RXQ_OVFL", "unknown key \"SO_RXQ_OVFL\" in sendmsg's control"
      ),
      (
        #"{"sendmsg": "c", "to": "127.0.0.1:9", "data": "x", "control": {"IP_TTL": "present"}}"#,
        "$.steps[0].control.IP_TTL", "IP_TTL takes an integer"
      ),
      (
        #"{"sendmsg": "c", "to": "127.0.0.1:9", "data": "x", "control": {"IP_TTL": 256}}"#,
        "$.steps[0].control.IP_TTL", "must be between 0 and 255"
      ),
      (
        #"{"recvmsg": "c", "expect": {"control": {"SO_TIMESTAMPNS": 5}}}"#,
        "$.steps[0].expect.control.SO_TIMESTAMPNS", "differs in every run"
      ),
      (
        #"{"recvmsg": "c", "expect": {"control": {"IP_PKTINFO": {"adr": "1.2.3.4"}}}}"#,
        "$.steps[0].expect.control.IP_PKTINFO.adr", "unknown key \"adr\" in IP_PKTINFO"
      ),
      (
        #"{"recvmsg": "c", "expect": {"control": {"IPV6_PKTINFO": {"addr": "1.2.3.4"}}}}"#,
        "$.steps[0].expect.control.IPV6_PKTINFO.addr", "expected an IPv6 address"
      ),
      (
        #"{"recvfrom": "c", "expect": {"control": {"IP_TTL": 64}}}"#,
        "$.steps[0].expect.control", "cannot be checked on a recvfrom step"
      ),
      (#"{"recvmsg": "c", "control_size": -1}"#, "$.steps[0].control_size", "must be between 0 and 65536"),
    ])
  func malformedControl(_ step: String, _ path: String, _ fragment: String) {
    let errors = TestSupport.errors(parsing: steps(step), file: "t.json")
    #expect(errors.first?.path == path, "\(errors)")
    #expect(errors.first?.message.contains(fragment) == true, "\(errors)")
  }

  @Test("extended_error takes info, data and an origin by number")
  func wholeExtendedError() throws {
    let scenario = try parse(
      steps(
        #"""
        {"recvmsg": "c", "flags": ["MSG_ERRQUEUE"],
         "expect": {"extended_error": {"origin": 2, "info": 1280, "data": 0}}}
        """#))
    #expect(scenario.steps[0].expect?.extendedError == ExtendedErrorExpectation(origin: "icmp", info: 1280, data: 0))
  }

  @Test("a wrong origin lists every valid name, whether a word or any other JSON value")
  func wrongOrigin() {
    for origin in [#""icmpv6""#, #""sideways""#, "true"] {
      let errors = TestSupport.errors(
        parsing: steps(
          #"{"recvmsg": "c", "flags": ["MSG_ERRQUEUE"], "expect": {"extended_error": {"origin": \#(origin)}}}"#))
      let message = errors.first?.message ?? ""
      #expect(errors.first?.path == "$.steps[0].expect.extended_error.origin")
      #expect(message.contains("none, local, icmp, icmp6, txstatus, zerocopy, txtime"), "\(message)")
      #expect(message.contains("or a number 0 to 255"), "\(message)")
    }
    let tooBig = TestSupport.errors(
      parsing: steps(#"{"recvmsg": "c", "flags": ["MSG_ERRQUEUE"], "expect": {"extended_error": {"origin": 256}}}"#))
    #expect(tooBig.first?.message.contains("must be between 0 and 255") == true)
  }

  @Test("\"error\": \"TIMEOUT\" points to EAGAIN, the kernel's answer at a bound, not ETIMEDOUT")
  func timeoutHint() {
    for word in ["TIMEOUT", "ETIMEOUT", "timed_out", "ETIMEDOUTT"] {
      let errors = TestSupport.errors(parsing: steps(#"{"recv": "c", "expect": {"error": "\#(word)"}}"#))
      #expect(errors.first?.suggestion == "EAGAIN", "\(word): \(errors)")
      #expect(errors.first?.message.contains("timed out") == true)
    }
    // A real errno stays valid, and an ordinary typo keeps its nearest spelling.
    #expect(TestSupport.errors(parsing: steps(#"{"recv": "c", "expect": {"error": "ETIMEDOUT"}}"#)).isEmpty)
    let typo = TestSupport.errors(parsing: steps(#"{"recv": "c", "expect": {"error": "ECONREFUSED"}}"#))
    #expect(typo.first?.suggestion == "ECONNREFUSED")
  }
}
