import NetDrillScenario
import NetDrillTestSupport
import Testing

@Suite("JSONValue: a strict JSON reader that keeps positions")
struct JSONValueTests {
  private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
    try JSONValue.parse(Array(text.utf8))
  }

  private func syntaxError(_ text: String) -> JSONSyntaxError? {
    do {
      _ = try parse(text)
      return nil
    } catch {
      return error
    }
  }

  @Test func valuesCarryLineAndColumn() throws {
    let value = try parse("{\n  \"a\": [1, true],\n  \"b\": {\"c\": null}\n}")
    #expect(value.position == JSONPosition(line: 1, column: 1))
    guard case .object(let members) = value.content else {
      Issue.record("not an object")
      return
    }
    #expect(members.map(\.key) == ["a", "b"])
    #expect(members[0].keyPosition == JSONPosition(line: 2, column: 3))
    #expect(members[0].value.position == JSONPosition(line: 2, column: 8))
    guard case .array(let elements) = members[0].value.content else {
      Issue.record("not an array")
      return
    }
    #expect(elements[1].position == JSONPosition(line: 2, column: 12))
    #expect(value["b"]?["c"]?.position == JSONPosition(line: 3, column: 14))
  }

  @Test func columnsCountCharactersNotBytes() throws {
    // "é" is two UTF-8 bytes but one column, as an editor shows it.
    let value = try parse(#"{"é": "ü", "x": 1}"#)
    #expect(value["x"]?.position == JSONPosition(line: 1, column: 17))
  }

  @Test func objectsKeepKeyOrder() throws {
    let value = try parse(#"{"z": 1, "a": 2, "m": 3}"#)
    guard case .object(let members) = value.content else {
      Issue.record("not an object")
      return
    }
    #expect(members.map(\.key) == ["z", "a", "m"])
  }

  @Test func numbersKeepIntegersExactly() throws {
    let big = try parse("9007199254740993")  // 2^53 + 1: not representable as a Double
    guard case .number(let number) = big.content else {
      Issue.record("not a number")
      return
    }
    #expect(number.integer == 9_007_199_254_740_993)
    #expect(number.text == "9007199254740993")

    let fraction = try parse("-1.5e2")
    guard case .number(let other) = fraction.content else {
      Issue.record("not a number")
      return
    }
    #expect(other.integer == nil)
    #expect(other.double == -150)

    let huge = try parse("18446744073709551615")
    guard case .number(let unsigned) = huge.content else {
      Issue.record("not a number")
      return
    }
    #expect(unsigned.integer == nil)
    #expect(unsigned.unsignedInteger == UInt64.max)
  }

  @Test func stringEscapesAndSurrogatePairs() throws {
    let value = try parse(#""a\"b\\c\/\n\t\u00e9\ud83d\ude00""#)
    #expect(value.content == .string("a\"b\\c/\n\té😀"))
  }

  @Test(
    arguments: [
      ("", 1, 1, "empty document"),
      ("{\"a\": 1,}", 1, 9, "trailing comma before '}'"),
      ("[1, 2,]", 1, 7, "trailing comma before ']'"),
      ("{\"a\" 1}", 1, 6, "expected ':' after object key"),
      ("{\"a\": 1 \"b\": 2}", 1, 9, "expected ',' or '}' after object member"),
      ("[1 2]", 1, 4, "expected ',' or ']' after array element"),
      ("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate key \"a\" (first written at 1:2)"),
      ("// note\n{}", 1, 1, "comments are not allowed"),
      ("{\"a\": NaN}", 1, 7, "NaN and Infinity are not JSON numbers"),
      ("{'a': 1}", 1, 2, "double quotes"),
      ("[01]", 1, 3, "leading zeros"),
      ("[1.]", 1, 4, "expected a digit after '.'"),
      ("[-]", 1, 3, "expected a digit after '-'"),
      ("[1e]", 1, 4, "expected a digit in the exponent"),
      ("\"abc", 1, 5, "unterminated string"),
      ("\"a\tb\"", 1, 3, "control character"),
      ("\"\\x\"", 1, 2, "invalid escape"),
      ("\"\\ud800\"", 1, 2, "unpaired surrogate"),
      ("[tru]", 1, 2, "expected a value"),
      ("truex", 1, 1, "unknown literal"),
      ("{} {}", 1, 4, "after the end of the JSON value"),
      ("[1e999]", 1, 2, "too large"),
    ] as [(String, Int, Int, String)])
  func syntaxErrorsSayWhereAndWhat(text: String, line: Int, column: Int, fragment: String) {
    let error = syntaxError(text)
    #expect(error?.position == JSONPosition(line: line, column: column), "\(text)")
    #expect(error?.message.contains(fragment) == true, "\(String(describing: error?.message))")
  }

  @Test func syntaxErrorsCarryThePathBeingRead() {
    let error = syntaxError("{\"steps\": [{\"send\": \"c\"}, {\"data\": tru}]}")
    #expect(error?.path == "$.steps[1].data")
  }

  @Test func invalidUTF8IsRejected() {
    #expect(throws: JSONSyntaxError.self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
    #expect(throws: JSONSyntaxError.self) { try JSONValue.parse([0xC3]) }
  }

  @Test func byteOrderMarkIsSkipped() throws {
    let value = try JSONValue.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8))
    #expect(value.position == JSONPosition(line: 1, column: 1))
  }

  @Test func nestingDepthIsLimited() {
    let depth = JSONValue.maximumDepth
    #expect(throws: Never.self) {
      try parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
    }
    let tooDeep = String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)
    #expect(syntaxError(tooDeep)?.message.contains("deeper than \(depth)") == true)
    // Far deeper input must fail cleanly too, not overflow the stack.
    #expect(syntaxError(String(repeating: "{\"a\":", count: 100_000)) != nil)
  }

  @Test func pathsQuoteKeysThatAreNotIdentifiers() {
    #expect(JSONPath.appending("$", key: "steps") == "$.steps")
    #expect(JSONPath.appending("$.sockets", key: "my-socket") == #"$.sockets["my-socket"]"#)
    #expect(JSONPath.appending("$", key: "a\"b") == #"$["a\"b"]"#)
    #expect(JSONPath.appending("$.steps", index: 3) == "$.steps[3]")
  }

  /// Random and mutated inputs must give a value or a syntax error, never a
  /// crash. Deterministic (seeded) so a failure reproduces.
  @Test func neverCrashesOnArbitraryInput() {
    var generator = SplitMix64(seed: 0x5EED)
    let seeds = [
      #"{"netdrill": 1, "name": "x", "steps": [{"send": "c", "data": {"hex": "00 ff"}}], "n": -1.5e3}"#,
      #"[true, false, null, "\u00e9\ud83d\ude00", {"": []}]"#,
    ].map { Array($0.utf8) }
    let alphabet = Array("{}[]\":,.-+eE0123456789 \n\t\\/utfnlasr".utf8) + [0x00, 0x80, 0xC3, 0xFF]
    for round in 0..<4000 {
      var bytes: [UInt8]
      if round % 2 == 0, let seed = seeds.randomElement(using: &generator) {
        bytes = seed
        for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
          let index = Int.random(in: 0..<bytes.count, using: &generator)
          switch Int.random(in: 0..<3, using: &generator) {
          case 0: bytes[index] = alphabet.randomElement(using: &generator) ?? 0
          case 1: bytes.remove(at: index)
          default: bytes.insert(alphabet.randomElement(using: &generator) ?? 0, at: index)
          }
        }
      } else {
        bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
          alphabet.randomElement(using: &generator) ?? 0
        }
      }
      _ = try? JSONValue.parse(bytes)
      // The scenario parser on the same bytes must not crash either.
      _ = try? ScenarioParser.parse(data: bytes, file: nil)
    }
  }
}
