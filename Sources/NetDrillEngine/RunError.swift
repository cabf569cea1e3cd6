import NetDrillNetwork
import NetDrillScenario

/// Why a run could not go on: a problem with the scenario as run (an address
/// that cannot be resolved) or with the environment. Exit code 2.
public enum RunError: Error, CustomStringConvertible, Sendable {
  case undeclaredSocket(String, ScenarioLocation)
  case unknownAddressName(String, ScenarioLocation)
  case unboundSocket(String, ScenarioLocation)
  case badAddress(String, ScenarioLocation)
  case noClosedPort
  /// The scenario's network cannot be built as declared (found before any namespace exists).
  case invalidScenario(ScenarioErrors)
  case network(NetworkError)
  case environment(String)

  public var description: String {
    switch self {
    case .undeclaredSocket(let name, let location):
      return
        "\(location): socket \"\(name)\" is not open at this step (declared deferred and not created yet, or never accepted)"
    case .unknownAddressName(let name, let location):
      return "\(location): \"\(name)\" names no socket and no remembered address"
    case .unboundSocket(let name, let location):
      return "\(location): socket \"\(name)\" has no local address yet to stand for: bind it (or send from it) first"
    case .badAddress(let text, let location):
      return "\(location): cannot use address \(text)"
    case .noClosedPort:
      return "no port without a listener could be found for $closed"
    case .invalidScenario(let errors):
      return errors.description
    case .network(let error):
      return error.description
    case .environment(let text):
      return text
    }
  }
}
