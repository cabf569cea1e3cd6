/// A string written as a JSON string literal: the one escaper behind every
/// JSON text netdrill writes by hand (JSON paths in messages, imported
/// scenarios, the schema, the ladder pages' data blocks).
///
/// It lives here because NetDrillScenario is the lowest module that all of
/// those writers may depend on. Every form is valid JSON (RFC 8259) and reads
/// back as the same string; the options only choose which further characters
/// are written as `\uXXXX` for the place the text goes.
public enum JSONString {
  public struct Escaping: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// DEL, the C1 controls (U+007F–U+009F) and U+2028/U+2029 as `\u` escapes:
    /// JSON allows them raw, but a terminal acts on C1 controls (0x9B starts
    /// an escape sequence on some) and the line separators break lines in
    /// editors and in JavaScript before ES2019. For text people open and read.
    public static let invisibles = Escaping(rawValue: 1 << 0)

    /// `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026`: for JSON inside an
    /// HTML `<script>` block holding untrusted strings, so that the HTML parser
    /// never sees `</script>` or `<!--` in it, whatever the string holds.
    public static let htmlMarkup = Escaping(rawValue: 1 << 1)

    /// Every scalar outside printable ASCII as `\u` escapes (a UTF-16 surrogate
    /// pair above U+FFFF), `\n` kept short: the text is pure ASCII and survives
    /// any tool that mangles encodings. Implies `invisibles`.
    public static let asciiOnly = Escaping(rawValue: 1 << 2)
  }

  /// `text` as a JSON string literal, quotes included: quotes, backslashes and
  /// C0 controls always escaped (`\n`, and `\r`, `\t` unless `.asciiOnly`),
  /// plus what `escaping` adds.
  public static func quoted(_ text: String, escaping: Escaping = []) -> String {
    var out = "\""
    out.reserveCapacity(text.utf8.count + 2)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r" where !escaping.contains(.asciiOnly): out += "\\r"
      case "\t" where !escaping.contains(.asciiOnly): out += "\\t"
      default:
        if needsEscape(scalar, escaping) {
          for unit in String(scalar).utf16 { out += "\\u" + hex4(UInt32(unit)) }
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  /// `value` as four lowercase hex digits (more when it needs them).
  public static func hex4(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: false)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }

  private static func needsEscape(_ scalar: Unicode.Scalar, _ escaping: Escaping) -> Bool {
    let value = scalar.value
    if value < 0x20 { return true }
    if escaping.contains(.asciiOnly) && value >= 0x7F { return true }
    if escaping.contains(.invisibles) && ((0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029) {
      return true
    }
    return escaping.contains(.htmlMarkup) && (scalar == "<" || scalar == ">" || scalar == "&")
  }
}
