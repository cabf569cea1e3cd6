import ArgumentParser
import Glibc
import NetDrillCapture
import NetDrillEngine

enum NetDrillVersionText {
  static let value = NetDrillVersion.current
}

enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
  case auto, always, never
}

/// Output options every command shares.
struct OutputOptions: ParsableArguments {
  @Flag(name: .long, help: "Print machine-readable JSON instead of text.")
  var json = false

  @Option(name: .long, help: "Colour: auto (on a terminal, unless NO_COLOR is set), always, never.")
  var color: ColorChoice = .auto

  var style: TextStyle {
    switch color {
    case .always: return TextStyle(enabled: true)
    case .never: return TextStyle(enabled: false)
    case .auto: return TextStyle(enabled: isatty(STDOUT_FILENO) == 1 && getenv("NO_COLOR") == nil)
    }
  }
}

/// Where a run happens.
struct NetworkOptions: ParsableArguments {
  @Flag(name: .long, help: "Run on the host's own network instead of a fresh private namespace (no isolation).")
  var hostNetwork = false
}

enum FileHandleOutput {
  /// Writes a message line by line, each line escaped for the terminal:
  /// messages quote scenario and trace text, which may be untrusted.
  static func standardError(_ text: String) {
    var line = text.split(separator: "\n", omittingEmptySubsequences: false)
      .map { TerminalText.escape(String($0)) }.joined(separator: "\n")
    if !line.hasSuffix("\n") { line += "\n" }
    let bytes = Array(line.utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
  }
}

/// Capture settings for the commands that record.
struct CaptureOptions: ParsableArguments {
  @Option(name: .long, help: "Bytes kept of each packet.")
  var snapLength: Int32 = 262_144

  @Option(name: .long, help: "Kernel capture buffer in MiB.")
  var bufferMib: Int32 = 64

  @Option(name: .customLong("capture-filter"), help: "A BPF filter for the capture (tcpdump syntax).")
  var filter: String?

  var recordOptions: RecordOptions {
    RecordOptions(capture: CaptureConfiguration(snapLength: snapLength, bufferBytes: bufferMib << 20, filter: filter))
  }
}
