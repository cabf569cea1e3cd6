import Foundation
import NetDrillTestSupport
import NetDrillTrace
import Testing

/// Captures from elsewhere are untrusted input: every capture fixture cut
/// short or with its last records overwritten is refused by every command
/// that reads it (exit 2, the file and byte offset, at once); a 1M-packet
/// capture is read once, never twice, or refused while it is read.
@Suite("Damaged and large foreign captures", .serialized)
struct ForeignCaptureInputTests {
  static let straceMissing: String? =
    Command.find("strace") == nil ? "strace is not installed (.ci/install-deps, or apt-get install -y strace)" : nil

  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-damaged-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// Where the last packet's record (pcap) or block (pcapng) starts.
  static func lastPacketOffset(_ path: String) throws -> Int {
    let reader = try TraceReader(path: path)
    var offset = 0
    while let record = try reader.next() {
      if case .packet(let packet) = record { offset = Int(packet.byteOffset) }
    }
    return offset
  }

  /// The byte offset in `netdrill: PATH: byte N: …`, or nil when the message has none.
  static func byteOffset(in message: String, path: String) -> Int? {
    let prefix = "netdrill: \(path): byte "
    guard message.hasPrefix(prefix) else { return nil }
    return Int(message.dropFirst(prefix.count).prefix { $0.isNumber })
  }

  @Test(
    "every capture fixture cut short or overwritten: show, --stats, diff and import exit 2 with the byte offset",
    arguments: TraceEngineTests.captureFixtures())
  func damagedFixtureRefused(fixture: String) throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture)))
    let last = try Self.lastPacketOffset(fixture)
    #expect(last > 0)
    let name = URL(fileURLWithPath: fixture).lastPathComponent
    // Cut inside the last block; and from the last packet's record on, every byte 0xff
    // (a record or block length no file can hold).
    let truncated = folder.appendingPathComponent("truncated-\(name)")
    try Data(original.prefix(original.count - 3)).write(to: truncated)
    let overwritten = folder.appendingPathComponent("overwritten-\(name)")
    try Data(original.prefix(last) + [UInt8](repeating: 0xff, count: original.count - last)).write(to: overwritten)
    for damaged in [truncated.path, overwritten.path] {
      let scenario = folder.appendingPathComponent("imported.json").path
      for arguments in [
        ["show", damaged], ["show", "--stats", "--json", damaged], ["diff", fixture, damaged],
        ["diff", damaged, fixture],
        ["import", damaged, "-o", scenario],
      ] {
        let result = try Command.netdrill(arguments, timeout: 30)
        let context = "\(arguments.joined(separator: " ")): \(result.standardError)"
        #expect(result.status == 2 && !result.signalled && !result.timedOut, "\(context)")
        let offset = Self.byteOffset(in: result.standardError, path: damaged)
        #expect(offset != nil, "no byte offset: \(context)")
        if let offset {
          // The damage is in the last packet's record or after it, and no offset lies past the file.
          #expect(offset >= last && offset <= original.count, "\(context)")
        }
        #expect(!FileManager.default.fileExists(atPath: scenario), "import left a scenario: \(context)")
      }
    }
  }

  /// Bytes that `read`/`pread64` returned from descriptors open on `path`,
  /// from an `strace -f -y` log (a call split over two lines by another
  /// thread is joined by its process id).
  static func bytesRead(log: String, path: String) -> Int {
    var total = 0
    var pending: Set<Substring> = []
    func result(_ line: Substring) -> Int { Int(line.split(separator: " = ").last?.prefix { $0.isNumber } ?? "") ?? 0 }
    for line in log.split(separator: "\n") {
      guard let pid = line.split(separator: " ").first else { continue }
      let call = line.dropFirst(pid.count).drop { $0 == " " }
      if call.hasPrefix("read(") || call.hasPrefix("pread64(") {
        guard call.contains("<\(path)>") else { continue }
        if call.contains("<unfinished") { pending.insert(pid) } else { total += result(call) }
      } else if call.hasPrefix("<... read resumed>") || call.hasPrefix("<... pread64 resumed>"),
        pending.remove(pid) != nil
      {
        total += result(call)
      }
    }
    return total
  }

  /// Runs `netdrill ARGUMENTS` under strace (output to /dev/null); its exit
  /// status and the log of its reads.
  static func traced(_ arguments: [String], folder: URL) throws -> (status: Int32, log: String) {
    let log = folder.appendingPathComponent("strace-\(UUID().uuidString).log").path
    defer { unlink(log) }
    let command =
      ["strace", "-f", "-y", "-s", "0", "-e", "trace=read,pread64", "-o", log, TestPaths.binary.path] + arguments
    let result = try Command.run(
      "/bin/sh", ["-c", command.map { "'\($0)'" }.joined(separator: " ") + " > /dev/null"], timeout: 600)
    return (result.status, try String(contentsOfFile: log, encoding: .utf8))
  }

  @Test(
    "a 1M-packet capture: show, --stats and diff read each file once; import and replay refuse it while reading",
    .requires(straceMissing), .requires(Tools.pythonModuleMissing("struct", package: "python3")))
  func millionPacketsReadOnce() throws {
    let folder = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let capture = folder.appendingPathComponent("million.pcap").path
    let generated = try Command.run(
      "python3",
      [TestPaths.packageRoot.appendingPathComponent(".ci/gen-pcap.py").path, capture, "1000000", "2000", "1"],
      timeout: 300)
    #expect(generated.status == 0, "\(generated.standardError)")
    let size = Int(try FileManager.default.attributesOfItem(atPath: capture)[.size] as? UInt64 ?? 0)
    #expect(size > 80_000_000)
    // The same file under a second name (no copy on disk) for diff's other side.
    let twin = folder.appendingPathComponent("twin.pcap").path
    #expect(link(capture, twin) == 0)
    // At most one read window more than the file: enough for a look at the end, never a second pass.
    let slack = 256 * 1024
    for arguments in [["show", "--stats", "--json", capture], ["show", capture]] {
      let (status, log) = try Self.traced(arguments, folder: folder)
      #expect(status == 0, "\(arguments)")
      let read = Self.bytesRead(log: log, path: capture)
      #expect(read >= size && read <= size + slack, "\(arguments): read \(read) bytes of a \(size)-byte capture")
    }
    let (status, log) = try Self.traced(["diff", capture, twin], folder: folder)
    #expect(status == 0, "a capture against itself is equal")
    for path in [capture, twin] {
      let read = Self.bytesRead(log: log, path: path)
      #expect(read >= size && read <= size + slack, "diff: read \(read) bytes of \(path) (\(size) bytes)")
    }
    // 32 MB of payload, past what a scenario may hold: refused before the end of the file.
    for arguments in [["import", capture, "-o", folder.appendingPathComponent("s.json").path], ["replay", capture]] {
      let (status, log) = try Self.traced(arguments, folder: folder)
      #expect(status == 2, "\(arguments)")
      let read = Self.bytesRead(log: log, path: capture)
      #expect(read > 0 && read <= size, "\(arguments): read \(read) bytes of a \(size)-byte capture")
    }
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("s.json").path))
  }

  @Test("bytesRead adds up reads on the path, joins split calls and ignores other files")
  func straceLogParsing() {
    let log = """
      100 read(3</tmp/a.pcap>, ""..., 262144) = 262144
      100 read(4</tmp/b.pcap>, ""..., 262144) = 1000
      101 read(3</tmp/a.pcap>,  <unfinished ...>
      100 pread64(3</tmp/a.pcap>, ""..., 16, 40) = 16
      101 <... read resumed>""..., 262144) = 5
      100 read(3</tmp/a.pcap>, ""..., 262144) = 0
      """
    #expect(Self.bytesRead(log: log, path: "/tmp/a.pcap") == 262144 + 16 + 5)
    #expect(Self.bytesRead(log: log, path: "/tmp/b.pcap") == 1000)
  }
}
