import Glibc

/// Why a scalar value in a scenario (an address, hex or base64 text, a name)
/// does not read.
public struct ValueSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong, phrased to follow "error at PATH: ".
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// The small textual languages inside scenario strings: addresses, hex and
/// base64 bytes, IP literals and names. Pure functions, shared by the parser
/// and usable on their own.
public enum ValueSyntax {
  /// Reads an address as a scenario writes it:
  /// `"127.0.0.1:9000"`, `"[::1]:$closed"`, `"$closed"`, or a name (`"server"`).
  /// IP literals are checked with `inet_pton(3)`; whether a name exists is the
  /// parser's business, not this function's.
  public static func address(_ text: String) throws(ValueSyntaxError) -> AddressSpec {
    if text == ScenarioVocabulary.closedPortWord { return .closedPort }
    if text.hasPrefix(ScenarioVocabulary.closedPortWord + "."), case .namedClosed(let name) = try port(text) {
      return .namedClosedPort(name)
    }
    if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]") else {
        throw ValueSyntaxError("\(JSONPath.quoted(text)) has no ']' closing the IPv6 address")
      }
      let host = String(text[text.index(after: text.startIndex)..<close])
      let rest = text[text.index(after: close)...]
      guard isIPv6Literal(host) else {
        throw ValueSyntaxError("\(JSONPath.quoted(host)) is not an IPv6 address")
      }
      guard rest.hasPrefix(":"), rest.count > 1 else {
        throw ValueSyntaxError("expected a port after \(JSONPath.quoted("[" + host + "]")), as in \"[::1]:9000\"")
      }
      return .literal(host: host, port: try port(String(rest.dropFirst())))
    }
    if let colon = text.lastIndex(of: ":") {
      let host = String(text[..<colon])
      let portText = String(text[text.index(after: colon)...])
      if isIPv4Literal(host) {
        return .literal(host: host, port: try port(portText))
      }
      if isIPv6Literal(host) || isIPv6Literal(text) {
        throw ValueSyntaxError("an IPv6 address is written in brackets, with a port: \"[::1]:9000\"")
      }
      let hint =
        host.contains(":")
        ? " (IPv6 goes in brackets: \"[::1]:9000\")"
        : host.contains(where: \.isLetter) ? " (host names are not resolved: write an IP address or a socket name)" : ""
      throw ValueSyntaxError("\(JSONPath.quoted(host)) is not an IPv4 address\(hint)")
    }
    if isIPv4Literal(text) || isIPv6Literal(text) {
      throw ValueSyntaxError("an address needs a port: \"\(text.contains(":") ? "[\(text)]" : text):9000\"")
    }
    guard isName(text) else {
      throw ValueSyntaxError(
        "expected an address (\"127.0.0.1:9000\", \"[::1]:9000\", \"$closed\") or a socket or remembered name, found \(JSONPath.quoted(text))"
      )
    }
    return .named(text)
  }

  /// A port: `0`…`65535` in decimal, `$closed`, `$closed.NAME`, or a socket
  /// or remembered name (that address's port).
  public static func port(_ text: String) throws(ValueSyntaxError) -> PortSpec {
    if text == ScenarioVocabulary.closedPortWord { return .closed }
    let namedPrefix = ScenarioVocabulary.closedPortWord + "."
    if text.hasPrefix(namedPrefix) {
      let name = String(text.dropFirst(namedPrefix.count))
      guard isName(name) else {
        throw ValueSyntaxError(
          "\(JSONPath.quoted(text)): a named closed port is \"$closed.\" and a name of letters, digits, '_', '.', '-'")
      }
      return .namedClosed(name)
    }
    if isName(text), !text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
      return .of(text)
    }
    guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
      throw ValueSyntaxError(
        "expected a port number 0-65535, \"$closed\", \"$closed.NAME\" or a socket name, found \(JSONPath.quoted(text))"
      )
    }
    guard text.count <= 5, let value = Int(text), value <= 65535 else {
      throw ValueSyntaxError("port \(text) is out of range 0-65535")
    }
    return .number(UInt16(value))
  }

  /// True for a dotted-quad IPv4 address that `inet_pton(AF_INET)` accepts.
  public static func isIPv4Literal(_ text: String) -> Bool {
    // An embedded NUL would cut the C string short and let garbage through.
    guard !text.isEmpty, !text.utf8.contains(0) else { return false }
    var address = in_addr()
    return inet_pton(AF_INET, text, &address) == 1
  }

  /// True for an IPv6 address (no brackets, no zone) that `inet_pton(AF_INET6)` accepts.
  public static func isIPv6Literal(_ text: String) -> Bool {
    guard !text.isEmpty, !text.utf8.contains(0) else { return false }
    var address = in6_addr()
    return inet_pton(AF_INET6, text, &address) == 1
  }

  /// True for a name a scenario may give a socket or an address:
  /// `^[A-Za-z_][A-Za-z0-9_.-]*$`.
  public static func isName(_ text: String) -> Bool {
    guard let first = text.utf8.first, isLetter(first) else { return false }
    return text.utf8.allSatisfy {
      isLetter($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".")
        || $0 == UInt8(ascii: "-")
    }
  }

  private static func isLetter(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
      || byte == UInt8(ascii: "_")
  }

  /// Bytes written as hex digit pairs, any case; spaces and colons may
  /// separate bytes (`"68 65 6c"`, `"DE:AD:BE:EF"`), never split one.
  public static func hexBytes(_ text: String) throws(ValueSyntaxError) -> [UInt8] {
    var bytes: [UInt8] = []
    var high: UInt8?
    for (offset, scalar) in text.unicodeScalars.enumerated() {
      if scalar == " " || scalar == ":" {
        if high != nil {
          throw ValueSyntaxError("hex digits come in pairs; a separator at character \(offset + 1) splits a byte")
        }
        continue
      }
      guard let digit = hexDigitValue(scalar) ?? hexLetterValue(scalar) else {
        throw ValueSyntaxError("\(JSONPath.quoted(String(scalar))) at character \(offset + 1) is not a hex digit")
      }
      if let pending = high {
        bytes.append(pending << 4 | digit)
        high = nil
      } else {
        high = digit
      }
    }
    if high != nil { throw ValueSyntaxError("odd number of hex digits: the last byte is missing a digit") }
    return bytes
  }

  private static func hexDigitValue(_ scalar: Unicode.Scalar) -> UInt8? {
    guard ("0"..."9").contains(scalar) else { return nil }
    return UInt8(scalar.value - 0x30)
  }

  private static func hexLetterValue(_ scalar: Unicode.Scalar) -> UInt8? {
    if ("a"..."f").contains(scalar) { return UInt8(scalar.value - 0x61 + 10) }
    if ("A"..."F").contains(scalar) { return UInt8(scalar.value - 0x41 + 10) }
    return nil
  }

  /// Standard-alphabet base64 (RFC 4648 §4) with the padding required and no whitespace.
  public static func base64Bytes(_ text: String) throws(ValueSyntaxError) -> [UInt8] {
    let input = Array(text.utf8)
    guard input.count % 4 == 0 else {
      throw ValueSyntaxError("base64 length must be a multiple of 4 (pad with \"=\"), found \(input.count) characters")
    }
    var output: [UInt8] = []
    output.reserveCapacity(input.count / 4 * 3)
    var index = 0
    while index < input.count {
      let isLast = index + 4 == input.count
      var values: [UInt8] = []
      var padding = 0
      for position in index..<(index + 4) {
        let byte = input[position]
        if byte == UInt8(ascii: "=") {
          // Padding only in the last group, only in its last two places, and nothing after it.
          guard isLast, position - index >= 2 else {
            throw ValueSyntaxError("\"=\" padding at character \(position + 1) is only allowed at the end")
          }
          padding += 1
          continue
        }
        guard padding == 0, let value = base64Value(byte) else {
          let shown = padding == 0 ? describeByte(byte, in: input, at: position) : "data after \"=\" padding"
          throw ValueSyntaxError(padding == 0 ? "\(shown) at character \(position + 1) is not base64" : shown)
        }
        values.append(value)
      }
      output.append(values[0] << 2 | values[1] >> 4)
      if values.count > 2 { output.append(values[1] << 4 | values[2] >> 2) }
      if values.count > 3 { output.append(values[2] << 6 | values[3]) }
      index += 4
    }
    return output
  }

  private static func base64Value(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte - UInt8(ascii: "A")
    case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte - UInt8(ascii: "a") + 26
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0") + 52
    case UInt8(ascii: "+"): return 62
    case UInt8(ascii: "/"): return 63
    default: return nil
    }
  }

  private static func describeByte(_ byte: UInt8, in input: [UInt8], at position: Int) -> String {
    if byte >= 0x20 && byte < 0x7F { return JSONPath.quoted(String(UnicodeScalar(byte))) }
    if byte < 0x80 { return "control character 0x" + String(byte, radix: 16) }
    return "a non-ASCII character"
  }
}
