import Foundation
import NetDrillTestSupport
import NetDrillTrace
import Testing

@Suite("Traces are in timestamp order")
struct TimestampOrderTests {
  // MARK: The reorder buffer

  /// Two interfaces whose packets arrive out of order with each other, as
  /// block mode hands them over: each interface's own packets in order, the
  /// other's up to 30 ms late.
  @Test func packetsOfTwoInterfacesComeOutInOrder() {
    var buffer = TimestampOrderBuffer<String>(windowNanoseconds: 50)
    var written: [String] = []
    // (arrival clock, timestamp, label): eth0 delivers 10, 20, 30 late, after lo's 15, 25.
    let arrivals: [(UInt64, UInt64, String)] = [
      (16, 15, "lo-15"), (26, 25, "lo-25"), (40, 10, "eth0-10"), (41, 20, "eth0-20"), (42, 30, "eth0-30"),
      (100, 90, "lo-90"), (200, 190, "lo-190"),
    ]
    for (now, timestamp, label) in arrivals {
      written += buffer.insert(label, timestamp: timestamp, now: now)
    }
    // By clock 200 everything stamped up to 150 has been released, in order.
    #expect(written == ["eth0-10", "lo-15", "eth0-20", "lo-25", "eth0-30", "lo-90"])
    #expect(buffer.count == 1)
    written += buffer.drain()
    #expect(written.last == "lo-190")
    #expect(buffer.lateItems == 0)
  }

  @Test func aWatermarkReleasesExactlyWhatIsBeforeIt() {
    var buffer = TimestampOrderBuffer<String>()
    buffer.add("b1", timestamp: 30)
    buffer.add("a1", timestamp: 10)
    buffer.add("a2", timestamp: 40)
    #expect(buffer.release(upTo: 9).isEmpty)
    #expect(buffer.release(upTo: 30) == ["a1", "b1"])
    buffer.add("b2", timestamp: 35)
    #expect(buffer.release(upTo: 100) == ["b2", "a2"])
    #expect(buffer.lateItems == 0 && buffer.count == 0)
  }

  @Test func nothingIsReleasedBeforeItsWindowHasPassed() {
    var buffer = TimestampOrderBuffer<Int>(windowNanoseconds: 1_000)
    #expect(buffer.insert(1, timestamp: 5_000, now: 5_500).isEmpty)
    #expect(buffer.insert(2, timestamp: 4_800, now: 5_700).isEmpty)
    #expect(buffer.insert(3, timestamp: 5_950, now: 6_000) == [2, 1])
    #expect(buffer.drain() == [3])
  }

  @Test func equalTimestampsKeepTheirArrivalOrder() {
    var buffer = TimestampOrderBuffer<Int>(windowNanoseconds: 0)
    var out: [Int] = []
    for value in 0..<5 { out += buffer.insert(value, timestamp: 7, now: 0) }
    out += buffer.drain()
    #expect(out == [0, 1, 2, 3, 4])
  }

  /// A packet later than the window allows cannot be put back before what
  /// was already written; it is written at once and counted.
  @Test func aPacketLaterThanTheWindowIsCounted() {
    var buffer = TimestampOrderBuffer<Int>(windowNanoseconds: 10)
    #expect(buffer.insert(1, timestamp: 100, now: 200) == [1])
    #expect(buffer.insert(2, timestamp: 50, now: 201) == [2])
    #expect(buffer.lateItems == 1)
  }

  /// Memory is bounded by one window, not by the run: a long steady stream
  /// keeps only the packets of the last window.
  @Test func aSteadyStreamHoldsOnlyOneWindow() {
    var buffer = TimestampOrderBuffer<Int>(windowNanoseconds: 100)
    var released = 0
    for time in stride(from: UInt64(0), to: 100_000, by: 10) {
      released += buffer.insert(Int(time), timestamp: time, now: time).count
      #expect(buffer.count <= 11)
    }
    #expect(released + buffer.count == 10_000)
  }

  // MARK: The golden traces

  static let traces: URL? = {
    var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while directory.pathComponents.count > 1 {
      let candidate = directory.appendingPathComponent("traces")
      if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path),
        FileManager.default.fileExists(atPath: candidate.path)
      {
        return candidate
      }
      directory = directory.deletingLastPathComponent()
    }
    return nil
  }()

  static var goldens: [String] {
    guard let traces, let walker = FileManager.default.enumerator(atPath: traces.path) else { return [] }
    return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".pcapng") }.sorted()
      .map { traces.appendingPathComponent($0).path }
  }

  /// Wireshark shows a packet stamped before the one above it with a negative
  /// time; tshark reads the timestamps here as Wireshark does.
  @Test(
    TsharkTests.needsTshark)
  func everyGoldenTraceHasNonDecreasingTimestamps() throws {
    let goldens = Self.goldens
    #expect(goldens.count >= 16)
    for golden in goldens {
      let output = try TsharkTests.tshark([
        "-r", golden, "-Y", "!frame.cb_pen", "-T", "fields", "-e", "frame.time_epoch",
      ])
      #expect(output.status == 0, "tshark failed on \(golden): \(output.error)")
      let stamps = output.lines.compactMap(Self.nanoseconds)
      #expect(stamps.count == output.lines.count, "\(golden): unreadable times")
      for index in stamps.indices.dropFirst() where stamps[index] < stamps[index - 1] {
        Issue.record("\(golden): packet \(index + 1) is stamped before packet \(index)")
      }
    }
  }

  /// `1795317679.400580072` as whole nanoseconds (a Double would lose the last digits).
  static func nanoseconds(_ text: String) -> UInt64? {
    let parts = text.split(separator: ".")
    guard parts.count == 2, let seconds = UInt64(parts[0]), parts[1].count <= 9,
      let fraction = UInt64(parts[1].padding(toLength: 9, withPad: "0", startingAt: 0))
    else { return nil }
    return seconds * 1_000_000_000 + fraction
  }
}
