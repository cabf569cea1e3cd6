import Foundation
import Glibc
import NetDrillNetwork
import NetDrillSockets
import NetDrillTestSupport
import Testing

@Suite("Programs under test", .privileged)
struct ProgramUnderTestTests {
  @Test(
    "a UDP echo server becomes ready, echoes inside its namespace and ends cleanly on SIGTERM",
    arguments: [ReadyCheck.udpPort(7007), .outputLine("ready")])
  func udpEchoServer(check: ReadyCheck) throws {
    let namespace = try Namespaces.make("echo")
    let program = try ProgramUnderTest.start(
      ProgramSpec(name: "echo", command: Programs.udpEcho(port: 7007), ready: check), in: namespace)
    try program.waitUntilReady()
    #expect(try udpRoundTrip("ping", port: 7007, in: namespace) == "ping")

    let result = program.stop()
    #expect(result.stoppedBy == "SIGTERM")
    #expect(result.exitStatus == 0)
    #expect(result.signal == nil)
    #expect(result.standardOutput.contains("ready"))
    #expect(result.readyAfterNanoseconds != nil)
    #expect(result.command == Programs.udpEcho(port: 7007))
    #expect(program.stop() == result, "stop() is idempotent")
  }

  @Test("a TCP ready check waits for LISTEN (IPv6 socket, /proc/net/tcp6); stderr lines count for outputLine")
  func tcpListener() throws {
    let namespace = try Namespaces.make("tcp")
    for check in [ReadyCheck.tcpPort(7008), .outputLine("listening")] {
      let program = try ProgramUnderTest.start(
        ProgramSpec(name: "listener", command: Programs.tcpListener(port: 7008), ready: check), in: namespace)
      try program.waitUntilReady()
      let connected = try Namespaces.inside(namespace) {
        let socket = try Socket.open(family: .ipv6, stream: true, closeOnExec: true).orThrow("socket")
        return socket.connect(.loopback(.ipv6, port: 7008))
      }
      #expect(throws: Never.self) { try connected.get() }
      let result = program.stop()
      #expect(result.stoppedBy == "SIGTERM")
      #expect((result.readyAfterNanoseconds ?? 0) >= 200_000_000, "the listener binds only after 0.2 s")
    }
  }

  @Test("the program runs in the namespace: its netns inode, only lo, no view of the host's ports")
  func runsInsideTheNamespace() throws {
    let namespace = try Namespaces.make("inside")
    let program = try ProgramUnderTest.start(
      ProgramSpec(name: "look", command: ["sh", "-c", "readlink /proc/self/ns/net; cat /proc/net/dev"]),
      in: namespace)
    #expect(program.waitForExit(within: .seconds(5)) == .exited(0))
    let result = program.stop()
    #expect(result.stoppedBy == "exited")
    let lines = result.standardOutput.split(separator: "\n")
    #expect(lines.first == "net:[\(Namespaces.inode(of: namespace))]")
    let interfaces = lines.dropFirst(3).compactMap {
      $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces)
    }
    #expect(interfaces == ["lo"])

    // A UDP port bound in the host's namespace (this test thread's; nothing is sent) is invisible in there.
    let hostSocket = try Socket.open(family: .ipv4, stream: false, closeOnExec: true).orThrow("socket")
    try hostSocket.bind(.loopback(.ipv4, port: 0)).orThrow("bind")
    let hostPort = try #require(try hostSocket.localAddress().orThrow("getsockname")).port
    let sleeper = try ProgramUnderTest.start(
      ProgramSpec(
        name: "sleeper", command: ["sleep", "30"], ready: .udpPort(hostPort), readyTimeout: .milliseconds(300)),
      in: namespace)
    #expect(throws: ProgramError.self) { try sleeper.waitUntilReady() }
    #expect(sleeper.stop().stoppedBy == "SIGTERM")
  }

  @Test("a program that ignores SIGTERM is SIGKILLed after stopGrace")
  func ignoresSIGTERM() throws {
    let namespace = try Namespaces.make("stubborn")
    let script = """
      import signal, time
      signal.signal(signal.SIGTERM, signal.SIG_IGN)
      print("ready", flush=True)
      time.sleep(1000)
      """
    let program = try ProgramUnderTest.start(
      ProgramSpec(
        name: "stubborn", command: ["python3", "-c", script], ready: .outputLine("ready"),
        stopGrace: .milliseconds(500)),
      in: namespace)
    try program.waitUntilReady()
    let began = ContinuousClock.now
    let result = program.stop()
    let elapsed = ContinuousClock.now - began
    #expect(result.stoppedBy == "SIGKILL")
    #expect(result.signal == SIGKILL)
    #expect(result.exitStatus == nil)
    #expect(elapsed >= .milliseconds(500) && elapsed < .seconds(3), "took \(elapsed)")
  }

  @Test("a program that never becomes ready fails within the bound, with its output in the error")
  func neverReady() throws {
    let namespace = try Namespaces.make("slow")
    let program = try ProgramUnderTest.start(
      ProgramSpec(
        name: "slow",
        command: ["python3", "-c", "import time; print('still warming up', flush=True); time.sleep(1000)"],
        ready: .outputLine("never printed"), readyTimeout: .seconds(1)),
      in: namespace)
    let began = ContinuousClock.now
    let error = #expect(throws: ProgramError.self) { try program.waitUntilReady() }
    let elapsed = ContinuousClock.now - began
    guard case .notReady(let name, let check, let seconds, let output)? = error else {
      Issue.record("expected notReady, got \(String(describing: error))")
      return
    }
    #expect(name == "slow" && check == .outputLine("never printed") && seconds == 1)
    #expect(output.contains("still warming up"))
    #expect(error?.description.contains("still warming up") == true)
    #expect(elapsed >= .seconds(1) && elapsed <= .seconds(2), "took \(elapsed)")
    #expect(program.stop().stoppedBy == "SIGTERM")
  }

  @Test("a program that ends before it is ready fails with its status and output")
  func exitsEarly() throws {
    let namespace = try Namespaces.make("quitter")
    let program = try ProgramUnderTest.start(
      ProgramSpec(name: "quitter", command: ["sh", "-c", "echo going away >&2; exit 3"], ready: .udpPort(7009)),
      in: namespace)
    let began = ContinuousClock.now
    let error = #expect(throws: ProgramError.self) { try program.waitUntilReady() }
    #expect(ContinuousClock.now - began < .seconds(3), "noticed the exit without waiting for the ready bound")
    guard case .exitedEarly(let name, let status, let output)? = error else {
      Issue.record("expected exitedEarly, got \(String(describing: error))")
      return
    }
    #expect(name == "quitter" && status == .exited(3))
    #expect(output.contains("going away"))
    #expect(error?.description.contains("exited with status 3") == true)
    let result = program.stop()
    #expect(result.stoppedBy == "exited" && result.exitStatus == 3)
  }

  @Test(
    "a command that does not exist is reported by name before anything runs",
    arguments: ["netdrill-no-such-program", "/nonexistent/netdrill-tool"])
  func commandNotFound(command: String) throws {
    let namespace = try Namespaces.make("missing")
    let error = #expect(throws: ProgramError.self) {
      _ = try ProgramUnderTest.start(ProgramSpec(name: "missing", command: [command]), in: namespace)
    }
    guard case .commandNotFound(let name)? = error else {
      Issue.record("expected commandNotFound, got \(String(describing: error))")
      return
    }
    #expect(name == command)
    #expect(error?.description.contains(command) == true)
  }

  @Test("a missing working directory is reported before anything runs")
  func missingWorkingDirectory() throws {
    let namespace = try Namespaces.make("nowhere")
    let error = #expect(throws: ProgramError.self) {
      _ = try ProgramUnderTest.start(
        ProgramSpec(name: "nowhere", command: ["true"], workingDirectory: "/nonexistent-dir"), in: namespace)
    }
    #expect(error?.description.contains("/nonexistent-dir") == true)
    #expect(error?.description.contains("ENOENT") == true)
  }

  @Test("stdin is /dev/null, no other descriptor leaks in; environment and working directory apply")
  func childSetup() throws {
    let namespace = try Namespaces.make("setup")
    let script = """
      import os
      def is_open(fd):
          try:
              os.fstat(fd)
              return True
          except OSError:
              return False
      print(os.readlink("/proc/self/fd/0"))
      print([fd for fd in range(3, 1024) if is_open(fd)])
      print(os.environ["ND_VAR"], os.environ["HOME"], "PATH" in os.environ)
      print(os.getcwd())
      """
    let program = try ProgramUnderTest.start(
      ProgramSpec(
        name: "setup", command: ["python3", "-c", script],
        environment: ["ND_VAR": "from-spec", "HOME": "/overridden"], workingDirectory: "/tmp"),
      in: namespace)
    #expect(program.waitForExit(within: .seconds(5)) == .exited(0))
    let result = program.stop()
    #expect(
      result.standardOutput == "/dev/null\n[]\nfrom-spec /overridden True\n/tmp\n", "stderr: \(result.standardError)")
  }

  @Test("the program is PID 2 of a PID namespace of its own and leads its own process group")
  func pidNamespace() throws {
    let namespace = try Namespaces.make("pidns")
    let script = """
      import os
      print("pid", os.getpid(), "group-leader", os.getpgid(0) == os.getpid())
      """
    let program = try ProgramUnderTest.start(
      ProgramSpec(name: "pidns", command: ["python3", "-c", script]), in: namespace)
    #expect(program.waitForExit(within: .seconds(5)) == .exited(0))
    #expect(program.stop().standardOutput == "pid 2 group-leader True\n")
  }

  @Test("a program's exit status and death signal are its own, not its init's", arguments: [0, 3])
  func exitStatusPassesThrough(status: Int32) throws {
    let namespace = try Namespaces.make("status")
    let exits = try ProgramUnderTest.start(
      ProgramSpec(name: "exits", command: ["sh", "-c", "exit \(status)"]), in: namespace)
    #expect(exits.waitForExit(within: .seconds(5)) == .exited(status))
    let killsItself = try ProgramUnderTest.start(
      ProgramSpec(name: "self", command: ["sh", "-c", "kill -USR1 $$"]), in: namespace)
    #expect(killsItself.waitForExit(within: .seconds(5)) == .killedBy(signal: SIGUSR1))
  }

  @Test("the program survives the end of the thread that started it (pdeathsig follows the spawning thread)")
  func survivesStartingThread() throws {
    let namespace = try Namespaces.make("survive")
    let program = try IsolatedThread.run(name: "short-lived", timeout: .seconds(10)) {
      try ProgramUnderTest.start(ProgramSpec(name: "sleeper", command: ["sleep", "1000"]), in: namespace)
    }
    Thread.sleep(forTimeInterval: 0.3)
    #expect(program.waitForExit(within: .zero) == nil, "still running")
    let result = program.stop()
    #expect(result.stoppedBy == "SIGTERM" && result.signal == SIGTERM)
  }

  @Test("stop leaves no process of the program's tree behind: children, and those that left its process group")
  func noOrphans() throws {
    let namespace = try Namespaces.make("family")
    let marker = MarkedProcesses.make()
    let program = try ProgramUnderTest.start(
      ProgramSpec(
        name: "family",
        command: ["sh", "-c", "sleep \(marker) & setsid sleep \(marker) & echo ready; wait"],
        ready: .outputLine("ready")),
      in: namespace)
    try program.waitUntilReady()
    #expect(MarkedProcesses.count(marker, reaches: 2, within: .seconds(2)))
    let result = program.stop()
    #expect(result.stoppedBy == "SIGTERM")
    #expect(MarkedProcesses.gone(marker, within: .seconds(2)))
  }

  @Test("when the program ends on its own, what it started in the background ends with it")
  func backgroundEndsWithProgram() throws {
    let namespace = try Namespaces.make("background")
    let marker = MarkedProcesses.make()
    let program = try ProgramUnderTest.start(
      ProgramSpec(name: "background", command: ["sh", "-c", "setsid sleep \(marker) & sleep 0.3"]), in: namespace)
    #expect(program.waitForExit(within: .seconds(5)) == .exited(0))
    #expect(MarkedProcesses.gone(marker, within: .seconds(2)))
    _ = program.stop()
  }

  @Test("a program nobody stopped is stopped when its object goes away")
  func deinitStops() throws {
    let namespace = try Namespaces.make("dropped")
    var program: ProgramUnderTest? = try ProgramUnderTest.start(
      ProgramSpec(name: "dropped", command: ["sleep", "1000"]), in: namespace)
    let group = try #require(program).processID
    program = nil
    #expect(groupIsGone(group, within: .seconds(2)))
  }

  @Test("a chatty program never blocks on a full pipe; output is capped with a note")
  func chattyProgram() throws {
    let namespace = try Namespaces.make("chatty")
    let script = "import sys; sys.stdout.write('x' * 3_000_000); sys.stdout.flush(); print('done', file=sys.stderr)"
    let program = try ProgramUnderTest.start(
      ProgramSpec(name: "chatty", command: ["python3", "-c", script]), in: namespace)
    #expect(program.waitForExit(within: .seconds(10)) == .exited(0))
    let result = program.stop()
    #expect(result.stoppedBy == "exited")
    #expect(
      result.standardOutput.hasPrefix(
        String(repeating: "x", count: ProgramOutputLimit.bytes) + "\n[netdrill: output cut"))
    #expect(result.standardOutput.contains("\(3_000_000 - ProgramOutputLimit.bytes) more bytes dropped"))
    #expect(result.standardError == "done\n")
  }
}

/// Polls until no process is left in process group `group` (kill(-group, 0) gives ESRCH).
private func groupIsGone(_ group: pid_t, within bound: Duration) -> Bool {
  let deadline = ContinuousClock.now + bound
  while ContinuousClock.now < deadline {
    if kill(-group, 0) == -1 && errno == ESRCH { return true }
    Thread.sleep(forTimeInterval: 0.02)
  }
  return false
}
