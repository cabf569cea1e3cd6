import Foundation
import NetDrillTestSupport
import Testing

/// `SO_RCVBUFFORCE` sets a receive buffer beyond `net.core.rmem_max`, which
/// caps `SO_RCVBUF`: the bench scenario's receiver needs room for a burst of
/// 100,000 datagrams on a busy machine.
@Suite("SO_RCVBUFFORCE", .privileged)
struct ReceiveBufferForceTests {
  private func readBack(_ option: String, _ bytes: Int, expect: Int) throws -> CommandResult {
    let file = try temporaryScenario(
      """
      {"netdrill": 1, "name": "rcvbuf",
       "sockets": {"s": {"type": "udp", "options": {"\(option)": \(bytes)}}},
       "steps": [{"getsockopt": "s", "option": "SO_RCVBUF", "expect": {"value": \(expect)}}]}
      """)
    return try Command.netdrill(["run", "--color", "never", file])
  }

  @Test("SO_RCVBUFFORCE goes past rmem_max, where SO_RCVBUF stops (the kernel doubles both)")
  func forcePassesTheCap() throws {
    let text = try String(contentsOfFile: "/proc/sys/net/core/rmem_max", encoding: .utf8)
    let cap = try #require(Int(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    let wanted = 2 * cap
    let forced = try readBack("SO_RCVBUFFORCE", wanted, expect: 2 * wanted)
    #expect(forced.status == 0, "\(forced.standardOutput)\(forced.standardError)")
    let capped = try readBack("SO_RCVBUF", wanted, expect: 2 * cap)
    #expect(capped.status == 0, "\(capped.standardOutput)\(capped.standardError)")
    // A wrong expected value fails: the forced buffer is not the capped one.
    let wrong = try readBack("SO_RCVBUFFORCE", wanted, expect: 2 * cap)
    #expect(wrong.status == 1, "\(wrong.standardOutput)")
  }
}
