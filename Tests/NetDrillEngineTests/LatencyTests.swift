import Foundation
import NetDrillScenario
import NetDrillTestSupport
import Testing

@testable import NetDrillEngine

/// The histogram on known inputs: each percentile within its bucket's resolution (1/16).
@Suite("Latency: histogram")
struct LatencyHistogramTests {
  @Test("percentiles of 1…10000 ns are within 1/16 above the true value")
  func percentilesOfAUniformRange() {
    var histogram = LatencyHistogram()
    for value in 1...10_000 { histogram.record(UInt64(value)) }
    let summary = histogram.summary
    #expect(summary.samples == 10_000)
    for (reported, truth) in [(summary.p50, 5_000.0), (summary.p90, 9_000.0), (summary.p99, 9_900.0)] {
      #expect(Double(reported) >= truth && Double(reported) <= truth * (1 + 1.0 / 16), "\(reported) vs \(truth)")
    }
    #expect(summary.max == 10_000)
  }

  @Test("values below 16 ns are exact; a percentile never exceeds the largest sample")
  func smallValuesAreExact() {
    var histogram = LatencyHistogram()
    for value: UInt64 in [3, 3, 3, 7, 12] { histogram.record(value) }
    #expect(histogram.percentile(0.5) == 3)
    #expect(histogram.percentile(0.8) == 7)
    #expect(histogram.percentile(1) == 12)
    var one = LatencyHistogram()
    one.record(1_000_003)
    #expect(one.percentile(0.5) == 1_000_003)
  }

  @Test("a skewed distribution: 99 fast, 1 slow; anything past 60 s counts as 60 s")
  func skewedAndClamped() {
    var histogram = LatencyHistogram()
    for _ in 0..<99 { histogram.record(20_000) }
    histogram.record(2_000_000_000_000)
    #expect(histogram.percentile(0.5) >= 20_000 && histogram.percentile(0.5) <= 20_000 + 20_000 / 16)
    #expect(histogram.percentile(0.99) <= 20_000 + 20_000 / 16)
    #expect(histogram.maximum == LatencyHistogram.ceiling)
    #expect(LatencyHistogram.bucket(of: LatencyHistogram.ceiling) < LatencyHistogram.bucketCount)
  }

  @Test("every bucket's upper bound falls in that bucket and the next value in the next")
  func bucketBoundsAgree() {
    for index in 0..<(LatencyHistogram.bucketCount - 1) {
      let top = LatencyHistogram.upperBound(of: index)
      #expect(LatencyHistogram.bucket(of: top) == index)
      #expect(LatencyHistogram.bucket(of: top + 1) == index + 1)
    }
  }

  @Test("a send time is found by its number, and not once its slot holds a number 65,536 later")
  func sendTimesTellReusedSlotsApart() {
    let times = SendTimes()
    let start = monotonicNanoseconds()
    times.record(7, at: start)
    #expect(times.latency(of: 7, at: start + 1_500) == 1_500)
    #expect(times.latency(of: 8, at: start + 1_500) == nil)
    times.record(7 + UInt64(SendTimes.capacity), at: start + 10)
    #expect(times.latency(of: 7, at: start + 1_500) == nil)
    #expect(times.latency(of: 7 + UInt64(SendTimes.capacity), at: start + 1_500) == 1_490)
  }

  @Test func durationsAreWrittenInTheirUnit() {
    #expect(LatencySummary.format(850) == "850ns")
    #expect(LatencySummary.format(12_000) == "12µs")
    #expect(LatencySummary.format(1_200_000) == "1.2ms")
    #expect(LatencySummary.format(2_500_000_000) == "2.5s")
  }
}

/// Latency measured on real datagrams: one sample per datagram received.
@Suite("Latency: runs", .privileged, .serialized)
struct LatencyRunTests {
  private func run(_ json: String) throws -> RunResult {
    try ScenarioRunner.run(ScenarioParser.parse(data: Array(json.utf8), file: "latency.json"))
  }

  private func repetition(_ result: RunResult) throws -> RepetitionOutcome {
    try #require(result.outcomes.compactMap(\.repetition).first)
  }

  private static func loopback(timestamps: Bool, call: String = #""send": "client""#, expect: String = "{}") -> String {
    """
    {"netdrill": 1, "name": "latency",
     "sockets": {"client": {"type": "udp"}, "server": {"type": "udp", "options": {"SO_RCVBUFFORCE": 134217728}}},
     "steps": [
      {"bind": "server", "address": "127.0.0.1:0"}, {"connect": "client", "to": "server"},
      {"repeat": {"count": 10000}, "id": "timed", "receiver": "server", "timestamps": \(timestamps),
       "steps": [{\(call), "data": {"sequence": 64}}], "expect": \(expect)}
     ]}
    """
  }

  @Test("10,000 datagrams on loopback: one sample per datagram received, 0 < p50 ≤ p99 ≤ max < 10 s")
  func loopbackLatency() throws {
    let result = try run(Self.loopback(timestamps: true, expect: #"{"received": 10000}"#))
    let outcome = try repetition(result)
    #expect(result.passed, "\(outcome)")
    let receiver = try #require(outcome.receiver)
    let latency = try #require(receiver.latency)
    #expect(latency.samples == receiver.received)
    #expect(0 < latency.p50 && latency.p50 <= latency.p90 && latency.p90 <= latency.p99 && latency.p99 <= latency.max)
    #expect(latency.max < 10_000_000_000)
    #expect(outcome.summary.contains("latency p50 "), "\(outcome.summary)")
  }

  @Test("sendmmsg: one send time for each batch, still one sample per datagram")
  func sendmmsgLatency() throws {
    let result = try run(Self.loopback(timestamps: true, call: #""sendmmsg": "client", "count": 16"#))
    let receiver = try #require(try repetition(result).receiver)
    #expect(receiver.received == 160_000)
    #expect(receiver.latency?.samples == receiver.received)
  }

  @Test("without timestamps the outcome has no latency")
  func offByDefault() throws {
    let result = try run(Self.loopback(timestamps: false))
    let outcome = try repetition(result)
    #expect(result.passed, "\(outcome)")
    #expect(outcome.receiver?.received == 10_000)
    #expect(outcome.receiver?.latency == nil)
    #expect(!outcome.summary.contains("latency"))
  }

  @Test(
    "a latency bound fails the run when wrong, passes when generous (one mutation per statistic)",
    arguments: ["p50", "p90", "p99", "max"])
  func mutation(_ statistic: String) throws {
    let tight = try run(Self.loopback(timestamps: true, expect: #"{"latency": {"\#(statistic)": {"max": "1ns"}}}"#))
    #expect(!tight.passed)
    #expect(tight.failedChecks == 1)
    let generous = try run(
      Self.loopback(timestamps: true, expect: #"{"latency": {"\#(statistic)": {"min": "1ns", "max": "60s"}}}"#))
    let outcome = try repetition(generous)
    #expect(generous.passed, "\(outcome)")
  }

  // Paced, with room in the receive buffer: the only loss is the fault's.
  @Test("a lossy link: samples count the datagrams received, not those sent")
  func lossyLink() throws {
    let result = try run(
      LossyLinkScenario.text(
        steps: """
          {"repeat": {"count": 1000, "rate": "20000/s"}, "receiver": {"socket": "server", "idle": "300ms"}, "timestamps": true,
           "steps": [{"sendto": "client", "to": "192.0.2.2:7100", "data": {"sequence": 100}}],
           "expect": {"calls": 1000, "lost": 500, "received": 500}}
          """))
    let outcome = try repetition(result)
    #expect(result.passed, "\(outcome)")
    #expect(outcome.receiver?.received == 500)
    #expect(outcome.receiver?.latency?.samples == 500)
  }
}
