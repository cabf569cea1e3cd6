import Foundation
import NetDrillTestSupport
import Testing

@testable import NetDrillReplay

/// The lookups the streaming diff does for every packet answer exactly as
/// the `Set` and `Dictionary` of `String`s they replace.
@Suite("Diff fast paths: field-name and flow lookups agree with String's own equality")
struct DiffFastPathTests {
  @Test("the compared-field set answers as Set<String> for every field, under --ignore and --compare")
  func comparedFieldSetAgreesWithSet() {
    let names = DiffField.table.map(\.name) + ["quote.payload", "no-such-field", "", "payload-lengthx"]
    let cases = [
      NormalizationOptions(),
      NormalizationOptions(ignored: ["payload", "tcp-flags"]),
      NormalizationOptions(compared: Set(NormalizationOptions.volatileFields)),
    ]
    for options in cases {
      let set = ComparedFieldSet(options.comparedFields)
      for name in names {
        #expect(set.contains(name) == options.compares(name), "\(name)")
      }
    }
  }

  @Test("a flow location spelt in other but canonically equal code points is the same flow")
  func flowIndexUsesCanonicalEquality() {
    var index = FlowIndex()
    var added = 0
    func add() -> Int {
      added += 1
      return added - 1
    }
    let composed = "flow UDP caf\u{E9}:port#1 → server on a/lo"
    let decomposed = "flow UDP cafe\u{301}:port#1 → server on a/lo"
    #expect(composed == decomposed)
    #expect(index.index(of: composed, add: add) == 0)
    #expect(index.index(of: "flow UDP client → server on a/lo", add: add) == 1)
    #expect(index.index(of: decomposed, add: add) == 0)
    #expect(index.index(of: composed, add: add) == 0)
    #expect(added == 2)
  }

  @Test("held packets match when their texts are equal by bytes or, failing that, canonically")
  func heldPacketTextEquality() {
    func held(_ summary: String) -> HeldPacket {
      var text = PacketText()
      text.summary = Array(summary.utf8)
      return HeldPacket(text, interface: "a/lo", step: nil, timestamp: 0)
    }
    #expect(held("UDP a → b len=3").hasSameText(as: held("UDP a → b len=3")))
    #expect(!held("UDP a → b len=3").hasSameText(as: held("UDP a → b len=4")))
    #expect(!held("").hasSameText(as: held("x")))
    #expect(held("").hasSameText(as: held("")))
    #expect(held("caf\u{E9}").hasSameText(as: held("cafe\u{301}")))
    // Against a packet not held: its text is its summary and fields together, wherever they part.
    func unheld(_ summary: String, _ fields: String) -> PacketText {
      var text = PacketText()
      text.summary = Array(summary.utf8)
      text.fields = Array(fields.utf8)
      return text
    }
    #expect(held("UDP a → b len=3 payload=00").hasSameText(as: unheld("UDP a → b len=3", " payload=00")))
    #expect(held("UDP a → b len=3 payload=00").hasSameText(as: unheld("UDP a → b", " len=3 payload=00")))
    #expect(!held("UDP a → b len=3 payload=00").hasSameText(as: unheld("UDP a → b len=3", " payload=01")))
    #expect(!held("UDP a → b len=3").hasSameText(as: unheld("UDP a → b len=3", " payload=00")))
    #expect(held("").hasSameText(as: unheld("", "")))
    #expect(held("caf\u{E9} x").hasSameText(as: unheld("cafe\u{301}", " x")))
  }

  @Test(
    "a held packet shows as the normalizer's packet, for every packet of every golden, under --ignore and --compare")
  func heldPacketRoundTrip() throws {
    let optionSets = [
      NormalizationOptions(),
      NormalizationOptions(ignored: ["payload", "quote", "tcp-seq"]),
      NormalizationOptions(compared: Set(NormalizationOptions.volatileFields)),
    ]
    var checked = 0
    let walker = FileManager.default.enumerator(at: TestPaths.traces, includingPropertiesForKeys: nil)
    let goldens = (walker?.compactMap { $0 as? URL } ?? []).filter { $0.pathExtension == "pcapng" }.map(\.path)
    #expect(goldens.count >= 20)
    for path in goldens.sorted() {
      let document = try TraceDocument.load(path: path)
      for options in optionSets {
        var normalizer = PacketNormalizer(names: document.manifest.run.names, options: options)
        var writer = PacketNormalizer(names: document.manifest.run.names, options: options)
        var text = PacketText()
        for packet in document.packets {
          let expected = normalizer.normalize(
            packet.decoded, interface: "i", step: "s", timestamp: packet.normalized.timestampNanoseconds)
          writer.write(packet.decoded, into: &text)
          let held = HeldPacket(text, interface: "i", step: "s", timestamp: packet.normalized.timestampNanoseconds)
          #expect(held.normalized == expected, "\(path)")
          #expect(expected.text == ([expected.summary] + expected.fields).joined(separator: " "))
          checked += 1
        }
      }
    }
    #expect(checked > 100)
  }
}
