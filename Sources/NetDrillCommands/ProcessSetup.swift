import Dispatch
import Glibc
import NetDrillNetwork
import NetDrillTrace

/// What a process must do before it runs scenarios.
public enum ProcessSetup {
  /// An ordinary user gets a user namespace first, while the process has one
  /// thread (unshare(2) refuses it later), unless the run uses the host's
  /// network; then SIGINT/SIGTERM are caught so a half-written trace is removed.
  public static func prepareForScenarios(hostNetwork: Bool, console: CommandConsole = .standard) throws {
    if !hostNetwork { try UserNamespace.enterIfUnprivileged() }
    Interruption.install(console: console)
  }
}

/// On SIGINT or SIGTERM: remove partial traces and exit (128 + signal). The
/// private networks need no cleanup: they are held only by this process.
enum Interruption {
  // Written once, by the single thread that prepares the process, before any handler can run.
  nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

  static func install(console: CommandConsole) {
    guard sources.isEmpty else { return }
    for signalNumber in [SIGINT, SIGTERM] {
      signal(signalNumber, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      source.setEventHandler {
        PartialTraces.removeAll()
        console.error("netdrill: interrupted")
        _exit(128 + signalNumber)
      }
      source.resume()
      sources.append(source)
    }
  }
}
