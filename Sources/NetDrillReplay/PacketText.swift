/// A packet's flow, readable head and compared fields as UTF-8 bytes: exactly
/// the bytes of ``NormalizedPacket``'s `flow`, `summary`, `fields` and `text`,
/// written without a `String` per piece.
///
/// Why bytes: the streaming diff compares every packet of two traces, and
/// building strings was more than half of its time. It compares these bytes
/// and turns them into a ``NormalizedPacket`` only for packets it shows.
struct PacketText {
  var flow: [UInt8] = []
  var summary: [UInt8] = []
  /// Every compared field, each preceded by a space, so `summary + fields`
  /// is the packet's whole text.
  var fields: [UInt8] = []
  /// Where each field starts in `fields` (just after its space).
  var fieldStarts: [Int] = []

  /// Empties the text for the next packet, keeping the storage.
  mutating func clear() {
    flow.removeAll(keepingCapacity: true)
    summary.removeAll(keepingCapacity: true)
    fields.removeAll(keepingCapacity: true)
    fieldStarts.removeAll(keepingCapacity: true)
  }

  /// Each field's bytes, in order.
  var fieldSlices: [ArraySlice<UInt8>] {
    fieldStarts.indices.map { index in
      let end = index + 1 < fieldStarts.count ? fieldStarts[index + 1] - 1 : fields.count
      return fields[fieldStarts[index]..<end]
    }
  }

  /// Appends the fields of a quoted datagram's description.
  mutating func appendFields(of other: PacketText) {
    for start in other.fieldStarts { fieldStarts.append(fields.count + start) }
    fields += other.fields
  }
}

extension NormalizedPacket {
  /// The packet whose strings are `text`'s bytes.
  init(_ text: PacketText, interface: String, step: String?, timestampNanoseconds: UInt64) {
    self.init(
      flow: String(decoding: text.flow, as: UTF8.self), summary: String(decoding: text.summary, as: UTF8.self),
      fields: text.fieldSlices.map { String(decoding: $0, as: UTF8.self) }, interface: interface, step: step,
      timestampNanoseconds: timestampNanoseconds)
  }
}

/// Writers of the values a packet's text holds, in the spelling
/// string interpolation gives them (`"\(number)"`), straight into bytes.
extension Array where Element == UInt8 {
  private static let hexDigits = Array("0123456789abcdef".utf8)

  mutating func write(_ text: String) {
    append(contentsOf: text.utf8)
  }

  mutating func write(_ text: StaticString) {
    text.withUTF8Buffer { append(contentsOf: $0) }
  }

  /// As `"\(value)"`.
  mutating func writeDecimal<Value: BinaryInteger>(_ value: Value) {
    if value < 0 { append(UInt8(ascii: "-")) }
    var magnitude = UInt64(value.magnitude)
    let start = count
    repeat {
      append(UInt8(ascii: "0") + UInt8(magnitude % 10))
      magnitude /= 10
    } while magnitude > 0
    self[start...].reverse()
  }

  /// As `"0x" + String(value, radix: 16)`: no leading zeros.
  mutating func writeHexNumber<Value: BinaryInteger>(_ value: Value) {
    write("0x" as StaticString)
    var magnitude = UInt64(value.magnitude)
    let start = count
    repeat {
      append(Self.hexDigits[Int(magnitude & 0xf)])
      magnitude >>= 4
    } while magnitude > 0
    self[start...].reverse()
  }

  /// `0x` and two hex digits.
  mutating func writeHex8(_ value: UInt8) {
    write("0x" as StaticString)
    append(Self.hexDigits[Int(value >> 4)])
    append(Self.hexDigits[Int(value & 0xf)])
  }

  /// `0x` and four hex digits.
  mutating func writeHex16(_ value: UInt16) {
    write("0x" as StaticString)
    for shift in [12, 8, 4, 0] as [UInt16] { append(Self.hexDigits[Int((value >> shift) & 0xf)]) }
  }

  /// Two hex digits per byte, nothing between.
  mutating func writeHex(_ bytes: [UInt8]) {
    reserveCapacity(count + bytes.count * 2)
    for byte in bytes {
      append(Self.hexDigits[Int(byte >> 4)])
      append(Self.hexDigits[Int(byte & 0xf)])
    }
  }

  /// `aa:bb:cc…`.
  mutating func writeMAC(_ bytes: [UInt8]) {
    for (index, byte) in bytes.enumerated() {
      if index > 0 { append(UInt8(ascii: ":")) }
      append(Self.hexDigits[Int(byte >> 4)])
      append(Self.hexDigits[Int(byte & 0xf)])
    }
  }

  /// `items` written one by one, `separator` between.
  mutating func write<Items: Sequence>(
    _ items: Items, separator: StaticString, each: (inout [UInt8], Items.Element) -> Void
  ) {
    var first = true
    for item in items {
      if !first { write(separator) }
      first = false
      each(&self, item)
    }
  }
}
