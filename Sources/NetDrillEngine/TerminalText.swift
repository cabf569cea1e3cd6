/// Strings that came from a scenario, a trace or a program, made safe to
/// print on a terminal.
///
/// A trace is untrusted input: its scenario name, notes, payloads and the
/// output of its programs could carry escape sequences that clear the screen,
/// move the cursor or recolour text, and so hide or fake lines of a report;
/// bidi overrides reorder what is shown; a raw newline breaks the columns.
/// Every human report (`run`, `show`, `diff`, `replay`, `check`) passes such
/// strings through `escape`, and payloads through `payload`, which live here
/// because NetDrillEngine is the lowest module that all of those reports reach
/// (it also holds `TextStyle`, the only code that may emit escape sequences).
/// JSON output needs none of this: the encoder escapes control characters.
public enum TerminalText {
  /// `text` with every character a terminal would act on written out:
  /// C0 controls and DEL as `\n`, `\t`, `\r`, `\x1b`…, C1 controls and
  /// Unicode bidi/line-separator controls as `\u{202e}`. Printable text,
  /// backslashes included, is unchanged, so escaping twice changes nothing.
  public static func escape(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
      if needsEscape(scalar) { out += escaped(scalar) } else { out.unicodeScalars.append(scalar) }
    }
    return out
  }

  /// Payload bytes as a person reads them, the same in every report:
  /// `5 bytes "hello"` when every byte is printable ASCII, tab, newline or
  /// carriage return (shown as `\t`, `\n`, `\r`; a backslash as `\\`, so two
  /// different payloads never print alike), else `4 bytes 00ff10ab`.
  /// `textLimit` and `hexLimit` (in bytes) cut long payloads with `…`.
  public static func payload(_ bytes: [UInt8], textLimit: Int? = nil, hexLimit: Int? = nil) -> String {
    if bytes.allSatisfy(isPrintableText) {
      let shown = textLimit.map { bytes.prefix($0) } ?? bytes[...]
      var text = ""
      for byte in shown {
        switch byte {
        case UInt8(ascii: "\\"): text += "\\\\"
        case UInt8(ascii: "\""): text += "\\\""
        case 0x20...0x7e: text.unicodeScalars.append(Unicode.Scalar(byte))
        default: text += escaped(Unicode.Scalar(byte))
        }
      }
      return "\(bytes.count) bytes \"\(text)\(shown.count < bytes.count ? "…" : "")\""
    }
    let shown = hexLimit.map { bytes.prefix($0) } ?? bytes[...]
    let hex = shown.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    return "\(bytes.count) bytes \(hex)\(shown.count < bytes.count ? "…" : "")"
  }

  static func isPrintableText(_ byte: UInt8) -> Bool {
    (0x20...0x7e).contains(byte) || byte == 0x09 || byte == 0x0a || byte == 0x0d
  }

  private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1f, 0x7f...0x9f: return true  // C0, DEL, C1 (0x9b is a one-byte CSI on some terminals)
    case 0x061c, 0x200e, 0x200f, 0x202a...0x202e, 0x2066...0x2069: return true  // bidi marks, embeddings, isolates
    case 0x2028, 0x2029: return true  // line and paragraph separators
    default: return false
    }
  }

  private static func escaped(_ scalar: Unicode.Scalar) -> String {
    switch scalar {
    case "\n": return "\\n"
    case "\t": return "\\t"
    case "\r": return "\\r"
    case "\0": return "\\0"
    default:
      let hex = String(scalar.value, radix: 16)
      return scalar.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" : "") + hex : "\\u{\(hex)}"
    }
  }
}
