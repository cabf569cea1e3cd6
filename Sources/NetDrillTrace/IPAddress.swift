/// An IPv4 or IPv6 address as raw bytes in network order.
///
/// The decoder always produces 4 bytes for `.v4` and 16 for `.v6`; use
/// ``init(bytes:)`` to build one with the length checked.
public enum IPAddress: Sendable, Hashable, Codable, CustomStringConvertible {
  case v4([UInt8])
  case v6([UInt8])

  /// An address from 4 (IPv4) or 16 (IPv6) bytes; `nil` for other lengths.
  public init?(bytes: [UInt8]) {
    switch bytes.count {
    case 4: self = .v4(bytes)
    case 16: self = .v6(bytes)
    default: return nil
    }
  }

  /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::` and an
  /// optional embedded IPv4 tail); `nil` when the text is not an address.
  public init?(_ text: String) {
    if let v4 = Self.parseIPv4(Substring(text)) {
      self = .v4(v4)
    } else if let v6 = Self.parseIPv6(text) {
      self = .v6(v6)
    } else {
      return nil
    }
  }

  /// The address bytes in network order.
  public var bytes: [UInt8] {
    switch self {
    case .v4(let bytes), .v6(let bytes): bytes
    }
  }

  /// `true` for IPv6.
  public var isIPv6: Bool {
    if case .v6 = self { return true }
    return false
  }

  /// The standard text form: dotted quad, or RFC 5952 IPv6 (lower-case hex,
  /// the longest run of two or more zero groups as `::`, the first if tied,
  /// and IPv4-mapped addresses as `::ffff:a.b.c.d`).
  public var description: String {
    switch self {
    case .v4(let bytes):
      guard bytes.count == 4 else { return Self.hex(bytes) }
      return bytes.map(String.init).joined(separator: ".")
    case .v6(let bytes):
      guard bytes.count == 16 else { return Self.hex(bytes) }
      return Self.formatIPv6(bytes)
    }
  }

  /// The address as it appears next to a port: IPv6 in brackets.
  public var withPortBrackets: String {
    isIPv6 ? "[\(description)]" : description
  }

  private static func formatIPv6(_ bytes: [UInt8]) -> String {
    var groups: [UInt16] = []
    for i in stride(from: 0, to: 16, by: 2) {
      groups.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
    }
    if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
      return "::ffff:" + bytes[12..<16].map(String.init).joined(separator: ".")
    }
    // Longest run of zero groups; RFC 5952 §4.2.2: never a single group.
    var bestStart = -1, bestLength = 0, runStart = -1
    for i in 0...8 {
      if i < 8 && groups[i] == 0 {
        if runStart < 0 { runStart = i }
      } else if runStart >= 0 {
        if i - runStart > bestLength {
          bestStart = runStart
          bestLength = i - runStart
        }
        runStart = -1
      }
    }
    let hex = groups.map { String($0, radix: 16) }
    guard bestLength >= 2 else { return hex.joined(separator: ":") }
    let head = hex[0..<bestStart].joined(separator: ":")
    let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
    return head + "::" + tail
  }

  private static func hex(_ bytes: [UInt8]) -> String {
    "<" + bytes.map { String($0, radix: 16) }.joined(separator: " ") + ">"
  }

  private static func parseIPv4(_ text: Substring) -> [UInt8]? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return nil }
    var bytes: [UInt8] = []
    for part in parts {
      guard (1...3).contains(part.count), part.allSatisfy(\.isASCII),
        let value = UInt8(part), part == "0" || !part.hasPrefix("0")
      else { return nil }
      bytes.append(value)
    }
    return bytes
  }

  private static func parseIPv6(_ text: String) -> [UInt8]? {
    var text = Substring(text)
    var tail: [UInt8] = []
    if let lastColon = text.lastIndex(of: ":"), text[lastColon...].contains(".") {
      guard let v4 = parseIPv4(text[text.index(after: lastColon)...]) else { return nil }
      tail = v4
      text = text[...lastColon]
      // "…::1.2.3.4" leaves "…::"; "…:ffff:1.2.3.4" leaves a dangling ":".
      if !text.hasSuffix("::") { text = text.dropLast() }
    }
    var halves = [String(text)]
    let characters = Array(text)
    if let index = characters.indices.dropLast().first(where: {
      characters[$0] == ":" && characters[$0 + 1] == ":"
    }) {
      halves = [String(characters[..<index]), String(characters[(index + 2)...])]
      guard !halves[1].hasPrefix(":"), !halves[1].contains("::") else { return nil }
    }
    func groups(_ part: String) -> [UInt16]? {
      if part.isEmpty { return [] }
      var result: [UInt16] = []
      for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
        guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else {
          return nil
        }
        result.append(value)
      }
      return result
    }
    guard let front = groups(halves[0]) else { return nil }
    let back = halves.count == 2 ? groups(halves[1]) : []
    guard let back else { return nil }
    let tailGroups = tail.count / 2
    let used = front.count + back.count + tailGroups
    if halves.count == 2 {
      guard used <= 7 else { return nil }
    } else {
      guard used == 8 else { return nil }
    }
    let all = front + [UInt16](repeating: 0, count: 8 - used) + back
    var bytes: [UInt8] = []
    for group in all { bytes += [UInt8(group >> 8), UInt8(group & 0xFF)] }
    return bytes + tail
  }
}
