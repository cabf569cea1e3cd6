import Glibc
import NetDrillScenario
import NetDrillSockets
import Testing

@testable import NetDrillEngine

/// The bytes setsockopt(2)/getsockopt(2) exchange, from and back to the scenario's words. The byte layouts
/// are the kernel's (int, struct linger, struct timeval, struct in_addr), so each is checked against the C
/// struct built directly, not against OptionCodec's own output.
@Suite("OptionCodec: option values to kernel bytes and back")
struct OptionCodecTests {
  private func bytes<T>(of value: T) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }

  @Test("an integer is a native C int; booleans are 0/1 ints", arguments: [0, 1, -1, 65_535, Int(Int32.max)])
  func integer(value: Int) {
    let encoded = OptionCodec.encode(.integer(value), kind: .integer)
    #expect(encoded == bytes(of: Int32(value)))
    #expect(OptionCodec.decode(encoded, kind: .integer) == .integer(value))
    #expect(OptionCodec.decode(encoded, kind: .boolean) == .integer(value))
  }

  @Test("an integer out of a C int's range is clamped, not wrapped")
  func clamped() {
    #expect(OptionCodec.encode(.integer(Int(Int32.max) + 10), kind: .integer) == bytes(of: Int32.max))
    #expect(OptionCodec.encode(.integer(Int(Int32.min) - 10), kind: .integer) == bytes(of: Int32.min))
  }

  @Test("linger is struct linger {l_onoff, l_linger}")
  func linger() {
    let encoded = OptionCodec.encode(.linger(onoff: true, seconds: 7), kind: .linger)
    #expect(encoded == bytes(of: Glibc.linger(l_onoff: 1, l_linger: 7)))
    #expect(OptionCodec.decode(encoded, kind: .linger) == .linger(onoff: true, seconds: 7))
  }

  @Test("a duration is struct timeval, microseconds kept")
  func duration() {
    let encoded = OptionCodec.encode(.duration(.milliseconds(1_250)), kind: .duration)
    #expect(encoded == bytes(of: timeval(tv_sec: 1, tv_usec: 250_000)))
    #expect(OptionCodec.decode(encoded, kind: .duration) == .duration(.milliseconds(1_250)))
  }

  @Test("an IPv4 address is struct in_addr in network order")
  func ipv4Address() {
    let encoded = OptionCodec.encode(.text("192.0.2.7"), kind: .ipv4Address)
    #expect(encoded == [192, 0, 2, 7])
    #expect(OptionCodec.decode(encoded, kind: .ipv4Address) == .text("192.0.2.7"))
    #expect(OptionCodec.decode([192, 0], kind: .ipv4Address) == .text(""), "a short answer is no address")
  }

  @Test("an interface name is NUL-terminated; an empty one is zero bytes (unbinds SO_BINDTODEVICE)")
  func interface() {
    #expect(OptionCodec.encode(.text("lo"), kind: .interface) == [0x6C, 0x6F, 0])
    #expect(OptionCodec.encode(.text(""), kind: .interface) == [])
    #expect(OptionCodec.decode([0x6C, 0x6F, 0, 0x41], kind: .interface) == .text("lo"))
  }

  @Test("SO_ERROR: 0 is no error, anything else the errno of that number")
  func errno() {
    #expect(OptionCodec.decode(bytes(of: Int32(0)), kind: .errno) == .errno(nil))
    #expect(OptionCodec.decode(bytes(of: ECONNREFUSED), kind: .errno) == .errno(Errno(rawValue: ECONNREFUSED)))
    #expect(OptionCodec.encode(.errno(nil), kind: .errno) == bytes(of: Int32(0)))
  }

  @Test("an answer shorter than the type decodes to zero instead of reading past it")
  func short() {
    #expect(OptionCodec.decode([1, 0], kind: .integer) == .integer(0))
    #expect(OptionCodec.decode([], kind: .linger) == .linger(onoff: false, seconds: 0))
  }
}
