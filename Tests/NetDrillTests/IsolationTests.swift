import CNetDrillLinux
import Foundation
import Glibc
import NetDrillEngine
import NetDrillScenario
import NetDrillSockets
import NetDrillTestSupport
import Testing

/// A packet socket on the host's own loopback: sees every packet that crosses it.
private final class HostLoopbackSniffer {
  let fd: Int32

  init() throws {
    fd = nd_open_packet_socket("lo")
    guard fd >= 0 else { throw SystemCallError("AF_PACKET socket on lo", .current) }
  }

  deinit { close(fd) }

  /// Every frame queued so far.
  func drain() -> [[UInt8]] {
    var frames: [[UInt8]] = []
    var buffer = [UInt8](repeating: 0, count: 70_000)
    while true {
      let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if count <= 0 { break }
      frames.append(Array(buffer.prefix(count)))
    }
    return frames
  }
}

private func contains(_ frame: [UInt8], _ marker: [UInt8]) -> Bool {
  guard frame.count >= marker.count else { return false }
  return (0...(frame.count - marker.count)).contains { frame[$0..<$0 + marker.count].elementsEqual(marker) }
}

@Suite("Isolation", .privileged)
struct IsolationTests {
  @Test("while a scenario runs, the host's own loopback sees none of its packets")
  func hostLoopbackSeesNothing() throws {
    let sniffer = try HostLoopbackSniffer()
    _ = sniffer.drain()

    let marker = "netdrill-isolation-\(UUID().uuidString)"
    let scenario = try ScenarioParser.parse(
      data: Array(
        """
        {"netdrill": 1, "name": "isolation",
         "sockets": {"a": {"type": "udp"}, "b": {"type": "udp"}, "t": {"type": "tcp"}},
         "steps": [{"bind": "b", "address": "127.0.0.1:0"},
                   {"sendto": "a", "to": "b", "data": "\(marker)"},
                   {"sendto": "a", "to": "127.0.0.1:$closed", "data": "\(marker)"},
                   {"sendto": "a", "to": "[::1]:$closed", "data": "\(marker)"},
                   {"connect": "t", "to": "$closed"},
                   {"recv": "b", "expect": {"data": "\(marker)"}},
                   {"wait": "20ms"}]}
        """.utf8), file: "isolation.json")
    let result = try ScenarioRunner.run(scenario)
    #expect(result.passed, "the scenario itself must have sent and received its datagrams")

    // The control: a datagram on the host's loopback IS seen, so silence above means isolation.
    let control = "netdrill-control-\(UUID().uuidString)"
    let sender = try Socket.open(family: .ipv4, stream: false).get()
    _ = try sender.sendto(Array(control.utf8), flags: 0, to: .loopback(.ipv4, port: 9)).get()
    usleep(50_000)

    let frames = sniffer.drain()
    #expect(frames.contains { contains($0, Array(control.utf8)) }, "the sniffer must see host loopback traffic")
    #expect(!frames.contains { contains($0, Array(marker.utf8)) }, "a scenario packet reached the host's loopback")
  }
}
