import Foundation
import Glibc
import Testing

/// What of a run could outlive it, seen from the host.
private struct HostState: Equatable {
  var links: [String]
  var nftTables: String
  var namespaces: Set<String>

  static func now() throws -> HostState {
    let links = try Command.run("/usr/sbin/ip", ["-o", "link", "show"]).standardOutput
      .split(separator: "\n").map {
        String($0.split(separator: ":").dropFirst().first ?? "").trimmingCharacters(in: .whitespaces)
      }
    let tables = try Command.run("/usr/sbin/nft", ["list", "tables"]).standardOutput
    // Every network namespace a process outside this test runner is in (anonymous ones vanish
    // with their last holder). The runner and its children are left out: other suites run at
    // the same time in their own namespaces; a leaked program is re-parented away from us.
    var namespaces: Set<String> = []
    let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    for pid in pids where !isOwnDescendant(pid) {
      if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net") {
        namespaces.insert(target)
      }
    }
    return HostState(links: links.sorted(), nftTables: tables, namespaces: namespaces)
  }
}

/// Whether `pid` is this process or started by it (following parent ids in /proc/PID/stat).
private func isOwnDescendant(_ pid: Int32) -> Bool {
  var current = pid
  for _ in 0..<64 {
    if current == getpid() { return true }
    guard current > 1, let stat = try? String(contentsOfFile: "/proc/\(current)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return false }
    // After "pid (comm) state ppid": the comm may hold spaces, so split after its ')'.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 1, let parent = Int32(fields[1]) else { return false }
    current = parent
  }
  return false
}

private let teardownScenario = """
  {"netdrill": 1, "name": "teardown", "description": "netdrill-teardown-marker",
   "hosts": {"a": {}, "r": {"forwarding": true}, "b": {}},
   "links": [{"name": "left", "hosts": ["a", "r"]}, {"name": "right", "hosts": ["r", "b"]}],
   "routes": [{"host": "a", "to": "default", "via": "192.0.2.2"}, {"host": "b", "to": "default", "via": "198.51.100.1"}],
   "faults": {"lossy": {"host": "b", "protocol": "udp", "loss": {"every": 3}},
              "slow": {"host": "r", "link": "right", "direction": "output", "rate": {"rate": "10mbit"}}},
   "programs": {"sleeper": {"host": "b", "command": ["python3", "-c", "import time; time.sleep(1000)", "netdrill-teardown-marker"]}},
   "sockets": {"c": {"type": "udp", "host": "a"}},
   "steps": [{"sendto": "c", "to": "198.51.100.2:9", "data": "x"}, {"wait": "300ms"},
             {"sendto": "c", "to": "198.51.100.2:9", "data": "y"}]}
  """

@Suite("Network: teardown and missing capabilities", .enabled(if: Privileges.mayRun, "needs root"), .serialized)
struct NetworkTeardownTests {
  @Test(
    "100 runs, some interrupted with SIGINT or SIGKILL midway, leave no namespace, link, nft table or process behind")
  func hundredRuns() throws {
    guard Privileges.canCreateNamespaces() else { return }
    // The program is a `sleep` with a marker argument: it would linger if not stopped.
    let scenario = try temporaryScenario(teardownScenario)
    let before = try HostState.now()
    var outcomes: [String: Int] = [:]
    for run in 0..<100 {
      let process = Process()
      process.executableURL = TestPaths.binary
      process.arguments = ["run", "--color", "never", scenario]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      switch run % 3 {
      case 0:
        break  // runs to the end
      case 1:
        usleep(UInt32(50_000 + (run * 7919) % 400_000))
        kill(process.processIdentifier, SIGINT)
      default:
        usleep(UInt32(50_000 + (run * 7919) % 400_000))
        kill(process.processIdentifier, SIGKILL)
      }
      let deadline = Date().addingTimeInterval(20)
      while process.isRunning && Date() < deadline { usleep(10_000) }
      #expect(!process.isRunning, "run \(run) did not end")
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      process.waitUntilExit()
      outcomes[
        "\(process.terminationReason == .uncaughtSignal ? "signal" : "exit") \(process.terminationStatus)", default: 0] +=
        1
    }
    usleep(200_000)
    let after = try HostState.now()
    #expect(after.links == before.links, "links left in the host namespace")
    #expect(after.nftTables == before.nftTables, "nftables tables left in the host namespace")
    #expect(
      after.namespaces.subtracting(before.namespaces).isEmpty,
      "network namespaces left: \(after.namespaces.subtracting(before.namespaces))")
    let leftovers = try Command.run("/usr/bin/pgrep", ["-f", "netdrill-teardown-marker"])
    #expect(leftovers.standardOutput.isEmpty, "processes left: \(leftovers.standardOutput)")
    #expect(outcomes["exit 0", default: 0] >= 30, "\(outcomes)")
  }

  @Test("a fault that needs netem on a kernel without it: exit 2, a message naming netem, nothing left")
  func netemMissing() throws {
    guard Privileges.canCreateNamespaces() else { return }
    let probe = try Command.run(
      "/usr/bin/unshare",
      ["-n", "sh", "-c", "ip link add d0 type dummy && ip link set d0 up && tc qdisc add dev d0 root netem delay 10ms"])
    let kernelHasNetem = probe.status == 0
    let scenario = try temporaryScenario(
      """
      {"netdrill": 1, "name": "delay", "hosts": {"a": {}, "b": {}}, "links": [{"name": "w", "hosts": ["a", "b"]}],
       "faults": {"slow": {"host": "a", "direction": "output", "delay": "20ms"}},
       "sockets": {"c": {"type": "udp", "host": "a"}}, "steps": [{"sendto": "c", "to": "192.0.2.2:9", "data": "x"}]}
      """)
    let before = try HostState.now()
    let result = try Command.netdrill(["run", "--color", "never", scenario])
    if kernelHasNetem {
      #expect(result.status == 0)
    } else {
      #expect(result.status == 2)
      #expect(result.standardError.contains("netem"), "\(result.standardError)")
      #expect(result.standardOutput.isEmpty, "no step ran")
    }
    #expect(try HostState.now() == before)
  }

  @Test("without CAP_SYS_ADMIN: exit 2 and a message saying what is needed")
  func noCapabilities() throws {
    guard Privileges.canCreateNamespaces() else { return }
    let scenario = try temporaryScenario(teardownScenario)
    // Root without capabilities: an empty bounding set takes them all away at exec.
    let result = try Command.run(
      "/usr/bin/setpriv", ["--bounding-set", "-all", "--inh-caps", "-all", TestPaths.binary.path, "run", scenario])
    #expect(result.status == 2)
    #expect(result.standardError.contains("CAP_SYS_ADMIN"), "\(result.standardError)")
    #expect(result.standardOutput.isEmpty)
  }
}
