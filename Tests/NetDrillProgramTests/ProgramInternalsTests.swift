import Testing

@testable import NetDrillNetwork

@Suite("Program internals (no privileges)")
struct ProgramInternalsTests {
  @Test("rows of /proc/net/udp and /proc/net/tcp6 give the local port and state")
  func parsesProcNet() {
    let udp = """
        sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
       12: 0100007F:1B5F 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1234 2 0000000000000000 0
      """
    let tcp6 = """
        sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
         0: 00000000000000000000000000000000:1B60 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1
      """
    #expect(ProcNetSockets.parse(udp).map(\.port) == [7007])
    #expect(ProcNetSockets.parse(udp).map(\.state) == [0x07])
    #expect(ProcNetSockets.parse(tcp6).map(\.port) == [7008])
    #expect(ProcNetSockets.parse(tcp6).map(\.state) == [0x0A])
    #expect(ProcNetSockets.parse("header only\n").isEmpty)
  }

  @Test("the ready text is found within one line, however the bytes are chunked, on either stream")
  func lineMatcher() {
    func feed(_ chunks: [(String, Int)], needle: String) -> Bool {
      var matcher = LineMatcher(needle: Array(needle.utf8))
      return chunks.contains { chunk, stream in
        Array(chunk.utf8).withUnsafeBytes { matcher.feed($0, stream: stream) }
      }
    }
    #expect(feed([("server re", 0), ("ady on 7007\n", 0)], needle: "ready"))
    #expect(feed([("noise\n", 0), ("ready", 1)], needle: "ready"), "an unfinished line counts")
    #expect(!feed([("rea\n", 0), ("dy\n", 0)], needle: "ready"), "a match may not span lines")
    #expect(!feed([("rea", 0), ("dy", 1)], needle: "ready"), "nor streams")
  }

  @Test("captured output keeps the first MiB and says how much it dropped")
  func capturedStream() {
    var stream = CapturedStream()
    let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: ProgramOutputLimit.bytes - 10)
    chunk.withUnsafeBytes { stream.append($0) }
    Array("0123456789abc".utf8).withUnsafeBytes { stream.append($0) }
    #expect(stream.kept.count == ProgramOutputLimit.bytes)
    #expect(stream.dropped == 3)
    #expect(stream.text.hasSuffix("0123456789\n[netdrill: output cut after 1048576 bytes; 3 more bytes dropped]\n"))
  }
}
