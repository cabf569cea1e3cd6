/// One packet as seen on a target's interface.
public struct CapturedPacket: Sendable, Equatable {
  /// Index into the `targets` the capture was started with.
  public var targetIndex: Int
  /// Kernel receive time, nanoseconds since the Unix epoch (CLOCK_REALTIME).
  public var timestampNanoseconds: UInt64
  /// Length of the packet on the wire; `data` may be shorter (snap length).
  public var originalLength: UInt32
  /// The captured bytes, starting with the link-layer header.
  public var data: [UInt8]

  public init(targetIndex: Int, timestampNanoseconds: UInt64, originalLength: UInt32, data: [UInt8]) {
    self.targetIndex = targetIndex
    self.timestampNanoseconds = timestampNanoseconds
    self.originalLength = originalLength
    self.data = data
  }
}
