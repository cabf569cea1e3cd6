import ArgumentParser
import NetDrillCommands

struct Schema: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print the JSON Schema of the scenario format.")

  func run() throws {
    print(ScenarioSchema.json)
  }
}
