import Foundation
import NetDrillReplay

/// A JSON document whose last key (in sorted order) holds a long array,
/// written element by element exactly as ``JSONOutput`` prints it whole:
/// the document is encoded with that array empty, and the elements, each
/// encoded alone, are put in its place indented one level deeper. Memory
/// holds one element, however long the array.
struct StreamedJSONArray {
  private let encoder = JSONOutput.encoder()
  /// The document up to the array's opening bracket, and what closes it.
  private let head: String
  private let emptyDocument: String
  private let buffer: OutputBuffer
  private var count = 0

  /// - Parameters:
  ///   - document: the document with the array empty; the array must be its last key.
  ///   - key: the array's key as printed (`timeline`).
  init<Document: Encodable>(document: Document, key: String, to buffer: OutputBuffer) throws {
    emptyDocument = try JSONOutput.encode(document)
    // How the pretty printer writes an empty array as the last key of the top object.
    let emptyTail = "\"\(key)\" : [\n\n  ]\n}"
    guard emptyDocument.hasSuffix(emptyTail) else {
      preconditionFailure("StreamedJSONArray: `\(key)` is not the last key of the document")
    }
    head = String(emptyDocument.dropLast(emptyTail.count - "\"\(key)\" : ".count))
    self.buffer = buffer
  }

  /// Writes the next element.
  mutating func append<Element: Encodable>(_ element: Element) throws {
    let text = String(decoding: try encoder.encode(element), as: UTF8.self)
    buffer.write(count == 0 ? head + "[\n" : ",\n")
    count += 1
    // Strings in JSON hold no raw newline: every line break is the printer's.
    // Empty lines (inside empty arrays) stay empty, as the printer leaves them.
    var first = true
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if !first { buffer.write("\n") }
      first = false
      if !line.isEmpty { buffer.write("    " + line) }
    }
  }

  /// Closes the array and the document (and ends the output with a newline, as `print` does).
  func finish() {
    if count == 0 {
      buffer.line(emptyDocument)
    } else {
      buffer.write("\n  ]\n}\n")
    }
  }
}
