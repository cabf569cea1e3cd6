/// JSON text for the data blocks of a ladder page.
///
/// The page carries the trace as JSON lines inside `<script>` blocks, and
/// everything in them came from the trace (payloads, names, comments,
/// the embedded scenario): untrusted. A string is therefore escaped so that
/// no `<`, `>` or `&` appears literally — the HTML parser can never see
/// `</script>` or `<!--` inside a block, whatever the trace holds — and the
/// page's script only ever puts these strings into the DOM as text.
enum LadderJSON {
  /// `text` as a JSON string literal, quotes included, safe inside `<script>`.
  static func string(_ text: String) -> String {
    var out = "\""
    out.reserveCapacity(text.utf8.count + 2)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "<", ">", "&", "\u{2028}", "\u{2029}": out += unicodeEscape(scalar.value)
      default:
        if scalar.value < 0x20 || scalar.value == 0x7f {
          out += unicodeEscape(scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  private static func unicodeEscape(_ value: UInt32) -> String {
    let hex = String(value, radix: 16)
    return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
  }

  /// One JSON object from ordered members whose values are already JSON text.
  static func object(_ members: [(String, String)]) -> String {
    "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
  }
}
