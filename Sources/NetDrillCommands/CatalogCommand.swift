import Foundation
import NetDrillScenario

/// `netdrill catalog DIR`: writes DIR/README.md, the table of every scenario
/// below DIR (``ScenarioCatalog``); with `check`, writes nothing and fails
/// when the file is not what it would write.
public struct CatalogCommand: Sendable {
  public var directory: String
  public var checkOnly: Bool

  public init(directory: String, checkOnly: Bool = false) {
    self.directory = directory
    self.checkOnly = checkOnly
  }

  public var outputPath: String { (directory.hasSuffix("/") ? directory : directory + "/") + "README.md" }

  /// `.failure` (with `check`) when the file is missing or out of date.
  public func run(console: CommandConsole = .standard) throws -> CommandStatus {
    try CommandStatus.of {
      let loaded: [LoadedScenario]
      do {
        loaded = try ScenarioLoading.load([directory])
      } catch {
        throw console.badInput("\(error)")
      }
      let prefix = directory.hasSuffix("/") ? directory : directory + "/"
      let markdown = ScenarioCatalog.markdown(
        loaded.map { entry in
          let path = entry.scenario.sourcePath ?? ""
          return (path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path, entry.scenario)
        })
      if checkOnly {
        let current = try? String(contentsOfFile: outputPath, encoding: .utf8)
        if current == markdown {
          console.print("\(outputPath) is up to date (\(loaded.count) scenarios)")
          return .success
        }
        let state = current == nil ? "missing" : "out of date"
        console.error("\(outputPath) is \(state): regenerate it with `\(ScenarioCatalog.command)`")
        return .failure
      }
      do {
        try ImportCommand.writeAtomically(markdown, to: outputPath)
      } catch {
        throw console.badInput("netdrill: \(outputPath): cannot write: \(error.localizedDescription)")
      }
      console.print("wrote \(outputPath): \(loaded.count) scenarios")
      return .success
    }
  }
}
