import ArgumentParser
import NetDrillEngine
import NetDrillReplay

struct Show: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print a trace as a timeline: steps and outcomes interleaved with packets, endpoints by name.")

  @Argument(help: "A trace written by netdrill (.pcapng).")
  var trace: String

  @OptionGroup var output: OutputOptions

  func run() throws {
    let document = try TraceLoading.load(trace)
    let timeline = TraceTimeline(document: document)
    if output.json {
      print(
        try JSONOutput.encode(
          ShowDocument(
            manifest: document.manifest, timeline: timeline.entries, replayPrograms: timeline.replayPrograms)))
    } else {
      print(timeline.text(style: output.style))
    }
  }
}

struct ShowDocument: Encodable {
  var manifest: NetDrillEngine.TraceManifest
  var timeline: [TraceTimeline.Entry]
  /// What `replay --allow-programs` would start; nil when the embedded scenario is invalid.
  var replayPrograms: [ReplayProgram]?
}

enum TraceLoading {
  /// Loads a trace or exits 2 with the reader's message (file and byte offset).
  static func load(_ path: String, options: NormalizationOptions = .init()) throws -> TraceDocument {
    do {
      return try TraceDocument.load(path: path, options: options)
    } catch {
      FileHandleOutput.standardError("netdrill: \(error)")
      throw ExitCode(2)
    }
  }
}
