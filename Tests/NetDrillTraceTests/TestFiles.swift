import Foundation
import NetDrillTestSupport

/// Paths to the committed fixtures and scratch directories for tests.
///
/// Fixtures are found relative to this source file (`#filePath`) so the
/// test target needs no bundle resources.
enum TestFiles {
  static let fixtures: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

  static func fixture(_ name: String) -> String {
    fixtures.appendingPathComponent(name).path
  }

  static func bytes(ofFixture name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(name)))
  }

  /// A fresh empty directory, removed by the caller with `remove(_:)`.
  static func makeScratchDirectory() throws -> URL {
    try temporaryDirectory("netdrill-trace-tests")
  }

  static func remove(_ url: URL) {
    try? FileManager.default.removeItem(at: url)
  }
}
