import Foundation
import NetDrillScenario
import NetDrillSockets
import NetDrillTestSupport
import Testing

/// Wraps `steps` (a JSON array body) in a minimal valid scenario.
private func scenario(
  steps: String = "", sockets: String = #"{"client": {"type": "udp"}, "server": {"type": "tcp"}}"#,
  extra: String = ""
) -> String {
  #"{"netdrill": 1, "name": "t", "sockets": \#(sockets), \#(extra)"steps": [\#(steps)]}"#
}

private func parse(_ text: String) throws -> Scenario {
  try ScenarioParser.parse(data: Array(text.utf8), file: nil)
}

/// The action of the only step of `steps`.
private func action(_ step: String, extra: String = "") throws -> Action {
  let parsed = try parse(scenario(steps: step, extra: extra))
  return try #require(parsed.steps.first?.action)
}

private func expectation(_ step: String) throws -> StepExpectation {
  let parsed = try parse(scenario(steps: step))
  return try #require(parsed.steps.first?.expect)
}

@Suite("Defaults: what leaving a key out means")
struct ScenarioDefaultsTests {
  @Test func defaultsArePinned() {
    #expect(ScenarioDefaults().timeout == .seconds(1))
    #expect(ScenarioDefaults().seed == 1)
  }

  @Test func minimalScenarioGivesTheDefaults() throws {
    let parsed = try parse(#"{"netdrill": 1, "name": "minimal", "steps": []}"#)
    #expect(parsed == Scenario(name: "minimal"))
    #expect(parsed.defaults == ScenarioDefaults())
    #expect(parsed.description == "")
    #expect(parsed.sockets.isEmpty && parsed.steps.isEmpty && parsed.expectedPackets.isEmpty)
  }

  @Test func emptyDefaultsObjectGivesTheDefaults() throws {
    let parsed = try parse(#"{"netdrill": 1, "name": "m", "defaults": {}, "steps": []}"#)
    #expect(parsed.defaults == ScenarioDefaults())
  }

  @Test func defaultsAreRead() throws {
    let parsed = try parse(
      #"{"netdrill": 1, "name": "m", "defaults": {"timeout": "250ms", "seed": 18446744073709551615}, "steps": []}"#)
    #expect(parsed.defaults == ScenarioDefaults(timeout: .milliseconds(250), seed: UInt64.max))
  }

  @Test func socketDeclarationDefaults() throws {
    let parsed = try parse(#"{"netdrill": 1, "name": "m",\#n "sockets": {"a": {"type": "udp"}}, "steps": []}"#)
    let socket = try #require(parsed.socket(named: "a"))
    #expect(
      socket
        == SocketDeclaration(
          name: "a", kind: .udp, family: .ipv4, options: [], nonBlocking: false, closeOnExec: false, deferred: false,
          location: ScenarioLocation(line: 2, column: 14, path: "$.sockets.a")))
  }

  @Test func socketDeclarationsKeepOrderAndOptions() throws {
    let parsed = try parse(
      #"""
      {"netdrill": 1, "name": "m", "steps": [], "sockets": {
        "zeta": {"type": "tcp", "family": "ipv6", "nonblocking": true, "cloexec": true, "deferred": true,
                 "options": {"SO_RCVBUF": 4096, "IPV6_V6ONLY": true, "SO_LINGER": {"onoff": true, "linger": 3}}},
        "alpha": {"type": "udp", "options": {"IP_MTU_DISCOVER": "IP_PMTUDISC_PROBE", "SO_RCVTIMEO": "20ms",
                  "SO_BINDTODEVICE": "lo", "IP_MULTICAST_IF": "127.0.0.1", "IP_TTL": false}}
      }}
      """#)
    #expect(parsed.sockets.map(\.name) == ["zeta", "alpha"])
    let zeta = parsed.sockets[0]
    #expect(zeta.kind == .tcp && zeta.family == .ipv6 && zeta.nonBlocking && zeta.closeOnExec && zeta.deferred)
    #expect(zeta.options.map(\.option.name) == ["SO_RCVBUF", "IPV6_V6ONLY", "SO_LINGER"])
    #expect(zeta.options.map(\.value) == [.integer(4096), .integer(1), .linger(onoff: true, seconds: 3)])
    #expect(
      parsed.sockets[1].options.map(\.value) == [
        .integer(3), .duration(.milliseconds(20)), .text("lo"), .text("127.0.0.1"), .integer(0),
      ])
  }

  @Test func stepDefaults() throws {
    #expect(try action(#"{"bind": "client"}"#) == .bind("client", address: nil))
    #expect(try action(#"{"listen": "server"}"#) == .listen("server", backlog: 16))
    #expect(try action(#"{"shutdown": "server"}"#) == .shutdown("server", how: .both))
    #expect(try action(#"{"poll": "client"}"#) == .poll("client", events: [.POLLIN]))
    #expect(try action(#"{"recv": "client"}"#) == .receive(ReceiveStep(call: .recv, socket: "client")))
    #expect(
      try action(#"{"recvmmsg": "client"}"#)
        == .receive(ReceiveStep(call: .recvmmsg, socket: "client", size: 65536, count: 1, flags: [])))
    #expect(
      try action(#"{"sendmmsg": "client", "data": "x"}"#)
        == .send(SendStep(call: .sendmmsg, socket: "client", to: nil, messages: [.text("x")], flags: [])))
    #expect(try action(#"{"getsockname": "client"}"#) == .getsockname("client", remember: nil))
  }

  @Test func stepIndexLocationTimeoutAndNote() throws {
    let parsed = try parse(
      scenario(steps: #"{"wait": "1ms"},\#n  {"recv": "client", "timeout": "2s", "note": "why"}"#))
    let step = parsed.steps[1]
    #expect(step.index == 1)
    #expect(step.location == ScenarioLocation(line: 2, column: 3, path: "$.steps[1]"))
    #expect(step.timeout == .seconds(2))
    #expect(step.note == "why")
    #expect(step.expect == nil)
    #expect(parsed.steps[0].action == .wait(.milliseconds(1)))
  }
}

@Suite("Payload encodings")
struct PayloadTests {
  private func payload(_ json: String, extra: String = "") throws -> Payload {
    let parsed = try action(#"{"send": "client", "data": \#(json)}"#, extra: extra)
    guard case .send(let send) = parsed, let first = send.messages.first else {
      Issue.record("not a send")
      return .zeros(0)
    }
    return first
  }

  @Test func textAsStringOrObject() throws {
    #expect(try payload(#""héllo""#) == .text("héllo"))
    #expect(try payload(#""héllo""#).bytes == Array("héllo".utf8))
    #expect(try payload(#"{"text": ""}"#) == .text(""))
  }

  @Test func hexAnyCaseWithSeparators() throws {
    #expect(try payload(#"{"hex": "68656c6c6f"}"#) == .hex(Array("hello".utf8)))
    #expect(try payload(#"{"hex": "DE:AD be ef"}"#) == .hex([0xDE, 0xAD, 0xBE, 0xEF]))
    #expect(try payload(#"{"hex": " 00  ff: "}"#) == .hex([0x00, 0xFF]))
    #expect(try payload(#"{"hex": ""}"#) == .hex([]))
  }

  @Test func base64WithPadding() throws {
    #expect(try payload(#"{"base64": "aGVsbG8="}"#) == .base64(Array("hello".utf8)))
    #expect(try payload(#"{"base64": "aGk="}"#) == .base64(Array("hi".utf8)))
    #expect(try payload(#"{"base64": "+/+/"}"#) == .base64([0xFB, 0xFF, 0xBF]))
    #expect(try payload(#"{"base64": ""}"#) == .base64([]))
  }

  @Test(arguments: ["aGk", "aGk=x===", "a===", "aG=k", "aGk!", "aGVs bG8="])
  func base64Rejects(_ text: String) {
    #expect(throws: ValueSyntaxError.self) { try ValueSyntax.base64Bytes(text) }
  }

  @Test(arguments: ["6", "6 8", "0x00", "zz", "00-11"])
  func hexRejects(_ text: String) {
    #expect(throws: ValueSyntaxError.self) { try ValueSyntax.hexBytes(text) }
  }

  @Test func patternIsSeededAndDeterministic() throws {
    #expect(try payload(#"{"pattern": 4}"#) == .pattern(size: 4, seed: 1))
    #expect(try payload(#"{"pattern": 4}"#, extra: #""defaults": {"seed": 7}, "#) == .pattern(size: 4, seed: 7))
    #expect(
      try payload(#"{"pattern": 4, "seed": 9}"#, extra: #""defaults": {"seed": 7}, "#) == .pattern(size: 4, seed: 9))
    let first = Payload.pattern(size: 1000, seed: 42).bytes
    #expect(first == Payload.pattern(size: 1000, seed: 42).bytes)
    #expect(first != Payload.pattern(size: 1000, seed: 43).bytes)
    #expect(first.count == 1000)
    #expect(
      Array(Payload.pattern(size: 1000, seed: 42).bytes.prefix(10)) == Array(Payload.pattern(size: 10, seed: 42).bytes))
  }

  /// SplitMix64 from seed 1, computed independently (in Python) when this
  /// test was written: a change here breaks every golden trace.
  @Test func patternGeneratorFirstBytesArePinned() {
    #expect(
      PatternGenerator.bytes(count: 16, seed: 1) == [
        0xC1, 0x5C, 0x02, 0x89, 0xEC, 0x2D, 0x0A, 0x91, 0x67, 0xEC, 0x8E, 0x65, 0xA1, 0x8D, 0xEB, 0xBE,
      ])
    #expect(PatternGenerator.bytes(count: 4, seed: 7) == [0xD7, 0x0D, 0x32, 0x59])
    #expect(PatternGenerator.bytes(count: 0, seed: 1).isEmpty)
  }

  @Test func zeros() throws {
    #expect(try payload(#"{"zeros": 3}"#) == .zeros(3))
    #expect(try payload(#"{"zeros": 3}"#).bytes == [0, 0, 0])
    #expect(try payload(#"{"zeros": 1048576}"#) == .zeros(1_048_576))
  }

  @Test func sendmmsgRepeatsDataOrListsMessages() throws {
    guard case .send(let repeated) = try action(#"{"sendmmsg": "client", "data": "x", "count": 3, "to": "server"}"#)
    else {
      Issue.record("not a send")
      return
    }
    #expect(repeated.messages == [.text("x"), .text("x"), .text("x")])
    #expect(repeated.to == .named("server"))
    guard case .send(let listed) = try action(#"{"sendmmsg": "client", "messages": ["a", {"zeros": 2}]}"#) else {
      Issue.record("not a send")
      return
    }
    #expect(listed.messages == [.text("a"), .zeros(2)])
  }
}

@Suite("Durations")
struct DurationTests {
  @Test(arguments: [
    ("20ms", Duration.milliseconds(20)), ("1s", .seconds(1)), ("500us", .microseconds(500)),
    ("500µs", .microseconds(500)), ("1.5s", .milliseconds(1500)), ("2m", .seconds(120)), ("0s", .zero),
    ("7ns", .nanoseconds(7)),
  ])
  func parses(_ text: String, _ expected: Duration) throws {
    #expect(DurationText.parse(text) == expected)
    #expect(try action(#"{"wait": "\#(text)"}"#) == .wait(expected))
  }

  @Test(arguments: ["20", "ms", "-1s", "1e3ms", "20 ms", "", "1h", "fast", "1..2s", "100000m"])
  func rejects(_ text: String) {
    #expect(DurationText.parse(text) == nil)
    let errors = TestSupport.errors(parsing: scenario(steps: #"{"wait": "\#(text)"}"#))
    #expect(errors.first?.path == "$.steps[0].wait")
  }
}

@Suite("Addresses")
struct AddressTests {
  @Test(arguments: [
    ("127.0.0.1:9", AddressSpec.literal(host: "127.0.0.1", port: .number(9))),
    ("[::1]:$closed", .literal(host: "::1", port: .closed)),
    ("[fe80::1:2]:65535", .literal(host: "fe80::1:2", port: .number(65535))),
    ("$closed", .closedPort),
    ("server", .named("server")),
    ("my.peer-2", .named("my.peer-2")),
    ("0.0.0.0:0", .literal(host: "0.0.0.0", port: .number(0))),
    ("10.1.2.3:$closed", .literal(host: "10.1.2.3", port: .closed)),
  ])
  func parses(_ text: String, _ expected: AddressSpec) throws {
    #expect(try ValueSyntax.address(text) == expected)
  }

  @Test(arguments: [
    ("127.0.0.1", "needs a port"),
    ("127.0.0.1:", "expected a port number"),
    ("127.0.0.1:65536", "out of range"),
    ("127.0.0.1:-1", "expected a port number"),
    ("127.0.0.1:$open", "expected a port number"),
    ("256.0.0.1:80", "not an IPv4 address"),
    ("localhost:80", "not an IPv4 address"),
    ("::1", "brackets"),
    ("::1:80", "brackets"),
    ("[::1]", "expected a port"),
    ("[::1:80", "no ']'"),
    ("[127.0.0.1]:80", "not an IPv6 address"),
    ("", "expected an address"),
    ("9server", "expected an address"),
    ("ser ver", "expected an address"),
    ("127.0.0.1\u{0}:80", "not an IPv4 address"),
  ])
  func rejects(_ text: String, _ fragment: String) {
    do {
      let parsed = try ValueSyntax.address(text)
      Issue.record("\(text) parsed as \(parsed)")
    } catch {
      #expect(error.message.contains(fragment), "\(error.message)")
    }
  }

  @Test func namesMustExistByThen() throws {
    let parsed = try parse(
      scenario(
        steps: #"""
          {"getsockname": "server", "remember": "srv"},
          {"connect": "client", "to": "srv"},
          {"sendto": "client", "to": "[::1]:7", "data": "x"},
          {"bind": "server", "address": "0.0.0.0:0"}
          """#))
    #expect(parsed.steps[1].action == .connect("client", to: .named("srv")))
    #expect(parsed.steps[3].action == .bind("server", address: .literal(host: "0.0.0.0", port: .number(0))))
  }

  @Test func descriptionRoundTrips() throws {
    for text in ["127.0.0.1:9", "[::1]:$closed", "$closed", "server"] {
      #expect(try ValueSyntax.address(text).description == text)
    }
  }
}

@Suite("Expectations and packets")
struct ExpectationTests {
  @Test func errorNoneMeansSucceeds() throws {
    #expect(try expectation(#"{"close": "client", "expect": {"error": "none"}}"#) == StepExpectation(succeeds: true))
    #expect(
      try expectation(#"{"close": "client", "expect": {"error": "EWOULDBLOCK"}}"#) == StepExpectation(error: .EAGAIN))
  }

  @Test func getsockoptValuesFollowTheOptionKind() throws {
    #expect(
      try expectation(#"{"getsockopt": "client", "option": "SO_ERROR", "expect": {"value": "ECONNREFUSED"}}"#).value
        == .errno(Errno(name: "ECONNREFUSED")))
    #expect(
      try expectation(#"{"getsockopt": "client", "option": "SO_ERROR", "expect": {"value": 0}}"#).value == .errno(nil))
    #expect(
      try expectation(#"{"getsockopt": "client", "option": "SO_TYPE", "expect": {"value": 2}}"#).value == .integer(2))
  }

  @Test func receiveExpectations() throws {
    let expect = try expectation(
      #"{"recvmsg": "client", "flags": ["MSG_ERRQUEUE"], "expect": {"returns": 5, "flags": ["MSG_TRUNC"], "from": "$closed", "data": {"hex": "00"}, "extended_error": {"errno": "EHOSTUNREACH", "origin": "icmp6", "type": 1, "code": 3, "offender": "fd00::1"}}}"#
    )
    #expect(expect.returns == 5)
    #expect(expect.flags == [.MSG_TRUNC])
    #expect(expect.from == .closedPort)
    #expect(expect.data == .hex([0]))
    #expect(
      expect.extendedError
        == ExtendedErrorExpectation(
          errno: Errno(name: "EHOSTUNREACH"), origin: "icmp6", type: 1, code: 3, offender: "fd00::1"))
  }

  @Test func acceptIntroducesASocketAndRememberAName() throws {
    let parsed = try parse(
      scenario(
        steps: #"""
          {"listen": "server"},
          {"accept": "server", "as": "conn", "expect": {"from": "client"}},
          {"getpeername": "conn", "remember": "peer", "expect": {"port": 0}},
          {"send": "conn", "data": "x"},
          {"sendto": "client", "to": "peer", "data": "y"}
          """#))
    #expect(parsed.steps[1].action == .accept("server", as: "conn"))
    #expect(parsed.steps[2].action == .getpeername("conn", remember: "peer"))
    #expect(parsed.steps.count == 5)
  }

  @Test func receiveRemembersTheSender() throws {
    let parsed = try parse(
      scenario(
        steps: #"""
          {"recvfrom": "server", "remember": "a"},
          {"recvmsg": "server", "remember": "b"},
          {"recvmmsg": "server", "count": 2, "remember": "c"},
          {"sendto": "server", "to": "a", "data": "x"},
          {"sendmsg": "server", "to": "b", "data": "y"},
          {"sendto": "server", "to": "c", "data": "z"}
          """#))
    #expect(parsed.steps[0].action == .receive(ReceiveStep(call: .recvfrom, socket: "server", remember: "a")))
    #expect(parsed.steps[1].action == .receive(ReceiveStep(call: .recvmsg, socket: "server", remember: "b")))
    #expect(
      parsed.steps[2].action == .receive(ReceiveStep(call: .recvmmsg, socket: "server", count: 2, remember: "c")))
    #expect(
      parsed.steps[3].action
        == .send(SendStep(call: .sendto, socket: "server", to: .named("a"), messages: [.text("x")])))
  }

  @Test func deferredProgramStartsAtAStep() throws {
    let parsed = try parse(
      #"""
      {"netdrill": 1, "name": "t",
       "programs": {"early": {"command": ["true"]}, "late": {"command": ["true"], "deferred": true}},
       "steps": [{"start": "late"}, {"stop": "late", "timeout": "1s", "expect": {"returns": 0}}]}
      """#)
    #expect(parsed.programs.map(\.deferred) == [false, true])
    #expect(parsed.steps[0].action == .startProgram("late"))
    #expect(parsed.steps[1].action == .stopProgram("late"))
    #expect(parsed.steps[1].timeout == .seconds(1))
  }

  @Test func packets() throws {
    let parsed = try parse(
      scenario(
        extra: #"""
          "expect_packets": [
            {"udp": {"from": "client", "to": "127.0.0.1:$closed"}},
            {"icmp": "port-unreachable", "quotes": 0},
            {"tcp": {"flags": ["SYN", "ACK"]}}
          ],
          """#))
    #expect(
      parsed.expectedPackets.map(\.kind) == [
        .udp(from: .named("client"), to: .literal(host: "127.0.0.1", port: .closed)),
        .icmp("port-unreachable"),
        .tcp(from: nil, to: nil, flags: ["SYN", "ACK"]),
      ])
    #expect(parsed.expectedPackets.map(\.quotes) == [nil, 0, nil])
    #expect(parsed.expectedPackets[1].location.path == "$.expect_packets[1]")
    #expect(parsed.expectedPackets[1].location.line == 3)
  }
}

@Suite("Sample scenarios")
struct FixtureTests {
  static let fixtures = TestSupport.jsonFiles(under: TestSupport.fixturesDirectory)

  @Test func thereAreFixtures() {
    #expect(Self.fixtures.count >= 3)
  }

  @Test(arguments: fixtures)
  func fixtureParses(_ url: URL) throws {
    let parsed = try ScenarioParser.parse(file: url.path)
    #expect(parsed.sourcePath == url.path)
    #expect(!parsed.steps.isEmpty)
  }

  @Test func tcpEchoReadsAsWritten() throws {
    let parsed = try ScenarioParser.parse(
      file: TestSupport.fixturesDirectory.appendingPathComponent("tcp-echo.json").path)
    #expect(parsed.name == "tcp-echo")
    #expect(parsed.defaults == ScenarioDefaults(timeout: .milliseconds(500), seed: 7))
    #expect(parsed.steps[3].action == .connect("client", to: .named("listener")))
    #expect(parsed.steps[3].timeout == .seconds(1))
    #expect(
      parsed.steps[5].action
        == .send(SendStep(call: .write, socket: "client", messages: [.hex(Array("hello".utf8))])))
    #expect(
      parsed.steps[7].action
        == .send(SendStep(call: .send, socket: "conn", messages: [.pattern(size: 32, seed: 7)], flags: [.MSG_NOSIGNAL]))
    )
    #expect(parsed.steps[11].expect?.value == .integer(0))
    #expect(
      parsed.steps[12].action
        == .setsockopt(
          "conn", OptionSetting(option: try #require(SocketOptionName(name: "SO_SNDBUF")), value: .integer(65536))))
  }

  /// Mutated copies of valid scenarios must parse or fail with errors that
  /// point inside the text, never crash.
  @Test func mutatedScenariosNeverCrash() throws {
    var generator = SplitMix64(seed: 0xF022)
    let texts = try Self.fixtures.map { try TestSupport.read($0) }
    let alphabet = Array("{}[]\":,0123456789-. $abcdefghijklmnopqrstuvwxyzMSG_POLLINE".utf8)
    for _ in 0..<1500 {
      guard var bytes = texts.randomElement(using: &generator), !bytes.isEmpty else { continue }
      for _ in 0..<Int.random(in: 1...3, using: &generator) {
        let index = Int.random(in: 0..<bytes.count, using: &generator)
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: bytes[index] = alphabet.randomElement(using: &generator) ?? 0
        case 1: bytes.remove(at: index)
        default: bytes.insert(alphabet.randomElement(using: &generator) ?? 0, at: index)
        }
      }
      do {
        _ = try ScenarioParser.parse(data: bytes, file: nil)
      } catch {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
        for problem in error.errors {
          #expect((1...lines).contains(problem.line) && problem.column >= 1, "\(problem)")
          #expect(problem.path.hasPrefix("$"))
        }
      }
    }
  }
}
