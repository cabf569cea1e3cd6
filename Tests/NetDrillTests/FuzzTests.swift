import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillScenario
import NetDrillTestSupport
import NetDrillTrace
import Testing

/// Damaged copies of the bundled scenarios and golden traces.
enum Mutant {
  /// Text that breaks JSON, or is valid JSON of the wrong kind or value.
  static let tokens = [
    "{", "}", "[", "]", ",", ":", "\"", "null", "true", "-1", "0", "1e999", "99999999999999999999", "\"\\u0000\"",
    "\"0s\"", "\"1ns\"", "\"x\"", "{}", "[]", "\"127.0.0.0/8\"", "\"::/0\"", "\"10.0.0.1/24\"", "\"\\ud800\"", "\u{7F}",
    "\"default\"", "\"EAGAIN\"", "\"$closed\"", "\"a\"", "1.5", "\n", "//", "\u{FEFF}",
  ]

  static func mutate(_ input: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
    var bytes = input
    guard !bytes.isEmpty else { return Array(random.pick(tokens).utf8) }
    switch random.below(7) {
    case 0:  // flip bits of a few bytes
      for _ in 0...random.below(3) { bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8)) }
    case 1:  // cut short
      bytes = Array(bytes.prefix(random.below(bytes.count)))
    case 2:  // insert a token
      bytes.insert(contentsOf: Array(random.pick(tokens).utf8), at: random.below(bytes.count + 1))
    case 3:  // delete a range
      let start = random.below(bytes.count)
      bytes.removeSubrange(start..<min(bytes.count, start + 1 + random.below(16)))
    case 4:  // replace a JSON string or number with a token
      let starts = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\"") || (bytes[$0] >= 0x30 && bytes[$0] <= 0x39) }
      guard !starts.isEmpty else { break }
      let start = random.pick(starts)
      var end = start + 1
      if bytes[start] == UInt8(ascii: "\"") {
        while end < bytes.count && bytes[end] != UInt8(ascii: "\"") { end += 1 }
        end = min(end + 1, bytes.count)
      } else {
        while end < bytes.count && bytes[end] >= 0x30 && bytes[end] <= 0x39 { end += 1 }
      }
      bytes.replaceSubrange(start..<end, with: Array(random.pick(tokens).utf8))
    case 5:  // a random byte anywhere
      bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
    default:  // duplicate a slice (repeated keys, nested values)
      let start = random.below(bytes.count)
      let slice = bytes[start..<min(bytes.count, start + 1 + random.below(40))]
      bytes.insert(contentsOf: slice, at: random.below(bytes.count + 1))
    }
    return bytes
  }

  /// The netdrill manifest block of a pcapng trace (the custom block whose
  /// body starts with netdrill's PEN and "NDM1"): its offset and the JSON.
  static func manifestBlock(_ trace: [UInt8]) -> (start: Int, length: Int, json: [UInt8])? {
    let magic = Array("NDM1".utf8)
    guard let at = (0..<(trace.count - 4)).first(where: { Array(trace[$0..<$0 + 4]) == magic }), at >= 12 else {
      return nil
    }
    let start = at - 12
    func u32(_ offset: Int) -> Int {
      Int(trace[offset]) | Int(trace[offset + 1]) << 8 | Int(trace[offset + 2]) << 16 | Int(trace[offset + 3]) << 24
    }
    let length = u32(start + 4)
    let jsonLength = u32(at + 4)
    return (start, length, Array(trace[(at + 8)..<(at + 8 + jsonLength)]))
  }

  /// The trace with its manifest JSON replaced, the block's lengths rewritten
  /// so the reader gets as far as decoding the JSON.
  static func replacingManifest(_ trace: [UInt8], with json: [UInt8]) -> [UInt8]? {
    guard let block = manifestBlock(trace) else { return nil }
    func le(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    let padding = (4 - json.count % 4) % 4
    let body =
      Array(trace[(block.start + 8)..<(block.start + 16)]) + le(json.count) + json
      + [UInt8](repeating: 0, count: padding)
    let total = body.count + 12
    let newBlock = le(0x0BAD) + le(total) + body + le(total)
    return Array(trace[..<block.start]) + newBlock + Array(trace[(block.start + block.length)...])
  }
}

/// Thousands of malformed scenarios and traces: none may crash or hang, and
/// every refusal must say where — line:column for a scenario, the byte
/// offset for a trace.
@Suite("Fuzz: malformed scenarios and traces are refused with a position")
struct FuzzTests {
  static let scenarioCount = 1_200
  static let traceCount = 1_200
  static let tracesDirectory = TestPaths.packageRoot.appendingPathComponent("traces")

  static func goldenTraces() -> [URL] {
    guard let walker = FileManager.default.enumerator(at: tracesDirectory, includingPropertiesForKeys: nil) else {
      return []
    }
    return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "pcapng" }.sorted { $0.path < $1.path }
  }

  /// Seeded mutants of the bundled scenarios, with the file each came from.
  static func scenarioMutants(count: Int, seed: UInt64) throws -> [(name: String, bytes: [UInt8])] {
    let sources = try TestPaths.bundledScenarios().map { ($0.lastPathComponent, Array(try Data(contentsOf: $0))) }
    var random = SplitMix64(seed: seed)
    return (0..<count).map { index in
      let (name, bytes) = random.pick(sources)
      var mutant = Mutant.mutate(bytes, &random)
      if random.below(4) == 0 { mutant = Mutant.mutate(mutant, &random) }
      return ("\(index)-\(name)", mutant)
    }
  }

  /// Seeded mutants of the golden traces: raw byte damage, or damage to the
  /// manifest JSON inside a well-formed block (so the JSON decoder is reached).
  static func traceMutants(count: Int, seed: UInt64) throws -> [[UInt8]] {
    let sources = try goldenTraces().map { Array(try Data(contentsOf: $0)) }
    var random = SplitMix64(seed: seed)
    return (0..<count).map { _ in
      let trace = random.pick(sources)
      if random.below(2) == 0, let block = Mutant.manifestBlock(trace),
        let mutant = Mutant.replacingManifest(trace, with: Mutant.mutate(block.json, &random))
      {
        return mutant
      }
      return Mutant.mutate(trace, &random)
    }
  }

  /// The first problem of a refused scenario, or nil if it is accepted.
  static func refusal(of bytes: [UInt8], file: String) -> ScenarioErrors? {
    do {
      let scenario = try ScenarioParser.parse(data: bytes, file: file)
      try TopologyCheck.check(scenario)
      return nil
    } catch {
      return error
    }
  }

  @Test(.timeLimit(.minutes(2)))
  func malformedScenariosAreRefusedWithLineColumnAndPath() throws {
    let mutants = try Self.scenarioMutants(count: Self.scenarioCount, seed: 0x5EED_0001)
    #expect(mutants.count >= 1_000)
    var refused = 0
    for mutant in mutants {
      guard let errors = Self.refusal(of: mutant.bytes, file: mutant.name) else { continue }
      refused += 1
      #expect(!errors.errors.isEmpty, "\(mutant.name): refused without a reason")
      for error in errors.errors {
        #expect(error.line > 0 && error.column > 0, "\(mutant.name): no line:column in \(error)")
        #expect(error.path.hasPrefix("$"), "\(mutant.name): no JSON path in \(error)")
        #expect(error.description.hasPrefix("\(mutant.name):\(error.line):\(error.column): error at \(error.path): "))
      }
    }
    print("fuzz: \(refused) of \(mutants.count) scenarios refused")
    // Most damage is caught; some (a changed note or name) is still a valid scenario.
    #expect(refused > mutants.count / 2, "only \(refused) of \(mutants.count) refused")
  }

  @Test(.timeLimit(.minutes(2)))
  func malformedTracesAreRefusedWithTheByteOffset() throws {
    let mutants = try Self.traceMutants(count: Self.traceCount, seed: 0x5EED_0002)
    #expect(mutants.count >= 1_000)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-fuzz-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var refused = 0
    var manifestRefusals = 0
    for (index, mutant) in mutants.enumerated() {
      let path = directory.appendingPathComponent("\(index).pcapng").path
      try Data(mutant).write(to: URL(fileURLWithPath: path))
      do {
        // As `show` does: read, decode the manifest, normalize, lay out the timeline.
        let document = try TraceDocument.load(path: path)
        _ = TraceTimeline(document: document).text(style: TextStyle(enabled: false))
      } catch let error as TraceError {
        refused += 1
        if error.message.hasPrefix("netdrill manifest block") { manifestRefusals += 1 }
        #expect(error.byteOffset <= UInt64(mutant.count), "\(path): offset past the end in \(error)")
        #expect(error.description.hasPrefix("\(path): byte \(error.byteOffset): "))
        #expect(!error.message.contains("DecodingError"), "raw Swift error: \(error)")
        #expect(!error.message.isEmpty)
      } catch {
        Issue.record("\(path): refused without a byte offset: \(error)")
      }
      try? FileManager.default.removeItem(atPath: path)
    }
    #expect(refused > mutants.count / 2, "only \(refused) of \(mutants.count) refused")
    // The manifest's JSON decoder is reached, not just the block reader.
    #expect(manifestRefusals > mutants.count / 5, "only \(manifestRefusals) manifest refusals")
    print("fuzz: \(refused) of \(mutants.count) traces refused, \(manifestRefusals) in the manifest")
  }

  /// A sample through the built binary: exit 2 at once, the position on stderr.
  @Test(.timeLimit(.minutes(2)))
  func theCommandLineRefusesASampleWithPositions() throws {
    let scenarios = try Self.scenarioMutants(count: 200, seed: 0x5EED_0003)
      .filter { Self.refusal(of: $0.bytes, file: $0.name) != nil }.prefix(10)
    #expect(scenarios.count == 10)
    for mutant in scenarios {
      let path = try temporaryScenario(String(decoding: mutant.bytes, as: UTF8.self), name: "fuzz")
      defer { unlink(path) }
      // Written as UTF-8 text, so invalid bytes became U+FFFD: refused or not, it must not run.
      guard Self.refusal(of: Array(try Data(contentsOf: URL(fileURLWithPath: path))), file: path) != nil else {
        continue
      }
      let result = try Command.netdrill(["run", path], timeout: 30)
      #expect(result.status == 2)
      #expect(
        result.standardError.range(of: #"^\S+:\d+:\d+: error at \$"#, options: .regularExpression) != nil,
        "\(result.standardError)")
    }
    let traces = try Self.traceMutants(count: 40, seed: 0x5EED_0004)
    var shown = 0
    for (index, mutant) in traces.enumerated() where shown < 10 {
      let path = FileManager.default.temporaryDirectory.appendingPathComponent(
        "netdrill-fuzz-\(getpid())-\(index).pcapng"
      )
      .path
      try Data(mutant).write(to: URL(fileURLWithPath: path))
      defer { unlink(path) }
      guard (try? TraceDocument.load(path: path)) == nil else { continue }
      shown += 1
      let result = try Command.netdrill(["show", path], timeout: 30)
      #expect(result.status == 2)
      #expect(result.standardError.hasPrefix("netdrill: \(path): byte "), "\(result.standardError)")
    }
    #expect(shown == 10)
  }
}
