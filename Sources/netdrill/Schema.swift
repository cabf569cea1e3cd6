import ArgumentParser
import NetDrillCommands

struct Schema: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print the JSON Schema of the scenario format.")

  func run() throws {
    print(ScenarioSchema.json)
  }
}

struct Catalog: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write DIR/README.md: every scenario below DIR, what it shows and the kernel's answer.")
  @Argument(help: "The scenario folder.") var directory = "scenarios"
  @Flag(name: .long, help: "Write nothing; exit 1 when DIR/README.md is out of date.") var check = false
  func run() throws { try finish(CatalogCommand(directory: directory, checkOnly: check).run()) }
}
