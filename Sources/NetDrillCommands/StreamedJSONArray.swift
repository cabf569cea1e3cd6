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
    let encoded = try encoder.encode(element)
    buffer.write(count == 0 ? head + "[\n" : ",\n")
    count += 1
    // One level deeper: four spaces after each line break. Strings in JSON hold no
    // raw newline, so every line break is the printer's; empty lines (inside empty
    // arrays) stay empty, as the printer leaves them.
    var indented: [UInt8] = []
    indented.reserveCapacity(encoded.count + encoded.count / 8)
    var lineStart = true
    for byte in encoded {
      if lineStart && byte != 10 { indented.append(contentsOf: Self.indent) }
      indented.append(byte)
      lineStart = byte == 10
    }
    buffer.write(String(decoding: indented, as: UTF8.self))
  }

  private static let indent: [UInt8] = Array("    ".utf8)

  /// Closes the array and the document (and ends the output with a newline, as `print` does).
  func finish() {
    if count == 0 {
      buffer.line(emptyDocument)
    } else {
      buffer.write("\n  ]\n}\n")
    }
  }
}
