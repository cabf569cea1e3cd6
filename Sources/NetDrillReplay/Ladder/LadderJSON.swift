import NetDrillScenario

/// JSON text for the data blocks of a ladder page.
///
/// The page carries the trace as JSON lines inside `<script>` blocks, and
/// everything in them came from the trace (payloads, names, comments,
/// the embedded scenario): untrusted. A string is therefore escaped so that
/// no `<`, `>` or `&` appears literally — the HTML parser can never see
/// `</script>` or `<!--` inside a block, whatever the trace holds — and the
/// page's script only ever puts these strings into the DOM as text.
enum LadderJSON {
  /// `text` as a JSON string literal, quotes included, safe inside `<script>`
  /// (`<`, `>`, `&` as `\u003c`…; invisible and line-separator characters
  /// escaped too).
  static func string(_ text: String) -> String {
    JSONString.quoted(text, escaping: [.htmlMarkup, .invisibles])
  }

  /// One JSON object from ordered members whose values are already JSON text.
  static func object(_ members: [(String, String)]) -> String {
    "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
  }
}
