import Testing

@testable import NetDrillScenario

/// `inject` steps: what they decode to, and every bad combination refused
/// with its line:column, JSON path and what was expected.
@Suite("ScenarioParser: inject steps")
struct InjectParserTests {
  // Columns worked out from the step text (the offset of the offending value), not from the parser.
  static let cases: [MalformedCase] = [
    .init(
      "an unknown inject kind",
      step: #"{"inject": "arp"}"#,
      at: (4, 12), path: "$.steps[0].inject", "unknown inject kind \"arp\""),
    .init(
      "an ICMP error quoting a step that sent nothing",
      step: #"{"bind": "client"}, {"inject": "icmp", "error": "port-unreachable", "quoting": 1}"#,
      at: (4, 80), path: "$.steps[1].quoting", "step 1 sends no datagram for an ICMP error to quote"),
    .init(
      "an ICMP error quoting a later step",
      step: #"{"inject": "icmp", "error": "port-unreachable", "quoting": 2}, {"send": "client", "data": "x"}"#,
      at: (4, 60), path: "$.steps[0].quoting", "step 2 does not come before this one"),
    .init(
      "an ICMP error quoting a TCP send",
      step: #"{"send": "server", "data": "x"}, {"inject": "icmp", "error": "host-unreachable", "quoting": 1}"#,
      at: (4, 93), path: "$.steps[1].quoting", "which is not a UDP socket"),
    .init(
      "an MTU on a port unreachable",
      step:
        #"{"send": "client", "data": "x"}, {"inject": "icmp", "error": "port-unreachable", "quoting": 1, "mtu": 1200}"#,
      at: (4, 103), path: "$.steps[1].mtu", "belongs to a frag-needed error only"),
    .init(
      "a misspelled ICMP error",
      step: #"{"send": "client", "data": "x"}, {"inject": "icmp", "error": "host-unreachabel", "quoting": 1}"#,
      at: (4, 62), path: "$.steps[1].error", "unknown ICMP error \"host-unreachabel\"",
      suggestion: "host-unreachable"),
    .init(
      "an ICMP offender that is not an IP address",
      step:
        #"{"send": "client", "data": "x"}, {"inject": "icmp", "error": "time-exceeded", "quoting": 1, "from": "router"}"#,
      at: (4, 101), path: "$.steps[1].from", "expected the IP address of the node sending the error"),
    .init(
      "a key of another inject kind",
      step: #"{"inject": "udp", "from": "192.0.2.7:9", "to": "client", "data": "x", "flags": ["RST"]}"#,
      at: (4, 71), path: "$.steps[0].flags", "does not apply to an inject of udp (it is used by inject tcp)"),
    .init(
      "a TCP inject without a connection",
      step: #"{"inject": "tcp", "flags": ["RST"]}"#,
      at: (4, 1), path: "$.steps[0]", "an inject of tcp needs \"into\""),
    .init(
      "an injected datagram from one of the sockets",
      step: #"{"inject": "udp", "from": "client", "to": "client", "data": "x"}"#,
      at: (4, 27), path: "$.steps[0].from", "comes from a peer that is not one of the scenario's sockets"),
    .init(
      "a TCP segment into a UDP socket",
      step: #"{"inject": "tcp", "into": "client", "flags": ["RST"]}"#,
      at: (4, 27), path: "$.steps[0].into", "is not a TCP socket"),
    .init(
      "an unknown TCP flag",
      step: #"{"inject": "tcp", "into": "server", "flags": ["RTS"]}"#,
      at: (4, 47), path: "$.steps[0].flags[0]", "unknown TCP flag \"RTS\"", suggestion: "RST"),
    .init(
      "a TCP segment without flags",
      step: #"{"inject": "tcp", "into": "server", "flags": []}"#,
      at: (4, 46), path: "$.steps[0].flags", "needs at least one flag"),
    .init(
      "a sequence offset beyond half the sequence space",
      step: #"{"inject": "tcp", "into": "server", "flags": ["ACK"], "seq": 4294967296}"#,
      at: (4, 62), path: "$.steps[0].seq", "2147483647"),
    .init(
      "an ICMP error quoting an unknown step id",
      step:
        #"{"send": "client", "data": "x", "id": "probe"}, {"inject": "icmp", "error": "port-unreachable", "quoting": "prob"}"#,
      at: (4, 108), path: "$.steps[1].quoting", "no step has the id \"prob\"", suggestion: "probe"),
    .init(
      "an ICMP error quoting the id of a later step",
      step:
        #"{"inject": "icmp", "error": "port-unreachable", "quoting": "later"}, {"send": "client", "data": "x", "id": "later"}"#,
      at: (4, 60), path: "$.steps[0].quoting", "step \"later\" is not before this one"),
    .init(
      "an ICMP error quoting the id of a step that sent nothing",
      step: #"{"bind": "client", "id": "bound"}, {"inject": "icmp", "error": "port-unreachable", "quoting": "bound"}"#,
      at: (4, 95), path: "$.steps[1].quoting", "step \"bound\" sends no datagram for an ICMP error to quote"),
    .init(
      "an ICMP error quoting the id of a send inside a repeat",
      step:
        #"{"repeat": {"count": 2}, "steps": [{"send": "client", "data": "x", "id": "inner"}]}, {"inject": "icmp", "error": "port-unreachable", "quoting": "inner"}"#,
      at: (4, 145), path: "$.steps[1].quoting", "step \"inner\" is inside a repeat"),
    .init(
      "an ICMP error quoting neither a number nor an id",
      step: #"{"send": "client", "data": "x"}, {"inject": "icmp", "error": "port-unreachable", "quoting": true}"#,
      at: (4, 93), path: "$.steps[1].quoting", "expected the number of an earlier step (3, as #3 in reports) or its id"),
    .init(
      "a timeout on an inject step",
      step: #"{"inject": "udp", "from": "192.0.2.7:9", "to": "client", "data": "x", "timeout": "1s"}"#,
      at: (4, 71), path: "$.steps[0].timeout", "makes no call"),
  ]

  @Test(arguments: cases)
  func malformedInject(_ testCase: MalformedCase) throws {
    try testCase.expectRefused()
  }

  @Test func eachKindDecodesWithItsDefaults() throws {
    let text = MalformedCase.scenario(
      steps: """
        {"send": "client", "data": "abc"},
        {"inject": "udp", "from": "192.0.2.7:5353", "to": "client", "data": "hi"},
        {"inject": "icmp", "error": "frag-needed", "quoting": 1, "mtu": 1200, "from": "192.0.2.1"},
        {"inject": "icmp", "error": "port-unreachable", "quoting": 1},
        {"inject": "tcp", "into": "server", "flags": ["RST", "ACK"], "seq": -1, "ack": 5, "data": "x"},
        {"inject": "tcp", "into": "server", "flags": ["FIN"]}
        """)
    let scenario = try ScenarioParser.parse(data: Array(text.utf8), file: "inject.json")
    let injects = scenario.steps.compactMap { step -> InjectStep? in
      if case .inject(let inject) = step.action { return inject }
      return nil
    }
    #expect(scenario.steps.dropFirst().allSatisfy { $0.action.verb == .inject })
    #expect(
      injects.map(\.packet) == [
        .udp(from: .literal(host: "192.0.2.7", port: .number(5353)), to: .named("client"), data: .text("hi")),
        .icmp(.fragNeeded, quoting: 0, offender: "192.0.2.1", mtu: 1200),
        .icmp(.portUnreachable, quoting: 0, offender: nil, mtu: nil),
        .tcp(into: "server", flags: [.RST, .ACK], seq: -1, ack: 5, window: 65535, data: .text("x")),
        .tcp(into: "server", flags: [.FIN], seq: 0, ack: 0, window: 65535, data: nil),
      ])
    #expect(injects.allSatisfy { $0.host == nil })
  }

  @Test("quoting takes an earlier step's id as well as its number; an inject step may have an id")
  func quotingByID() throws {
    let text = MalformedCase.template.replacingOccurrences(
      of: "STEPS",
      with: """
        {"bind": "client", "address": "127.0.0.1:0"},
        {"send": "client", "data": "abc", "id": "probe"},
        {"inject": "icmp", "error": "host-unreachable", "quoting": "probe", "id": "refusal"},
        {"inject": "udp", "from": "192.0.2.7:5353", "to": "client", "data": "hi", "id": "spoof"}
        """)
    let scenario = try ScenarioParser.parse(data: Array(text.utf8), file: "inject.json")
    guard case .inject(let inject) = scenario.steps[2].action else {
      Issue.record("step 3 is not an inject: \(scenario.steps[2].action)")
      return
    }
    #expect(inject.packet == .icmp(.hostUnreachable, quoting: 1, offender: nil, mtu: nil))
    #expect(scenario.steps[2].id == "refusal" && scenario.steps[3].id == "spoof")
  }
}
