import Foundation
import NetDrillTestSupport
import Testing

@testable import NetDrillTrace

/// Feeds the reader and decoder thousands of damaged copies of the real
/// fixtures. Each must read to the end or fail with a ``TraceError`` —
/// never trap, never loop. A record cap turns a would-be hang into a failure.
@Suite("Trace corruption")
struct TraceCorruptionTests {
  static let sources = ["lo-ethernet-usec.pcap", "lo-ethernet.pcapng", "any-sll2.pcapng", "lo-ethernet-be.pcap"]
  static let recordLimit = 1000

  enum Outcome: Equatable {
    case complete(records: Int)
    case refused
  }

  static func read(_ bytes: [UInt8]) -> Outcome? {
    let reader = TraceReader(bytes: bytes, name: "variant")
    var count = 0
    do {
      while let record = try reader.next() {
        count += 1
        if count > recordLimit { return nil }
        if case .packet(let packet) = record { _ = PacketDecoder.decode(packet).summary }
      }
      return .complete(records: count)
    } catch is TraceError {
      return .refused
    } catch {
      Issue.record("unexpected error type: \(error)")
      return .refused
    }
  }

  /// Offsets where a block or record starts, and the end of the file.
  static func boundaries(_ bytes: [UInt8]) throws -> Set<Int> {
    var result: Set<Int> = [bytes.count]
    let reader = TraceReader(bytes: bytes)
    var pcap = false
    while let record = try reader.next() {
      switch record {
      case .section(let section):
        pcap = section.format == .pcap
        result.insert(pcap ? 24 : Int(section.byteOffset))
      case .packet(let packet): result.insert(Int(packet.byteOffset))
      default: break
      }
    }
    if !pcap {
      // Interface blocks carry no offset; derive every block start by walking lengths.
      var offset = 0
      while offset + 8 <= bytes.count {
        result.insert(offset)
        let length =
          Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7])
          << 24
        guard length >= 12 else { break }
        offset += length
      }
    }
    return result
  }

  @Test func everyTruncation() throws {
    var variants = 0
    for name in Self.sources {
      let bytes = try TestFiles.bytes(ofFixture: name)
      let boundaries = try Self.boundaries(bytes)
      for length in 0..<bytes.count {
        let outcome = Self.read(Array(bytes.prefix(length)))
        #expect(outcome != nil, "\(name) cut at \(length): no end after \(Self.recordLimit) records")
        if length > 0 && !boundaries.contains(length) {
          #expect(outcome == .refused, "\(name) cut at \(length) inside a block was accepted")
        }
        variants += 1
      }
    }
    #expect(variants > 5000)
  }

  @Test func randomMutations() throws {
    var generator = SplitMix64(seed: 0x4E44_2024)
    var variants = 0
    var refused = 0
    for name in Self.sources {
      let original = try TestFiles.bytes(ofFixture: name)
      let starts = try Self.boundaries(original).filter { $0 + 16 <= original.count }.sorted()
      let lengthField = name.hasSuffix(".pcapng") ? 4 : 8
      for round in 0..<1500 {
        var bytes = original
        switch round % 3 {
        case 0:
          // Flip a few random bytes anywhere.
          for _ in 0...(generator.next() % 4) {
            let index = Int(generator.next() % UInt64(bytes.count))
            bytes[index] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
          }
        case 1:
          // Overwrite a length field with a hostile value.
          let start = starts[Int(generator.next() % UInt64(starts.count))] + lengthField
          let hostile: [UInt32] = [
            0, 1, 7, 11, 12, 13, 16, 0x7FFF_FFFC, 0xFFFF_FFFF, 0x0800_0004,
            UInt32(truncatingIfNeeded: generator.next()),
          ]
          let value = hostile[Int(generator.next() % UInt64(hostile.count))]
          let bigEndian = name.hasSuffix("-be.pcap")
          for i in 0..<4 where start + i < bytes.count {
            let shift = bigEndian ? (3 - i) * 8 : i * 8
            bytes[start + i] = UInt8(truncatingIfNeeded: value >> UInt32(shift))
          }
        default:
          // Damage bytes inside a packet, then cut the file somewhere.
          let index = Int(generator.next() % UInt64(bytes.count))
          bytes[index] = UInt8(truncatingIfNeeded: generator.next())
          bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 1))))
        }
        let outcome = Self.read(bytes)
        #expect(outcome != nil, "\(name) variant \(round) did not end")
        if outcome == .refused { refused += 1 }
        variants += 1
      }
    }
    #expect(variants == 6000)
    #expect(refused > 1000)  // The damage is real, not silently ignored.
  }

  /// Random bytes behind valid magics exercise header parsing paths.
  @Test func randomBodiesBehindValidMagics() {
    var generator = SplitMix64(seed: 7)
    let magics: [[UInt8]] = [[0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D], [0x0A, 0x0D, 0x0D, 0x0A]]
    for round in 0..<600 {
      var bytes = magics[round % magics.count]
      if round % 3 == 2 { bytes += [0x1C, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A] }
      for _ in 0..<(generator.next() % 200) { bytes.append(UInt8(truncatingIfNeeded: generator.next())) }
      #expect(Self.read(bytes) != nil)
    }
  }

  /// Random bytes decoded as every link type never trap.
  @Test func decoderOnRandomBytes() {
    var generator = SplitMix64(seed: 99)
    let linkTypes: [LinkType] = [.ethernet, .raw, .null, .loop, .linuxSLL, .linuxSLL2, .ipv4, .ipv6]
    for round in 0..<4000 {
      var bytes: [UInt8] = []
      let version: UInt8 = round % 2 == 0 ? 0x45 : 0x60
      bytes.append(version)
      for _ in 0..<(generator.next() % 120) { bytes.append(UInt8(truncatingIfNeeded: generator.next())) }
      for linkType in linkTypes { _ = PacketDecoder.decode(bytes, linkType: linkType).summary }
    }
  }
}

@Suite("Trace refusals name the block")
struct TraceBlockNamingTests {
  /// A damaged block is named by its type and where it starts, besides the
  /// offset of the bad field.
  @Test func aBadLengthNamesTheBlockItIsIn() throws {
    var bytes = try TestFiles.bytes(ofFixture: "lo-ethernet.pcapng")
    let reader = TraceReader(bytes: bytes)
    var packetOffset: UInt64?
    while let record = try reader.next() {
      if case .packet(let packet) = record {
        packetOffset = packet.byteOffset
        break
      }
    }
    let start = Int(try #require(packetOffset))
    bytes[start + 4] |= 1  // length no longer a multiple of 4
    do {
      _ = try TraceReader(bytes: bytes, name: "t").readAll()
      Issue.record("accepted a damaged block")
    } catch let error as TraceError {
      #expect(error.byteOffset == UInt64(start + 4))
      #expect(
        error.message.hasPrefix(
          "in the enhanced packet block (type 0x00000006) starting at byte \(start): block length"),
        "\(error)")
    }
  }

  @Test func aFIFOIsNotATrace() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fifo-\(UUID().uuidString)").path
    #expect(mkfifo(path, 0o600) == 0)
    defer { unlink(path) }
    #expect(throws: TraceError.self) { _ = try TraceReader(path: path) }
  }
}
