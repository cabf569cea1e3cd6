import Foundation
import NetDrillEngine
import NetDrillScenario

/// A program under test that replaying a trace would start on this machine.
///
/// Programs are the one part of a scenario that reaches outside its private
/// network: they run as the user running netdrill (often root), see the
/// host's files, and take their command, working directory and environment
/// from the scenario. A trace may come from anyone, so `replay` starts them
/// only with `--allow-programs`, and `show` and replay's refusal list them.
public struct ReplayProgram: Sendable, Encodable, Equatable {
  public var name: String
  public var host: String?
  public var command: [String]
  public var workingDirectory: String?
  public var environment: [String: String]

  /// Every program `scenario` starts, in declaration order.
  public static func all(in scenario: Scenario) -> [ReplayProgram] {
    scenario.programs.map {
      ReplayProgram(
        name: $0.name, host: $0.host ?? scenario.topology?.defaultHost ?? "local", command: $0.command,
        workingDirectory: $0.workingDirectory, environment: $0.environment)
    }
  }

  /// One line, terminal-safe, as a shell would read it:
  /// `echo (host b): python3 -u -c 'print(1)'  [cwd /srv, env A=1]`.
  public var summary: String {
    var text = "\(name)\(host.map { " (host \($0))" } ?? ""): " + command.map(Self.shellWord).joined(separator: " ")
    var extras: [String] = []
    if let workingDirectory { extras.append("cwd \(Self.shellWord(workingDirectory))") }
    if !environment.isEmpty {
      extras.append(
        "env "
          + environment.sorted { $0.key < $1.key }.map { Self.shellWord("\($0.key)=\($0.value)") }
          .joined(separator: " "))
    }
    if !extras.isEmpty { text += "  [\(extras.joined(separator: ", "))]" }
    return TerminalText.escape(text)
  }

  /// `word` unchanged when a shell would read it as one word, else in single quotes.
  static func shellWord(_ word: String) -> String {
    let plain =
      !word.isEmpty
      && word.unicodeScalars.allSatisfy { scalar in
        scalar.isASCII
          && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
            || "_./:=@%+,-".unicodeScalars.contains(scalar))
      }
    return plain ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
  }
}
