// A strict JSON reader (RFC 8259) that remembers where every value was written.
//
// Hand-written rather than built on Foundation's JSONSerialization or
// JSONDecoder: both throw away source positions, and netdrill must point every
// scenario error at `file:line:column` as well as its JSON path
// (`$.steps[3].expect.error`). Strict on purpose — no comments, no trailing
// commas, no NaN, no duplicate keys — because a scenario is code and a typo
// must not pass silently.

/// A 1-based line and column in a JSON text. Columns count Unicode scalars,
/// so they match what an editor shows for non-ASCII text.
public struct JSONPosition: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }
  public var description: String { "\(line):\(column)" }
  public static func < (lhs: JSONPosition, rhs: JSONPosition) -> Bool {
    (lhs.line, lhs.column) < (rhs.line, rhs.column)
  }
}

/// A JSON number, kept both exactly (its text, and `Int64` when it is an
/// integer that fits) and as a `Double`.
public struct JSONNumber: Sendable, Equatable, CustomStringConvertible {
  /// The number exactly as written (`"-12"`, `"1.5e3"`).
  public var text: String
  /// The value when written without fraction or exponent and within `Int64`.
  public var integer: Int64?
  /// The value as a `Double` (always finite: larger numbers are a syntax error).
  public var double: Double
  public var description: String { text }

  /// The value as `UInt64` when it is a non-negative integer that fits
  /// (seeds use the full 64-bit range).
  public var unsignedInteger: UInt64? {
    guard isIntegerLiteral else { return nil }
    return UInt64(text)
  }

  /// True when written without fraction or exponent (`12`, `-3`), whatever its size.
  public var isIntegerLiteral: Bool { !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) }
}

/// One `"key": value` of an object, with the key's own position.
public struct JSONMember: Sendable, Equatable {
  public var key: String
  public var keyPosition: JSONPosition
  public var value: JSONValue
}

/// A JSON value and the position of its first character.
public struct JSONValue: Sendable, Equatable {
  /// The value itself; nested values carry their own positions.
  public enum Content: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    /// Members in the order written (keys are unique: duplicates are a syntax error).
    case object([JSONMember])
  }

  public var content: Content
  public var position: JSONPosition

  /// A value written at `position` (for building trees in tests and tools).
  public init(_ content: Content, at position: JSONPosition) {
    self.content = content
    self.position = position
  }

  /// Deeper nesting is rejected, so a hostile file cannot overflow the stack.
  public static let maximumDepth = 512

  /// Parses a complete JSON text (UTF-8, an optional byte-order mark is skipped).
  public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
    var reader = JSONReader(bytes: bytes)
    return try reader.readDocument()
  }

  /// The member named `key` of an object (nil for other values).
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = content else { return nil }
    return members.first { $0.key == key }?.value
  }

  /// What the value is, for messages: "a string", "an object", "the number 1.5", "true".
  public var kindDescription: String {
    switch content {
    case .null: return "null"
    case .bool(let value): return value ? "true" : "false"
    case .number(let number): return number.isIntegerLiteral ? "a number" : "the number \(number.text)"
    case .string: return "a string"
    case .array: return "an array"
    case .object: return "an object"
    }
  }
}

/// A JSON text that does not parse: where, what was expected, and the path of
/// the value being read when it went wrong.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
  public var position: JSONPosition
  /// The JSON path of the innermost value being read (`$.steps[2]`).
  public var path: String
  public var message: String
  public var description: String { "\(position): error at \(path): \(message)" }
}

/// JSON paths as netdrill prints them: `$.steps[3].expect.error`, and
/// `$.sockets["my-socket"]` for keys that are not plain identifiers.
public enum JSONPath {
  /// The path of the whole document.
  public static let root = "$"

  /// `path` extended by an object key: `.key`, or `["key"]` when the key is not an identifier.
  public static func appending(_ path: String, key: String) -> String {
    if isIdentifier(key) { return path + "." + key }
    return path + "[" + quoted(key) + "]"
  }

  /// `path` extended by an array index: `[index]`.
  public static func appending(_ path: String, index: Int) -> String {
    path + "[\(index)]"
  }

  private static func isIdentifier(_ key: String) -> Bool {
    func isLetter(_ scalar: Unicode.Scalar) -> Bool {
      scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }
    guard let first = key.unicodeScalars.first, isLetter(first) else { return false }
    return key.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
  }

  /// `text` as a JSON string literal, as messages quote names and values
  /// (quotes, backslashes and control characters escaped).
  public static func quoted(_ text: String) -> String {
    JSONString.quoted(text)
  }
}

/// The recursive-descent reader behind `JSONValue.parse`.
struct JSONReader {
  private let bytes: [UInt8]
  private var offset = 0
  private var line = 1
  private var column = 1
  /// The path of the value being read, for error messages.
  private var pathStack: [PathComponent] = []

  private enum PathComponent {
    case key(String)
    case index(Int)
  }

  init(bytes: [UInt8]) {
    self.bytes = bytes
  }

  mutating func readDocument() throws(JSONSyntaxError) -> JSONValue {
    // RFC 8259 §8.1: a parser may ignore a leading byte-order mark.
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }
    skipWhitespace()
    guard peek() != nil else { throw error("expected a JSON value, found an empty document") }
    let value = try readValue(depth: 1)
    skipWhitespace()
    if let byte = peek() {
      throw error("unexpected \(describe(byte)) after the end of the JSON value")
    }
    return value
  }

  // MARK: Values

  private mutating func readValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    let start = position
    guard let byte = peek() else { throw error("expected a value, found the end of the input") }
    switch byte {
    case UInt8(ascii: "{"):
      return JSONValue(.object(try readObject(depth: depth)), at: start)
    case UInt8(ascii: "["):
      return JSONValue(.array(try readArray(depth: depth)), at: start)
    case UInt8(ascii: "\""):
      return JSONValue(.string(try readString()), at: start)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      return JSONValue(.number(try readNumber()), at: start)
    case UInt8(ascii: "t"):
      try readLiteral("true")
      return JSONValue(.bool(true), at: start)
    case UInt8(ascii: "f"):
      try readLiteral("false")
      return JSONValue(.bool(false), at: start)
    case UInt8(ascii: "n"):
      try readLiteral("null")
      return JSONValue(.null, at: start)
    case UInt8(ascii: "/"):
      throw error("comments are not allowed in JSON")
    case UInt8(ascii: "'"):
      throw error("strings must use double quotes (\")")
    case UInt8(ascii: "N"), UInt8(ascii: "I"):
      throw error("expected a value; NaN and Infinity are not JSON numbers")
    default:
      throw error(
        "expected a value (an object, array, string, number, true, false or null), found \(describe(byte))")
    }
  }

  private mutating func readObject(depth: Int) throws(JSONSyntaxError) -> [JSONMember] {
    try checkDepth(depth)
    advance()  // {
    var members: [JSONMember] = []
    var firstPositions: [String: JSONPosition] = [:]
    skipWhitespace()
    if peek() == UInt8(ascii: "}") {
      advance()
      return members
    }
    while true {
      skipWhitespace()
      guard peek() == UInt8(ascii: "\"") else {
        if peek() == UInt8(ascii: "}"), !members.isEmpty {
          throw error("trailing comma before '}' is not allowed")
        }
        if peek() == UInt8(ascii: "'") { throw error("object keys must use double quotes (\")") }
        if peek() == UInt8(ascii: "/") { throw error("comments are not allowed in JSON") }
        throw error("expected a string key\(members.isEmpty ? " or '}'" : "") in object, found \(describeNext())")
      }
      let keyPosition = position
      let key = try readString()
      if let first = firstPositions[key] {
        throw JSONSyntaxError(
          position: keyPosition, path: JSONPath.appending(renderPath(), key: key),
          message: "duplicate key \(JSONPath.quoted(key)) (first written at \(first))")
      }
      firstPositions[key] = keyPosition
      skipWhitespace()
      guard peek() == UInt8(ascii: ":") else {
        throw error("expected ':' after object key \(JSONPath.quoted(key)), found \(describeNext())")
      }
      advance()
      skipWhitespace()
      pathStack.append(.key(key))
      let value = try readValue(depth: depth + 1)
      pathStack.removeLast()
      members.append(JSONMember(key: key, keyPosition: keyPosition, value: value))
      skipWhitespace()
      switch peek() {
      case UInt8(ascii: ","):
        advance()
      case UInt8(ascii: "}"):
        advance()
        return members
      default:
        throw error("expected ',' or '}' after object member, found \(describeNext())")
      }
    }
  }

  private mutating func readArray(depth: Int) throws(JSONSyntaxError) -> [JSONValue] {
    try checkDepth(depth)
    advance()  // [
    var elements: [JSONValue] = []
    skipWhitespace()
    if peek() == UInt8(ascii: "]") {
      advance()
      return elements
    }
    while true {
      skipWhitespace()
      if peek() == UInt8(ascii: "]"), !elements.isEmpty {
        throw error("trailing comma before ']' is not allowed")
      }
      pathStack.append(.index(elements.count))
      let element = try readValue(depth: depth + 1)
      pathStack.removeLast()
      elements.append(element)
      skipWhitespace()
      switch peek() {
      case UInt8(ascii: ","):
        advance()
      case UInt8(ascii: "]"):
        advance()
        return elements
      default:
        throw error("expected ',' or ']' after array element, found \(describeNext())")
      }
    }
  }

  private func checkDepth(_ depth: Int) throws(JSONSyntaxError) {
    if depth > JSONValue.maximumDepth {
      throw error("nesting is deeper than \(JSONValue.maximumDepth) levels")
    }
  }

  private mutating func readLiteral(_ word: StaticString) throws(JSONSyntaxError) {
    let start = position
    let expected = word.withUTF8Buffer { Array($0) }
    for byte in expected {
      guard peek() == byte else {
        throw JSONSyntaxError(
          position: start, path: renderPath(),
          message: "expected a value (an object, array, string, number, true, false or null)")
      }
      advance()
    }
    // "trueish" must not read as `true` followed by garbage reported elsewhere.
    if let next = peek(), isIdentifierByte(next) {
      throw JSONSyntaxError(position: start, path: renderPath(), message: "unknown literal; expected \(word)")
    }
  }

  // MARK: Strings

  private mutating func readString() throws(JSONSyntaxError) -> String {
    let start = position
    advance()  // opening quote
    var buffer: [UInt8] = []
    while true {
      guard let byte = peek() else {
        throw error("unterminated string (it starts at \(start))")
      }
      switch byte {
      case UInt8(ascii: "\""):
        advance()
        guard let text = String(validating: buffer, as: UTF8.self) else {
          throw JSONSyntaxError(position: start, path: renderPath(), message: "string is not valid UTF-8")
        }
        return text
      case UInt8(ascii: "\\"):
        try readEscape(into: &buffer)
      case 0..<0x20:
        throw error("control character \(describe(byte)) in string must be escaped")
      default:
        buffer.append(byte)
        advance()
      }
    }
  }

  private mutating func readEscape(into buffer: inout [UInt8]) throws(JSONSyntaxError) {
    let escapeStart = position
    advance()  // backslash
    guard let byte = peek() else { throw error("unterminated escape sequence at the end of the input") }
    let simple: UInt8?
    switch byte {
    case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
    case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
    case UInt8(ascii: "/"): simple = UInt8(ascii: "/")
    case UInt8(ascii: "b"): simple = 0x08
    case UInt8(ascii: "f"): simple = 0x0C
    case UInt8(ascii: "n"): simple = 0x0A
    case UInt8(ascii: "r"): simple = 0x0D
    case UInt8(ascii: "t"): simple = 0x09
    case UInt8(ascii: "u"): simple = nil
    default:
      throw JSONSyntaxError(
        position: escapeStart, path: renderPath(), message: "invalid escape \\\(describeRaw(byte)) in string")
    }
    if let simple {
      buffer.append(simple)
      advance()
      return
    }
    advance()  // u
    var scalarValue = try readHex4(escapeStart: escapeStart)
    if (0xD800...0xDBFF).contains(scalarValue) {
      // A high surrogate must be followed by an escaped low surrogate (RFC 8259 §7).
      guard peek() == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "u") else {
        throw JSONSyntaxError(
          position: escapeStart, path: renderPath(), message: "unpaired surrogate \\u\(JSONString.hex4(scalarValue))")
      }
      advance()
      advance()
      let low = try readHex4(escapeStart: escapeStart)
      guard (0xDC00...0xDFFF).contains(low) else {
        throw JSONSyntaxError(
          position: escapeStart, path: renderPath(), message: "unpaired surrogate \\u\(JSONString.hex4(scalarValue))")
      }
      scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
    } else if (0xDC00...0xDFFF).contains(scalarValue) {
      throw JSONSyntaxError(
        position: escapeStart, path: renderPath(), message: "unpaired surrogate \\u\(JSONString.hex4(scalarValue))")
    }
    guard let scalar = Unicode.Scalar(scalarValue) else {
      throw JSONSyntaxError(position: escapeStart, path: renderPath(), message: "invalid \\u escape")
    }
    buffer.append(contentsOf: Array(String(Character(scalar)).utf8))
  }

  private mutating func readHex4(escapeStart: JSONPosition) throws(JSONSyntaxError) -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard let byte = peek(), let digit = hexValue(byte) else {
        throw JSONSyntaxError(
          position: escapeStart, path: renderPath(), message: "\\u must be followed by four hex digits")
      }
      value = value << 4 | UInt32(digit)
      advance()
    }
    return value
  }

  // MARK: Numbers

  private mutating func readNumber() throws(JSONSyntaxError) -> JSONNumber {
    let startOffset = offset
    let start = position
    var isInteger = true
    if peek() == UInt8(ascii: "-") { advance() }
    guard let first = peek(), isDigit(first) else {
      throw error("expected a digit after '-', found \(describeNext())")
    }
    advance()
    if first == UInt8(ascii: "0"), let next = peek(), isDigit(next) {
      throw error("numbers must not have leading zeros")
    }
    skipDigits()
    if peek() == UInt8(ascii: ".") {
      isInteger = false
      advance()
      guard let digit = peek(), isDigit(digit) else {
        throw error("expected a digit after '.', found \(describeNext())")
      }
      skipDigits()
    }
    if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
      isInteger = false
      advance()
      if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { advance() }
      guard let digit = peek(), isDigit(digit) else {
        throw error("expected a digit in the exponent, found \(describeNext())")
      }
      skipDigits()
    }
    if let next = peek(), isIdentifierByte(next) || next == UInt8(ascii: ".") {
      throw error("unexpected \(describe(next)) in number")
    }
    // The slice is ASCII digits, signs, '.' and 'e' only: valid UTF-8 by construction.
    let text = String(decoding: bytes[startOffset..<offset], as: UTF8.self)
    guard let double = Double(text), double.isFinite else {
      throw JSONSyntaxError(position: start, path: renderPath(), message: "number \(text) is too large")
    }
    return JSONNumber(text: text, integer: isInteger ? Int64(text) : nil, double: double)
  }

  private mutating func skipDigits() {
    while let byte = peek(), isDigit(byte) { advance() }
  }

  // MARK: Low level

  private var position: JSONPosition { JSONPosition(line: line, column: column) }

  private func peek(_ ahead: Int = 0) -> UInt8? {
    let index = offset + ahead
    return index < bytes.count ? bytes[index] : nil
  }

  /// Moves past one byte, keeping line and column (columns count scalars:
  /// UTF-8 continuation bytes do not start a new column).
  private mutating func advance() {
    guard offset < bytes.count else { return }
    let byte = bytes[offset]
    offset += 1
    if byte == UInt8(ascii: "\n") {
      line += 1
      column = 1
    } else if byte & 0xC0 != 0x80 {
      column += 1
    }
  }

  private mutating func skipWhitespace() {
    while let byte = peek(),
      byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
        || byte == UInt8(ascii: "\r")
    {
      advance()
    }
  }

  private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

  private func isIdentifierByte(_ byte: UInt8) -> Bool {
    isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) || byte == UInt8(ascii: "_")
  }

  private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
  }

  private func describeNext() -> String {
    guard let byte = peek() else { return "the end of the input" }
    return describe(byte)
  }

  private func describe(_ byte: UInt8) -> String {
    if byte >= 0x21 && byte < 0x7F { return "'\(describeRaw(byte))'" }
    if byte == 0x20 { return "a space" }
    if byte >= 0x80 { return "a non-ASCII character" }
    return "byte 0x" + String(byte, radix: 16, uppercase: true)
  }

  private func describeRaw(_ byte: UInt8) -> String {
    byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16, uppercase: true)
  }

  private func error(_ message: String) -> JSONSyntaxError {
    JSONSyntaxError(position: position, path: renderPath(), message: message)
  }

  private func renderPath() -> String {
    var path = JSONPath.root
    for component in pathStack {
      switch component {
      case .key(let key): path = JSONPath.appending(path, key: key)
      case .index(let index): path = JSONPath.appending(path, index: index)
      }
    }
    return path
  }
}
