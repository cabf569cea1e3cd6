import NetDrillScenario
import Testing

/// The one JSON string escaper: each option escapes what it says and nothing
/// else, and every form reads back as the string it was made from.
@Suite("JSONString: string literals for every JSON writer")
struct JSONStringTests {
  /// Every kind of character an option is about: C0, DEL, C1, the line
  /// separators, HTML markup, a non-ASCII letter and one above U+FFFF.
  static let hostile = "a\"b\\c\nd\re\tf\u{1}g\u{7f}h\u{9b}i\u{2028}j\u{2029}k</script><!--&µ😀"

  private func readBack(_ literal: String) throws -> String? {
    guard case .string(let text) = try JSONValue.parse(Array(literal.utf8)).content else { return nil }
    return text
  }

  @Test("plain: quotes, backslashes and C0 controls only")
  func plain() {
    #expect(
      JSONString.quoted(Self.hostile)
        == "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\u{7f}h\u{9b}i\u{2028}j\u{2029}k</script><!--&µ😀\"")
  }

  @Test("invisibles: DEL, C1 controls and the line separators as \\u escapes")
  func invisibles() {
    #expect(
      JSONString.quoted(Self.hostile, escaping: .invisibles)
        == "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007fh\\u009bi\\u2028j\\u2029k</script><!--&µ😀\"")
  }

  @Test("htmlMarkup: no <, > or & is left for an HTML parser to see")
  func htmlMarkup() {
    let literal = JSONString.quoted(Self.hostile, escaping: [.htmlMarkup, .invisibles])
    #expect(!literal.contains("<") && !literal.contains(">") && !literal.contains("&"))
    #expect(literal.contains("k\\u003c/script\\u003e\\u003c!--\\u0026µ😀"))
  }

  @Test("asciiOnly: pure ASCII, surrogate pairs above U+FFFF, \\n kept short")
  func asciiOnly() {
    let literal = JSONString.quoted(Self.hostile, escaping: .asciiOnly)
    #expect(literal.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7f })
    #expect(
      literal
        == "\"a\\\"b\\\\c\\nd\\u000de\\u0009f\\u0001g\\u007fh\\u009bi\\u2028j\\u2029k</script><!--&\\u00b5\\ud83d\\ude00\""
    )
  }

  @Test(
    "every form reads back as the same string",
    arguments: [[], .invisibles, [.htmlMarkup, .invisibles], .asciiOnly] as [JSONString.Escaping])
  func roundTrip(_ escaping: JSONString.Escaping) throws {
    #expect(try readBack(JSONString.quoted(Self.hostile, escaping: escaping)) == Self.hostile)
  }

  @Test("messages quote names as plain JSON strings")
  func pathsUseThePlainForm() {
    #expect(JSONPath.quoted(Self.hostile) == JSONString.quoted(Self.hostile))
    #expect(JSONPath.appending("$.sockets", key: "my\tsocket") == #"$.sockets["my\tsocket"]"#)
  }
}
