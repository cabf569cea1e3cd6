import NetDrillScenario

/// A JSON value whose objects keep the order they were built in, written
/// pretty: what `netdrill import` writes, so a person can read, edit and
/// diff the scenario (the same capture always gives the same text).
public indirect enum OrderedJSON: Sendable, Equatable {
  case string(String)
  case integer(Int)
  case bool(Bool)
  case array([OrderedJSON])
  case object([(String, OrderedJSON)])
  /// An array written one element per line, each element on one line (steps).
  case lines([OrderedJSON])

  public static func == (a: OrderedJSON, b: OrderedJSON) -> Bool { a.compact == b.compact }

  /// The whole value, objects and arrays indented by two spaces.
  public func pretty(indent: String = "") -> String {
    let inner = indent + "  "
    switch self {
    case .object(let members) where !members.isEmpty:
      let body = members.map { "\(inner)\(Self.quoted($0.0)): \($0.1.pretty(indent: inner))" }
      return "{\n" + body.joined(separator: ",\n") + "\n\(indent)}"
    case .array(let elements) where !elements.isEmpty:
      return "[\n" + elements.map { inner + $0.pretty(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
    case .lines(let elements) where !elements.isEmpty:
      return "[\n" + elements.map { inner + $0.compact }.joined(separator: ",\n") + "\n\(indent)]"
    default:
      return compact
    }
  }

  /// On one line, with a space after `:` and `,` as the bundled scenarios are written.
  public var compact: String {
    switch self {
    case .string(let text): return Self.quoted(text)
    case .integer(let value): return String(value)
    case .bool(let value): return value ? "true" : "false"
    case .array(let elements), .lines(let elements):
      return "[" + elements.map(\.compact).joined(separator: ", ") + "]"
    case .object(let members):
      if members.isEmpty { return "{}" }
      return "{ " + members.map { "\(Self.quoted($0.0)): \($0.1.compact)" }.joined(separator: ", ") + " }"
    }
  }

  /// A lower bound of the rendered size in bytes (strings and keys without
  /// quotes or escapes), counted without rendering.
  public var minimumSize: Int {
    switch self {
    case .string(let text): return text.utf8.count
    case .integer, .bool: return 1
    case .array(let elements), .lines(let elements): return elements.reduce(0) { $0 + $1.minimumSize }
    case .object(let members): return members.reduce(0) { $0 + $1.0.utf8.count + $1.1.minimumSize }
    }
  }

  /// A JSON string literal: quotes, backslashes and every control character
  /// escaped, C1 controls and line separators too, since people open an
  /// imported scenario in editors and terminals.
  static func quoted(_ text: String) -> String {
    JSONString.quoted(text, escaping: .invisibles)
  }
}
