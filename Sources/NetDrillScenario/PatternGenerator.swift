/// Deterministic payload bytes from a seed, identical on every machine and
/// every run, so golden traces stay byte-for-byte comparable.
///
/// SplitMix64 (Steele, Lea, Flood 2014): tiny, well-distributed, and fixed
/// here rather than taken from the standard library, whose generators are
/// not guaranteed stable across releases.
public enum PatternGenerator {
  public static func bytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    var out = [UInt8]()
    out.reserveCapacity(count)
    while out.count < count {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      z ^= z >> 31
      for shift in stride(from: 0, to: 64, by: 8) where out.count < count {
        out.append(UInt8(truncatingIfNeeded: z >> UInt64(shift)))
      }
    }
    return out
  }
}
