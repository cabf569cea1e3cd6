import Foundation
import NetDrillScenario
import NetDrillTrace

extension ScenarioRecorder {
  /// Runs `scenario` the way `netdrill run` does: without a trace when it
  /// expects no packets, and with a capture into a temporary trace (removed
  /// afterwards) when it does, so `expect_packets` is checked on every run.
  public static func runChecked(_ scenario: Scenario, source: String, runOptions: RunOptions = .init()) throws
    -> RunResult
  {
    guard !scenario.expectedPackets.isEmpty else { return try ScenarioRunner.run(scenario, options: runOptions) }
    guard !runOptions.hostNetwork else {
      throw RunError.environment(
        "\"expect_packets\" needs a capture, and a capture needs the private network: drop --host-network to check packets"
      )
    }
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let recorded = try record(scenario, source: source, to: directory + "/run.pcapng", runOptions: runOptions)
    return recorded.run
  }

  /// Checks `expect_packets` against the trace at `path`, streaming its packets once.
  static func checkPackets(of scenario: Scenario, run: RunResult, trace path: String, droppedPackets: UInt64) throws
    -> [PacketCheck]
  {
    var matcher = PacketExpectationMatcher(scenario: scenario, run: run)
    let reader = try TraceReader(path: path)
    var interfaces: [UInt32: String] = [:]
    while let record = try reader.next() {
      switch record {
      case .interface(let info): interfaces[info.id] = info.name ?? "if\(info.id)"
      case .packet(let packet):
        matcher.consume(
          PacketDecoder.decode(packet), interface: interfaces[packet.interfaceID] ?? "if\(packet.interfaceID)",
          timestampNanoseconds: packet.timestampNanoseconds)
      default: break
      }
    }
    return matcher.finish() + PacketCheck.completeCapture(droppedPackets: droppedPackets)
  }

  private static func temporaryDirectory() throws -> String {
    var template = Array((NSTemporaryDirectory() + "/netdrill-run-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else {
      throw RunError.environment("cannot create a temporary folder for the capture: \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
  }
}
