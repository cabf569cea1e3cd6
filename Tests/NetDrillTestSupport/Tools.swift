import Foundation
import Testing

/// Tools some tests need besides root. Each property is nil when the tool is there, or says how to get it;
/// pass it to `.requires(_:)` so a missing tool skips with that reason outside CI and fails under `CI=true`.
public enum Tools {
  /// Wireshark's command-line reader.
  public static let tsharkMissing: String? =
    Command.find("tshark") == nil ? "tshark is not installed (.ci/install-deps, or apt-get install -y tshark)" : nil

  /// GNU time (`/usr/bin/time`), which reports a command's peak memory.
  public static let gnuTimeMissing: String? =
    access("/usr/bin/time", X_OK) == 0
    ? nil : "/usr/bin/time is not installed (.ci/install-deps, or apt-get install -y time)"

  /// Headless Chromium, which loads the ladder pages `show --html` writes.
  public static let chromiumMissing: String? =
    Command.find("chromium") == nil
    ? "chromium is not installed (.ci/install-deps, or apt-get install -y chromium)" : nil

  /// Why `python3 -c 'import module'` fails here, or nil when it works.
  public static func pythonModuleMissing(_ module: String, package: String) -> String? {
    guard let result = try? Command.run("python3", ["-c", "import \(module)"]) else {
      return "python3 could not be started (.ci/install-deps installs it)"
    }
    return result.status == 0
      ? nil : "python3 has no \(module) module (.ci/install-deps, or apt-get install -y \(package))"
  }
}
