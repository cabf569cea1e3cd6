import Foundation
import Glibc
import NetDrillNetwork
import NetDrillScenario

/// Checks a scenario's `"requires"` against this machine.
public enum Requirements {
  /// One line per requirement this machine does not meet: `needs netem: ...`.
  public static func unmet(_ requirements: [Requirement]) -> [String] {
    requirements.compactMap { requirement in
      switch requirement.kind {
      case .root:
        return geteuid() == 0 ? nil : "needs root (running as uid \(geteuid()))"
      case .ipv6:
        return KernelFeatures.hasIPv6 ? nil : "needs ipv6: this kernel cannot make an AF_INET6 socket"
      case .netem:
        switch KernelFeatures.hasQdisc("netem", arguments: ["delay", "1ms"]) {
        case .success(true): return nil
        case .success(false): return "needs netem: this kernel has no sch_netem queueing discipline"
        case .failure(let error): return "needs netem, and netdrill could not find out whether it is there: \(error)"
        }
      case .program(let name):
        return programOnPath(name) ? nil : "needs the program \(name), which is not on PATH"
      }
    }
  }

  private static func programOnPath(_ name: String) -> Bool {
    if name.contains("/") { return access(name, X_OK) == 0 }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").contains { access("\($0)/\(name)", X_OK) == 0 }
  }
}
