import Foundation
import NetDrillScenario

/// Latencies counted in fixed log-linear buckets: exact below 16 ns, then 16
/// buckets per power of two (each 1/16 of its power wide, so a percentile is
/// at most 6.25% above the true value), up to 60 s (longer ones count as 60 s).
/// 528 counters whatever the number of datagrams: nothing kept per datagram.
struct LatencyHistogram {
  static let ceiling: UInt64 = 60_000_000_000
  private static let subBits = 4
  private static let subBuckets = 1 << subBits
  /// Up to 2^36 ns (68.7 s, above the ceiling): exponents 4…35 after the 16 exact values.
  static let bucketCount = subBuckets + (36 - subBits) * subBuckets

  private var counts = [UInt64](repeating: 0, count: bucketCount)
  private(set) var samples = 0
  private(set) var maximum: UInt64 = 0

  mutating func record(_ nanoseconds: UInt64) {
    let value = min(nanoseconds, Self.ceiling)
    counts[Self.bucket(of: value)] += 1
    samples += 1
    maximum = max(maximum, value)
  }

  static func bucket(of value: UInt64) -> Int {
    if value < UInt64(subBuckets) { return Int(value) }
    let exponent = 63 - value.leadingZeroBitCount
    let sub = Int((value >> (exponent - subBits)) & UInt64(subBuckets - 1))
    return subBuckets + (exponent - subBits) * subBuckets + sub
  }

  /// The largest value bucket `index` holds.
  static func upperBound(of index: Int) -> UInt64 {
    if index < subBuckets { return UInt64(index) }
    let exponent = (index - subBuckets) / subBuckets + subBits
    let sub = UInt64((index - subBuckets) % subBuckets)
    return ((UInt64(subBuckets) + sub + 1) << (exponent - subBits)) - 1
  }

  /// The value `fraction` of the samples are at or below: the upper bound of
  /// its bucket, never above the largest sample. 0 without samples.
  func percentile(_ fraction: Double) -> UInt64 {
    guard samples > 0 else { return 0 }
    let rank = UInt64(max(1, (fraction * Double(samples)).rounded(.up)))
    var seen: UInt64 = 0
    for (index, count) in counts.enumerated() where count > 0 {
      seen += count
      if seen >= rank { return min(Self.upperBound(of: index), maximum) }
    }
    return maximum
  }

  var summary: LatencySummary {
    LatencySummary(
      samples: samples, p50: percentile(0.5), p90: percentile(0.9), p99: percentile(0.99), max: maximum)
  }
}

/// A background receiver's latency (`"timestamps": true`), in nanoseconds:
/// from just before the send call to the receiver's read of the datagram's batch.
/// Differs from run to run: never compared with a golden.
public struct LatencySummary: Sendable, Codable, Equatable {
  public var samples: Int
  public var p50: UInt64
  public var p90: UInt64
  public var p99: UInt64
  public var max: UInt64

  public func value(of statistic: LatencyBound.Statistic) -> UInt64 {
    switch statistic {
    case .p50: return p50
    case .p90: return p90
    case .p99: return p99
    case .max: return max
    }
  }

  /// `latency p50 12µs p90 30µs p99 80µs max 1.2ms (10000 samples)`.
  public var text: String {
    "latency p50 \(Self.format(p50)) p90 \(Self.format(p90)) p99 \(Self.format(p99)) max \(Self.format(max)) (\(samples) samples)"
  }

  /// Nanoseconds in the largest unit that keeps a digit before the point, with at most 3 significant digits.
  public static func format(_ nanoseconds: UInt64) -> String {
    let units: [(Double, String)] = [(1e9, "s"), (1e6, "ms"), (1e3, "µs")]
    let value = Double(nanoseconds)
    for (scale, unit) in units where value >= scale {
      let scaled = value / scale
      let decimals = scaled >= 100 ? 0 : scaled >= 10 ? 1 : 2
      var text = String(format: "%.\(decimals)f", scaled)
      if text.contains(".") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
      }
      return text + unit
    }
    return "\(nanoseconds)ns"
  }
}
