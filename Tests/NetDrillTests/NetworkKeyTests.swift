import Foundation
import NetDrillTestSupport
import Testing

/// Format keys no bundled scenario used: for each, a scenario whose outcome depends on the key passes, and
/// the same scenario with the key's value changed (or its step left out) fails.
@Suite("Network and program keys change the outcome", .privileged)
struct NetworkKeyTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let key: String
    /// The scenario that passes.
    let scenario: String
    /// The text replaced to make the wrong scenario, and its replacement.
    let wrong: (String, String)
    /// 1: an expectation fails. 2: the program never gets ready, a set-up failure.
    let wrongExit: Int32
    /// What standard error must say when the wrong scenario is a set-up failure.
    var wrongMessage: String = ""
    var testDescription: String { key }
  }

  /// Hosts a and b on one link, with a UDP socket on each.
  static func pair(faults: String = "{}", programs: String = "{}", steps: String, client: String = "{}") -> String {
    """
    {"netdrill": 1, "name": "key-test", "requires": [{"program": "python3"}],
     "hosts": {"a": {}, "b": {}}, "links": [{"name": "wire", "hosts": ["a", "b"], "ipv4": "192.0.2.0/24"}],
     "faults": \(faults), "programs": \(programs),
     "sockets": {"client": {"type": "udp", "host": "a", "options": \(client)}, "server": {"type": "udp", "host": "b"}},
     "steps": [\(steps)]}
    """
  }

  static let echo = #"""
    {"echo": {"host": "b", "ready": {"udp_port": 7}, "ready_timeout": "10s",
      "command": ["python3", "-c", "import signal, socket, sys\nsignal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('0.0.0.0', 7))\nwhile True:\n    data, peer = s.recvfrom(65535)\n    s.sendto(data, peer)\n"]}}
    """#

  /// A UDP client under test, started by a step, that sends "hello" to the server once.
  static let deferredSender = #"""
    {"sender": {"host": "a", "deferred": true,
      "command": ["python3", "-c", "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'hello', ('192.0.2.2', 7100))\n"]}}
    """#

  /// `remember` on a receive call: the client's port is ephemeral, so only
  /// the received datagram's source names it; without it, `peer` is the
  /// server's own address and the reply never reaches the client.
  static func rememberCase(receive: String, reply: String) -> Case {
    Case(
      key: "remember (\(receive))",
      scenario: pair(
        steps: #"""
          {"bind": "server", "address": "192.0.2.2:7100"},
          {"sendto": "client", "to": "192.0.2.2:7100", "data": "ping"},
          {"\#(receive)": "server", "remember": "peer", "expect": {"data": "ping"}},
          {"\#(reply)": "server", "to": "peer", "data": "pong"},
          {"recv": "client", "timeout": "1s", "expect": {"data": "pong"}}
          """#),
      wrong: (
        #"{"\#(receive)": "server", "remember": "peer", "expect": {"data": "ping"}}"#,
        #"{"\#(receive)": "server", "expect": {"data": "ping"}}, {"getsockname": "server", "remember": "peer"}"#
      ), wrongExit: 1)
  }

  static let cases: [Case] = [
    Case(
      key: "link_down",
      scenario: pair(
        steps: #"""
          {"link_down": "wire"},
          {"sendto": "client", "to": "192.0.2.2:7100", "data": "x", "expect": {"error": "ENETUNREACH"}}
          """#),
      wrong: (#"{"link_down": "wire"},"#, ""), wrongExit: 1),
    Case(
      key: "link_up",
      scenario: pair(
        steps: #"""
          {"bind": "server", "address": "192.0.2.2:7100"}, {"link_down": "wire"}, {"link_up": "wire"}, {"wait": "200ms"},
          {"sendto": "client", "to": "192.0.2.2:7100", "data": "x", "expect": {"returns": 1}},
          {"recv": "server", "timeout": "1s", "expect": {"data": "x"}}
          """#),
      wrong: (#"{"link_up": "wire"},"#, ""), wrongExit: 1),
    Case(
      key: "set_mtu",
      scenario: pair(
        steps: #"""
          {"connect": "client", "to": "192.0.2.2:7100"}, {"set_mtu": "wire", "mtu": 1280},
          {"send": "client", "data": {"pattern": 1400}, "expect": {"error": "EMSGSIZE"}}
          """#, client: #"{"IP_MTU_DISCOVER": "IP_PMTUDISC_DO"}"#),
      wrong: (#""mtu": 1280"#, #""mtu": 1500"#), wrongExit: 1),
    Case(
      key: "stop",
      scenario: pair(
        programs: echo,
        steps: #"""
          {"connect": "client", "to": "192.0.2.2:7"}, {"send": "client", "data": "ping"},
          {"recv": "client", "timeout": "2s", "expect": {"data": "ping"}},
          {"stop": "echo", "expect": {"returns": 0}},
          {"send": "client", "data": "x"}, {"wait": "100ms"}, {"send": "client", "data": "y", "expect": {"error": "ECONNREFUSED"}}
          """#),
      wrong: (#"{"stop": "echo", "expect": {"returns": 0}},"#, ""), wrongExit: 1),
    Case(
      key: "stop_grace",
      scenario: pair(
        programs: #"""
          {"slow": {"host": "b", "ready": {"output": "ready"}, "stop_grace": "5s",
            "command": ["python3", "-c", "import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *_: (time.sleep(0.5), sys.exit(3)))\nprint('ready', flush=True)\nwhile True:\n    time.sleep(1)\n"]}}
          """#,
        steps: #"{"stop": "slow", "expect": {"returns": 3}}"#),
      wrong: (#""stop_grace": "5s""#, #""stop_grace": "100ms""#), wrongExit: 1),
    Case(
      key: "cwd",
      scenario: pair(
        programs: #"""
          {"here": {"host": "b", "cwd": "/proc", "ready": {"output": "ready"}, "ready_timeout": "2s",
            "command": ["sh", "-c", "[ \"$(pwd)\" = /proc ] && echo ready; exec sleep 30"]}}
          """#,
        steps: #"{"wait": "10ms"}"#),
      wrong: (#""cwd": "/proc""#, #""cwd": "/""#), wrongExit: 2, wrongMessage: "program here was not ready within 2.0s"),
    Case(
      key: "tcp_port",
      scenario: pair(
        programs: #"""
          {"listener": {"host": "b", "ready": {"tcp_port": 7000}, "ready_timeout": "3s",
            "command": ["python3", "-c", "import socket, time\ns = socket.socket()\ns.bind(('0.0.0.0', 7000))\ns.listen()\ntime.sleep(60)\n"]}}
          """#,
        steps: #"{"wait": "10ms"}"#),
      wrong: (#"{"tcp_port": 7000}"#, #"{"tcp_port": 7001}"#), wrongExit: 2,
      wrongMessage: "program listener was not ready within 3.0s"),
    Case(
      key: "latency",
      scenario: pair(
        faults:
          #"{"slow": {"host": "a", "direction": "output", "rate": {"rate": "1mbit", "burst": "2kb", "latency": "2s"}}}"#,
        steps: #"""
          {"bind": "server", "address": "192.0.2.2:7100"}, {"connect": "client", "to": "192.0.2.2:7100"},
          {"sendmmsg": "client", "messages": [\#(Array(repeating: #"{"pattern": 1000}"#, count: 20).joined(separator: ", "))]},
          {"recvmmsg": "server", "count": 32, "timeout": "2s", "expect": {"returns": 20}}
          """#),
      wrong: (#""latency": "2s""#, #""latency": "1ms""#), wrongExit: 1),
    Case(
      key: "percent",
      scenario: pair(
        faults: #"{"lossy": {"host": "b", "direction": "input", "protocol": "udp", "loss": {"percent": 100}}}"#,
        steps: #"""
          {"bind": "server", "address": "192.0.2.2:7100"},
          {"sendto": "client", "to": "192.0.2.2:7100", "data": "x"}, {"wait": "100ms"},
          {"recv": "server", "flags": ["MSG_DONTWAIT"], "expect": {"error": "EAGAIN"}}
          """#),
      wrong: (#"{"percent": 100}"#, #"{"percent": 0}"#), wrongExit: 1),
    rememberCase(receive: "recvfrom", reply: "sendto"),
    rememberCase(receive: "recvmsg", reply: "sendmsg"),
    // A UDP client under test that sends once: it must start after the server's bind.
    Case(
      key: "start",
      scenario: pair(
        programs: deferredSender,
        steps: #"""
          {"bind": "server", "address": "192.0.2.2:7100"}, {"start": "sender"},
          {"recv": "server", "timeout": "3s", "expect": {"data": "hello"}},
          {"stop": "sender", "timeout": "3s", "expect": {"returns": 0}}
          """#),
      wrong: (#"{"start": "sender"},"#, ""), wrongExit: 2,
      wrongMessage: #"program "sender" is deferred and not started yet: add {"start": "sender"} before this step"#),
    Case(
      key: "deferred (program)",
      scenario: pair(
        programs: deferredSender,
        steps: #"""
          {"bind": "server", "address": "192.0.2.2:7100"}, {"start": "sender"},
          {"recv": "server", "timeout": "3s", "expect": {"data": "hello"}}
          """#),
      wrong: (#""deferred": true"#, #""deferred": false"#), wrongExit: 2,
      wrongMessage: #"program "sender" starts before the first step; declare it with "deferred": true"#),
    // A one-shot program: with a timeout, stop lets it end on its own; without, SIGTERM ends it.
    Case(
      key: "timeout (stop)",
      scenario: pair(
        programs: #"""
          {"oneshot": {"host": "b", "ready": {"output": "ready"},
            "command": ["python3", "-c", "import time\nprint('ready', flush=True)\ntime.sleep(0.5)\n"]}}
          """#,
        steps: #"{"stop": "oneshot", "timeout": "5s", "expect": {"returns": 0}}"#),
      wrong: (#""timeout": "5s", "#, ""), wrongExit: 1),
  ]

  @Test("the scenario passes, and with the key's value changed it fails", arguments: cases)
  func keyMatters(_ key: Case) throws {
    #expect(key.scenario.contains(key.wrong.0), "the mutation must change the scenario")
    let right = try Command.netdrill(["run", "--color", "never", try temporaryScenario(key.scenario, name: key.key)])
    #expect(right.status == 0, "\(key.key): \(right.standardOutput)\(right.standardError)")
    let wrongText = key.scenario.replacingOccurrences(of: key.wrong.0, with: key.wrong.1)
    let wrong = try Command.netdrill(["run", "--color", "never", try temporaryScenario(wrongText, name: key.key)])
    #expect(wrong.status == key.wrongExit, "\(key.key) changed: \(wrong.standardOutput)\(wrong.standardError)")
    if key.wrongExit == 2 {
      #expect(wrong.standardError.contains(key.wrongMessage), "\(wrong.standardError)")
    } else {
      #expect(wrong.standardOutput.contains("✗"), "a failed expectation is shown: \(wrong.standardOutput)")
    }
  }
}
