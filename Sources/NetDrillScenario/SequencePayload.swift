/// The layout of a `{"sequence": N}` payload: bytes 0..<8 the datagram's
/// number (big-endian), then a fill that is the same in every datagram, so a
/// receiver can tell loss, duplicates and reordering from the number and
/// damage from the fill.
public struct SequencePayload: Sendable, Equatable {
  public static let numberSize = 8
  public let size: Int
  public let fill: [UInt8]

  public init(size: Int, seed: UInt64) {
    self.size = size
    fill = PatternGenerator.bytes(count: max(0, size - Self.numberSize), seed: seed)
  }

  public func bytes(number: UInt64) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: size)
    bytes.withUnsafeMutableBytes { Self.write(number, into: $0.baseAddress!) }
    bytes.replaceSubrange(Self.numberSize..., with: fill)
    return bytes
  }

  /// Patches a datagram's number in place.
  @inline(__always)
  public static func write(_ number: UInt64, into base: UnsafeMutableRawPointer) {
    base.storeBytes(of: number.bigEndian, as: UInt64.self)
  }

  @inline(__always)
  public static func read(from base: UnsafeRawPointer) -> UInt64 {
    UInt64(bigEndian: base.loadUnaligned(as: UInt64.self))
  }
}
