import Foundation
import NetDrillEngine
import NetDrillReplay

/// `netdrill check`: every scenario of a folder run, its expectations checked
/// and its trace compared with its golden (`SuiteChecker`), a line printed
/// as each ends, then a summary; optionally a JUnit report.
public struct CheckCommand: Sendable {
  public var options: CheckOptions
  /// Where to write a JUnit XML report, if anywhere.
  public var junitPath: String?
  public var format: OutputFormat

  public init(options: CheckOptions, junitPath: String? = nil, format: OutputFormat) {
    self.options = options
    self.junitPath = junitPath
    self.format = format
  }

  /// The suite's verdict (`SuiteResult.exitCode`): `.badInput` also when a scenario could not be run.
  public func run(console: CommandConsole = .standard) throws -> CommandStatus {
    try CommandStatus.of {
      let result: SuiteResult
      do {
        // The selection is checked before the process is prepared: a wrong folder or filter runs nothing.
        _ = try SuiteChecker.selection(options)
        try ProcessSetup.prepareForScenarios(hostNetwork: false, console: console)
        result = try SuiteChecker.check(options: options) { [format] check in
          if case .text(let style) = format { console.print(CheckReport.entry(for: check, style: style)) }
        }
      } catch {
        throw console.badInput("netdrill: \(error)")
      }
      if let junitPath {
        let xml = JUnitReport(result: result, scenariosDirectory: options.scenariosDirectory).xml
        do {
          try xml.write(toFile: junitPath, atomically: true, encoding: .utf8)
        } catch {
          throw console.badInput("netdrill: cannot write \(junitPath): \(error.localizedDescription)")
        }
      }
      switch format {
      case .json: console.print(try JSONOutput.encode(result))
      case .text(let style): console.print(CheckReport.summary(result, style: style))
      }
      return CommandStatus(rawValue: result.exitCode) ?? .badInput
    }
  }
}
