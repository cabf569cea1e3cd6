import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillScenario
import NetDrillTestSupport
import NetDrillTrace
import Testing

@Suite("Diff: mutations of a golden trace", .privileged, .serialized)
struct DiffMutationTests {
  /// One recorded closed-port trace shared by the mutations.
  static let golden: String? = {
    // The suite's `.privileged` trait keeps unprivileged runs from reaching this.
    try? recordBundled("udp/connected-closed-port.json").tracePath
  }()

  private func diff(_ mutate: (String, String) throws -> Void) throws -> (TraceDiffResult, CommandResult) {
    let golden = try #require(Self.golden)
    let mutated = temporaryTrace("mutated")
    try mutate(golden, mutated)
    let library = TraceDiff.compare(
      expected: try TraceDocument.load(path: golden), actual: try TraceDocument.load(path: mutated))
    let cli = try Command.netdrill(["diff", "--color", "never", golden, mutated])
    return (library, cli)
  }

  @Test("the same trace diffs clean")
  func identical() throws {
    let (result, cli) = try diff { try TraceMutation.rewrite($0, to: $1) }
    #expect(result.same)
    #expect(cli.status == 0, "\(cli.standardOutput)")
  }

  @Test("a changed errno in an outcome is a difference named by step and field")
  func changedErrno() throws {
    let (result, cli) = try diff { input, output in
      try TraceMutation.rewrite(
        input, to: output,
        manifest: { manifest in
          let index = manifest.run.outcomes.firstIndex { $0.error == "ECONNREFUSED" }!
          manifest.run.outcomes[index].error = "EHOSTUNREACH"
        })
    }
    #expect(result.differences.count == 1)
    #expect(result.differences.first?.field == "result")
    #expect(result.differences.first?.expected == "ECONNREFUSED")
    #expect(result.differences.first?.actual == "EHOSTUNREACH")
    #expect(result.differences.first?.location == "step #4 send(client)")
    #expect(cli.status == 1)
    #expect(cli.standardOutput.contains("step #4 send(client)"))
    #expect(cli.standardOutput.contains("expected: ECONNREFUSED"))
    #expect(cli.standardOutput.contains("actual: EHOSTUNREACH"))
  }

  @Test("a missing packet is a difference naming the packet")
  func missingPacket() throws {
    let (result, cli) = try diff { input, output in
      try TraceMutation.rewrite(input, to: output, packet: { index, bytes in index == 3 ? nil : bytes })
    }
    #expect(result.differences.map(\.field) == ["missing packet"])
    #expect(result.differences.first?.expected.contains("ICMP port-unreachable") == true)
    #expect(cli.status == 1)
    #expect(cli.standardOutput.contains("missing packet"))
  }

  @Test("a changed payload byte is a changed packet")
  func changedPayload() throws {
    let (result, cli) = try diff { input, output in
      try TraceMutation.rewrite(
        input, to: output,
        packet: { index, bytes in
          guard index == 0, TraceMutation.isUDP(bytes) else { return bytes }
          var frame = bytes
          frame[TraceMutation.transportOffset(frame) + 8] ^= 0x20  // first payload byte: "one" → "One"
          return frame
        })
    }
    #expect(result.differences.map(\.field) == ["changed packet"])
    #expect(result.differences.first?.expected.contains("payload=6f6e65") == true)
    #expect(result.differences.first?.actual.contains("payload=4f6e65") == true)
    #expect(cli.status == 1)
  }

  @Test("a changed ICMP code is a changed packet")
  func changedICMPCode() throws {
    let (result, cli) = try diff { input, output in
      try TraceMutation.rewrite(
        input, to: output,
        packet: { _, bytes in
          guard TraceMutation.isICMP(bytes) else { return bytes }
          var frame = bytes
          frame[TraceMutation.transportOffset(frame) + 1] = 1  // port unreachable (3) → host unreachable (1)
          return frame
        })
    }
    #expect(result.differences.count == 3)
    #expect(result.differences.allSatisfy { $0.field == "changed packet" && $0.actual.contains("host-unreachable") })
    #expect(cli.status == 1)
    #expect(cli.standardOutput.contains("host-unreachable"))
  }

  @Test("volatile fields alone — IP ID, checksums, timestamps, ephemeral ports — are no difference")
  func volatileFields() throws {
    let (result, cli) = try diff { input, output in
      // The client's ephemeral port, as the golden run saw it.
      let document = try TraceDocument.load(path: input)
      let oldPort = try #require(document.packets.first?.decoded.udp?.sourcePort)
      let newPort: UInt16 = oldPort == 50_000 ? 50_001 : 50_000
      try TraceMutation.rewrite(
        input, to: output,
        packet: { _, bytes in
          var frame = bytes
          frame[TraceMutation.ipOffset + 4] ^= 0x5a  // IP ID
          TraceMutation.fixIPv4Checksum(&frame)
          let transport = TraceMutation.transportOffset(frame)
          if TraceMutation.isUDP(frame) {
            frame[transport] = UInt8(newPort >> 8)
            frame[transport + 1] = UInt8(newPort & 0xff)
            frame[transport + 6] ^= 0xff  // UDP checksum
          } else if TraceMutation.isICMP(frame) {
            // The quoted datagram's source port and the ICMP checksum.
            let quotedTransport = transport + 8 + Int(frame[transport + 8] & 0x0f) * 4
            frame[quotedTransport] = UInt8(newPort >> 8)
            frame[quotedTransport + 1] = UInt8(newPort & 0xff)
            frame[transport + 2] ^= 0xff
          }
          return frame
        },
        manifest: { manifest in
          // The run that saw another port names it so, and its clock was elsewhere.
          let shift: UInt64 = 3_600_000_000_000
          let oldKey = "127.0.0.1:\(oldPort)"
          manifest.run.names[oldKey] = nil
          manifest.run.names["127.0.0.1:\(newPort)"] = "client"
          manifest.run.startNanoseconds += shift
          manifest.run.endNanoseconds += shift
          for index in manifest.run.outcomes.indices {
            manifest.run.outcomes[index].startNanoseconds += shift
            manifest.run.outcomes[index].endNanoseconds += shift
          }
        })
    }
    #expect(result.same, "\(result.differences)")
    #expect(cli.status == 0, "\(cli.standardOutput)")
  }
}

@Suite("Diff: determinism, replay and check", .privileged)
struct ReplayCheckTests {
  @Test(
    "the same scenario recorded twice diffs clean",
    arguments: [
      "udp/connected-closed-port.json", "tcp/linger-zero-reset.json", "ipv6/connected-closed-port.json",
    ])
  func deterministic(_ relative: String) throws {
    let first = try recordBundled(relative)
    let second = try recordBundled(relative)
    let result = TraceDiff.compare(
      expected: try TraceDocument.load(path: first.tracePath), actual: try TraceDocument.load(path: second.tracePath))
    #expect(result.same, "\(DiffReport(result: result, style: TextStyle(enabled: false)).text)")
  }

  @Test("replay re-runs the embedded scenario and finds no difference")
  func replay() throws {
    let recorded = try recordBundled("udp/recverr-error-queue.json")
    let cli = try Command.netdrill(["replay", "--color", "never", recorded.tracePath])
    #expect(cli.status == 0, "\(cli.standardOutput)\(cli.standardError)")
    #expect(cli.standardOutput.contains("✓ same"))
  }

  @Test("show prints a timeline with symbolic endpoints and the quoted flow")
  func show() throws {
    let recorded = try recordBundled("udp/connected-closed-port.json")
    let cli = try Command.netdrill(["show", "--color", "never", recorded.tracePath])
    #expect(cli.status == 0)
    #expect(cli.standardOutput.contains("#2     send(client, 3 bytes \"one\")"))
    #expect(cli.standardOutput.contains("UDP client → $closed len=3"))
    #expect(
      cli.standardOutput.contains("ICMP port-unreachable (3/3) 127.0.0.1 → 127.0.0.1 quoting UDP client → $closed"))
    let json = try Command.netdrill(["show", "--json", recorded.tracePath])
    let document = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
    #expect((document?["timeline"] as? [Any])?.count == recorded.run.outcomes.count + 6)
  }

  @Test("a trace that is not netdrill's or is corrupt: exit 2 with the byte offset")
  func badTrace() throws {
    let path = temporaryTrace("garbage")
    try Data([0x0a, 0x0d, 0x0d, 0x0a, 0xff, 0x00, 0x00, 0x00, 0x4d, 0x3c]).write(to: URL(fileURLWithPath: path))
    let cli = try Command.netdrill(["show", path])
    #expect(cli.status == 2)
    #expect(cli.standardError.contains("byte"))
  }
}

@Suite("Replay: the network scenarios' golden traces", .privileged)
struct NetworkReplayTests {
  static let goldens: [String] = {
    let directory = TestPaths.packageRoot.appendingPathComponent("traces/network")
    return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
      .filter { $0.hasSuffix(".pcapng") }.sorted().map { directory.appendingPathComponent($0).path }
  }()

  @Test("there are network goldens")
  func exist() { #expect(Self.goldens.count >= 6) }

  @Test("replaying a network scenario's golden trace finds no difference", arguments: goldens)
  func replayClean(_ golden: String) throws {
    // The goldens are this repository's own: their programs are trusted.
    let result = try Replayer.replay(trace: golden, allowPrograms: true)
    #expect(result.passed, "\(DiffReport(result: result.diff, style: TextStyle(enabled: false)).text)")
  }
}
