import Glibc
import NetDrillTestSupport
import Testing

@testable import NetDrillTrace

@Suite("IPAddress")
struct IPAddressTests {
  @Test(arguments: [
    ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("::", "::"), ("2001:db8::1", "2001:db8::1"),
    ("2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("fe80:0:0:0:0:0:0:1", "fe80::1"),
    ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"), ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
    ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
  ])
  func parsesAndFormats(text: String, expected: String) {
    #expect(IPAddress(text)?.description == expected)
  }

  @Test(arguments: ["", "1.2.3", "256.1.1.1", "01.2.3.4", "1::2::3", ":::", "1:2:3:4:5:6:7:8:9", "12345::", "g::1"])
  func rejectsBadText(text: String) {
    #expect(IPAddress(text) == nil)
  }

  /// The formatter agrees with glibc's inet_ntop on addresses with many
  /// zero groups (except the deprecated `::a.b.c.d` compatible form,
  /// which RFC 5952 no longer uses and glibc still prints).
  @Test func matchesInetNtop() {
    var generator = SplitMix64(seed: 42)
    for _ in 0..<2000 {
      var bytes = [UInt8](repeating: 0, count: 16)
      for group in 0..<8 where generator.next() % 2 == 0 {
        bytes[group * 2] = UInt8(truncatingIfNeeded: generator.next() % 3 == 0 ? generator.next() : 0)
        bytes[group * 2 + 1] = UInt8(truncatingIfNeeded: generator.next())
      }
      let compatible = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0 && bytes[11] == 0
      if compatible { continue }
      var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
      let ok = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) } != nil
      #expect(ok)
      let expected = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      #expect(IPAddress.v6(bytes).description == expected)
      #expect(IPAddress(expected) == .v6(bytes))
    }
  }
}
