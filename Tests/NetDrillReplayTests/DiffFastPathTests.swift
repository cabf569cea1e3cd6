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

  @Test("packet texts are equal by bytes or, failing that, canonically")
  func sameBytes() {
    #expect(StreamingDiff.sameBytes("UDP a → b len=3", "UDP a → b len=3"))
    #expect(!StreamingDiff.sameBytes("UDP a → b len=3", "UDP a → b len=4"))
    #expect(!StreamingDiff.sameBytes("", "x"))
    #expect(StreamingDiff.sameBytes("", ""))
    #expect(!StreamingDiff.sameBytes("caf\u{E9}", "cafe\u{301}"))
  }
}
