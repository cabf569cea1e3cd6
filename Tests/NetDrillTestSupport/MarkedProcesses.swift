import Foundation
import Glibc

/// Processes a test started, found by a unique argument (never host-wide counts, which other tests
/// running on the same machine would disturb).
public enum MarkedProcesses {
  /// A marker no other process carries: `sleep` takes it as a number of seconds (`1001.0123456`).
  public static func make() -> String { "1001.\(UInt32.random(in: 1_000_000...9_999_999))" }

  /// Pids whose argv contains `marker` as a whole argument.
  public static func alive(_ marker: String) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> pid_t? in
      guard let pid = pid_t(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else {
        return nil
      }
      return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == marker } ? pid : nil
    }
  }

  /// Polls until some process carries `marker`.
  public static func appear(_ marker: String, within bound: Duration) -> Bool {
    poll(within: bound) { !alive(marker).isEmpty }
  }

  /// Polls until exactly `count` processes carry `marker` (a program may say it is ready before they exec).
  public static func count(_ marker: String, reaches count: Int, within bound: Duration) -> Bool {
    poll(within: bound) { alive(marker).count == count }
  }

  /// Polls until no process carries `marker`; false if some still do after `bound`.
  public static func gone(_ marker: String, within bound: Duration) -> Bool {
    poll(within: bound) { alive(marker).isEmpty }
  }

  /// Kills whatever still carries `marker`, so a failing test leaves the machine clean.
  public static func killAll(_ marker: String) {
    for pid in alive(marker) { kill(pid, SIGKILL) }
  }

  private static func poll(within bound: Duration, until condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + bound
    while !condition() {
      if ContinuousClock.now >= deadline { return false }
      Thread.sleep(forTimeInterval: 0.02)
    }
    return true
  }
}
