import Foundation
import NetDrillTestSupport
import Testing

@testable import NetDrillTrace

/// Checks that Wireshark's tshark reads what ``PcapngWriter`` writes,
/// including the netdrill manifest custom block.
///
/// Without tshark the suite is skipped locally but fails under `CI=true`,
/// so a CI image that lost the tool cannot pass silently.
@Suite("tshark interoperability")
struct TsharkTests {
  static let tsharkPath: String? = ["/usr/bin/tshark", "/usr/local/bin/tshark"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }
  /// Skips without tshark outside CI, fails under `CI=true`.
  static let needsTshark = PrerequisiteTrait(missing: Tools.tsharkMissing)

  @Test("tshark is installed when CI=true", .enabled(if: Privileges.isCI))
  func tsharkPresentInCI() {
    #expect(Self.tsharkPath != nil, "tshark is missing: apt-get install -y tshark")
  }

  @Test(
    "tshark reads packets, comments and interface names",
    needsTshark)
  func tsharkReadsWrittenTrace() throws {
    let directory = try TestFiles.makeScratchDirectory()
    defer { TestFiles.remove(directory) }
    let path = directory.appendingPathComponent("run.pcapng").path
    try PcapngWriterTests.writeSample(to: path)

    // Wireshark lists the manifest custom block as a record of its own
    // (frame 4, frame.cb_pen = PEN); `!frame.cb_pen` keeps packets only.
    let records = try Self.tshark(["-r", path, "-T", "fields", "-e", "frame.number", "-e", "frame.cb_pen"])
    #expect(records.status == 0, "tshark failed: \(records.error)")
    #expect(records.lines == ["1\t", "2\t", "3\t", "4\t\(PcapngWriter.netdrillPEN)"])

    let packetsOnly = ["-r", path, "-Y", "!frame.cb_pen", "-T", "fields"]
    let numbers = try Self.tshark(packetsOnly + ["-e", "frame.number"])
    #expect(numbers.status == 0, "tshark failed: \(numbers.error)")
    #expect(numbers.lines == ["1", "2", "3"])

    // frame.comment is the Wireshark 4.x field; pkt_comment the older one.
    var comments = try Self.tshark(packetsOnly + ["-e", "frame.comment"])
    if comments.lines.allSatisfy(\.isEmpty) {
      comments = try Self.tshark(packetsOnly + ["-e", "pkt_comment"])
    }
    #expect(comments.lines == ["step 3: send client → 127.0.0.1:9", "", "step 4: recv"])

    let names = try Self.tshark(packetsOnly + ["-e", "frame.interface_name"])
    #expect(names.lines == ["host/lo", "host/lo", "peer/any"])

    let decoded = try Self.tshark(packetsOnly + ["-e", "udp.srcport", "-e", "udp.dstport"])
    #expect(decoded.lines.first == "41234\t9")
    // The custom block must not make tshark complain.
    #expect(records.error.isEmpty, "tshark stderr: \(records.error)")
  }

  struct Output {
    var status: Int32
    var lines: [String]
    var error: String
  }

  static func tshark(_ arguments: [String]) throws -> Output {
    let result = try Command.run(tsharkPath ?? "/usr/bin/tshark", arguments)
    var lines = result.standardOutput.components(separatedBy: "\n")
    if lines.last == "" { lines.removeLast() }
    // tshark warns about running as root; that is not a trace problem.
    let error = result.standardError
      .components(separatedBy: "\n")
      .filter { !$0.contains("Running as user") && !$0.isEmpty }
      .joined(separator: "\n")
    return Output(status: result.status, lines: lines, error: error)
  }
}
