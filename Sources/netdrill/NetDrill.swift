import ArgumentParser
import Glibc
import NetDrillCommands

@main
struct NetDrill: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "netdrill",
    abstract: "Run network scenarios on real sockets in a private network, record and compare what the kernel did.",
    version: NetDrillVersion.current,
    subcommands: [
      Run.self, Record.self, Show.self, Import.self, Replay.self, Diff.self, Check.self, Schema.self, Catalog.self,
    ]
  )

  /// Exit codes are part of the interface: 0 ok, 1 differs or failed, 2 bad
  /// input or environment. ArgumentParser's own usage errors (64) become 2.
  static func main() {
    // A write to a closed peer must come back as EPIPE, not kill netdrill (LINUX-NOTES: TCP).
    signal(SIGPIPE, SIG_IGN)
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      let code = exitCode(for: error)
      if code == .success || code.rawValue == 1 || code.rawValue == 2 {
        exit(withError: error)
      }
      let message = fullMessage(for: error)
      if !message.isEmpty { CommandConsole.standard.error(message) }
      Glibc.exit(2)
    }
  }
}
