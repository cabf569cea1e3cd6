import Foundation
import Glibc
import NetDrillCapture
import NetDrillReplay
import NetDrillScenario
import NetDrillTrace
import NetDrillTestSupport
import Testing

@testable import NetDrillEngine

/// The trace describes every interface before the capture delivers its first
/// packet: a packet that arrives while the recording is still writing the
/// interface blocks is queued, not lost.
@Suite(
  "Recording: no packet is lost while the trace describes its interfaces",
  .privileged)
struct RecordingStartTests {
  @Test(
    "a packet sent as the capture opens, before the interface blocks are written, is in the trace",
    arguments: [true, false])
  func packetAtCaptureStartIsRecorded(immediateMode: Bool) throws {
    let file = TestPaths.scenarios.appendingPathComponent("udp/connected-closed-port.json").path
    let source = try String(contentsOfFile: file, encoding: .utf8)
    let scenario = try ScenarioParser.parse(data: Array(source.utf8), file: file)
    let path = temporaryTrace("recording-start")
    let writer = try PcapngWriter(path: path, application: "netdrill tests")
    let marker = Array("netdrill-recording-start".utf8)
    let options = RecordOptions(capture: CaptureConfiguration(immediateMode: immediateMode))
    let recording = Recording(writer: writer, options: options) {
      // On the run thread, inside the scenario's only namespace: one datagram on lo.
      Self.sendDatagram(marker, toLoopbackPort: 9)
      // Several capture rounds: long enough for a capture already delivering to
      // hand the packet over while the trace knows no interface yet.
      usleep(300_000)
    }
    let run = try ScenarioRunner.run(scenario, observer: recording)
    let result = try recording.finish(run: run, source: source, scenarioPath: file, path: path)
    defer { unlink(path) }

    let document = try TraceDocument.load(path: result.tracePath)
    let early = document.packets.filter { $0.decoded.udp?.payload == marker }
    #expect(early.count == 1, "the datagram sent as the capture opened is in the trace, once")
    #expect(result.manifest.packetCount == document.packets.count)
    #expect(result.manifest.droppedPackets == 0)
  }

  private static func sendDatagram(_ payload: [UInt8], toLoopbackPort port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else {
      Issue.record("socket: errno \(errno)")
      return
    }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let sent = withUnsafePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        sendto(fd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    if sent != payload.count { Issue.record("sendto: errno \(errno)") }
  }
}
