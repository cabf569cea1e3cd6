import Foundation
import Glibc
import NetDrillTestSupport
import Testing

/// What of the test's own runs could outlive them. Every netdrill this test
/// starts carries `NETDRILL_TEST_RUN=<uuid>` in its environment, which every
/// process it starts inherits (programs under test, ip, nft, tc), so a leftover
/// is found by that mark: other netdrill runs on a busy host are not counted.
private struct TestRuns {
  let mark = "NETDRILL_TEST_RUN=\(UUID().uuidString)"

  var environment: [String: String] {
    var environment = ProcessInfo.processInfo.environment
    let parts = mark.split(separator: "=", maxSplits: 1)
    environment[String(parts[0])] = String(parts[1])
    return environment
  }

  /// Processes alive now that this test's runs started (directly or not).
  func survivors() -> [Int32] {
    let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    return pids.filter { pid in
      guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
      return environ.split(separator: 0).contains { $0.elementsEqual(mark.utf8) }
    }
  }

  /// The network namespaces those processes are in (anonymous namespaces live as long as a holder).
  func namespaces() -> Set<String> {
    Set(survivors().compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\($0)/ns/net") })
  }
}

/// What netdrill could leave in the host's own namespace: links with the names
/// it gives interfaces, and its nftables table. Nothing else on the host counts.
private struct HostNetwork: Equatable {
  var links: [String]
  var nftTables: [String]

  static func now() throws -> HostNetwork {
    let links = try Command.run("/usr/sbin/ip", ["-o", "link", "show"]).standardOutput
      .split(separator: "\n").map {
        String($0.split(separator: ":").dropFirst().first ?? "").trimmingCharacters(in: .whitespaces)
      }
      .map { String($0.split(separator: "@").first ?? "") }
      .filter { $0.wholeMatch(of: /eth[0-9]+|port[0-9]+|br0/) != nil }
    let tables = try Command.run("/usr/sbin/nft", ["list", "tables"]).standardOutput
      .split(separator: "\n").map(String.init).filter { $0.contains("netdrill") }
    return HostNetwork(links: links.sorted(), nftTables: tables.sorted())
  }
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

@Suite("Network: teardown and missing capabilities", .privileged, .serialized)
struct NetworkTeardownTests {
  @Test(
    "100 runs, some interrupted with SIGINT or SIGKILL midway, leave no namespace, link, nft table or process behind")
  func hundredRuns() throws {
    // The program is a `sleep` with a marker argument: it would linger if not stopped.
    let scenario = try temporaryScenario(teardownScenario)
    let before = try HostNetwork.now()
    let runs = TestRuns()
    var outcomes: [String: Int] = [:]
    for run in 0..<100 {
      let process = try ChildProcess(
        TestPaths.binary.path, ["run", "--color", "never", scenario], environment: runs.environment)
      switch run % 3 {
      case 0:
        break  // runs to the end
      case 1:
        usleep(UInt32(50_000 + (run * 7919) % 400_000))
        process.signal(SIGINT)
      default:
        usleep(UInt32(50_000 + (run * 7919) % 400_000))
        process.signal(SIGKILL)
      }
      let ended = process.finish(timeout: .seconds(20))
      outcomes["\(ended.signalled ? "signal" : "exit") \(ended.status)", default: 0] += 1
    }
    usleep(200_000)
    let after = try HostNetwork.now()
    #expect(after.links == before.links, "links left in the host namespace")
    #expect(after.nftTables == before.nftTables, "nftables tables left in the host namespace")
    #expect(runs.namespaces().isEmpty, "network namespaces left: \(runs.namespaces())")
    #expect(runs.survivors().isEmpty, "processes left: \(runs.survivors())")
    #expect(outcomes["exit 0", default: 0] >= 30, "\(outcomes)")
  }

  @Test("a fault that needs netem on a kernel without it: exit 2, a message naming netem, nothing left")
  func netemMissing() throws {
    let probe = try Command.run(
      "/usr/bin/unshare",
      [
        "-n", "sh", "-c",
        "ip link add p0 type veth peer name p1 && ip link set p0 up && tc qdisc add dev p0 root netem delay 10ms",
      ])
    let kernelHasNetem = probe.status == 0
    let scenario = try temporaryScenario(
      """
      {"netdrill": 1, "name": "delay", "hosts": {"a": {}, "b": {}}, "links": [{"name": "w", "hosts": ["a", "b"]}],
       "faults": {"slow": {"host": "a", "direction": "output", "delay": "20ms"}},
       "sockets": {"c": {"type": "udp", "host": "a"}}, "steps": [{"sendto": "c", "to": "192.0.2.2:9", "data": "x"}]}
      """)
    let before = try HostNetwork.now()
    let runs = TestRuns()
    let result = try Command.run(
      TestPaths.binary.path, ["run", "--color", "never", scenario], environment: runs.environment)
    if kernelHasNetem {
      #expect(result.status == 0)
    } else {
      #expect(result.status == 2)
      #expect(result.standardError.contains("netem"), "\(result.standardError)")
      #expect(result.standardOutput.isEmpty, "no step ran")
    }
    #expect(try HostNetwork.now() == before)
    #expect(runs.survivors().isEmpty && runs.namespaces().isEmpty, "processes left: \(runs.survivors())")
  }

  @Test("without CAP_SYS_ADMIN: exit 2 and a message saying what is needed")
  func noCapabilities() throws {
    let scenario = try temporaryScenario(teardownScenario)
    // Root without capabilities: an empty bounding set takes them all away at exec.
    let result = try Command.run(
      "/usr/bin/setpriv", ["--bounding-set", "-all", "--inh-caps", "-all", TestPaths.binary.path, "run", scenario])
    #expect(result.status == 2)
    #expect(result.standardError.contains("CAP_SYS_ADMIN"), "\(result.standardError)")
    #expect(result.standardOutput.isEmpty)
  }
}
