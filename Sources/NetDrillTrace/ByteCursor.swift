/// Bounds-checked integer reads from a byte array.
///
/// Every read returns `nil` instead of trapping when it would run past the
/// end, because both the trace reader and the packet decoder work on
/// untrusted bytes.
struct ByteCursor {
  let bytes: [UInt8]
  /// `true` for network order (packets, big-endian traces).
  var bigEndian: Bool

  init(_ bytes: [UInt8], bigEndian: Bool = true) {
    self.bytes = bytes
    self.bigEndian = bigEndian
  }

  var count: Int { bytes.count }

  func has(_ offset: Int, _ length: Int) -> Bool {
    offset >= 0 && length >= 0 && offset <= bytes.count && length <= bytes.count - offset
  }

  func u8(_ offset: Int) -> UInt8? {
    has(offset, 1) ? bytes[offset] : nil
  }

  func u16(_ offset: Int) -> UInt16? {
    guard has(offset, 2) else { return nil }
    let a = UInt16(bytes[offset]), b = UInt16(bytes[offset + 1])
    return bigEndian ? a << 8 | b : b << 8 | a
  }

  func u32(_ offset: Int) -> UInt32? {
    guard has(offset, 4) else { return nil }
    var value: UInt32 = 0
    for i in 0..<4 {
      let byte = UInt32(bytes[offset + (bigEndian ? i : 3 - i)])
      value = value << 8 | byte
    }
    return value
  }

  func u64(_ offset: Int) -> UInt64? {
    guard has(offset, 8) else { return nil }
    var value: UInt64 = 0
    for i in 0..<8 {
      let byte = UInt64(bytes[offset + (bigEndian ? i : 7 - i)])
      value = value << 8 | byte
    }
    return value
  }

  /// Up to `length` bytes from `offset`, fewer if the array ends first.
  func prefix(from offset: Int, length: Int) -> [UInt8] {
    guard offset >= 0, offset < bytes.count, length > 0 else { return [] }
    let end = offset + min(length, bytes.count - offset)
    return Array(bytes[offset..<end])
  }

  /// Everything from `offset` to the end (empty when past the end).
  func suffix(from offset: Int) -> [UInt8] {
    guard offset >= 0, offset < bytes.count else { return [] }
    return Array(bytes[offset...])
  }
}
