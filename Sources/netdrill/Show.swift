import ArgumentParser
import NetDrillCapture
import NetDrillEngine
import NetDrillReplay

struct Show: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print a trace as a timeline: steps and outcomes interleaved with packets, endpoints by name.",
    discussion:
      "Any pcap or pcapng capture is accepted: without a netdrill manifest, packets are shown by conversation with made-up endpoint names (README, \"Foreign captures\")."
  )

  @Argument(help: "A trace written by netdrill (.pcapng), or any pcap/pcapng capture.")
  var trace: String

  @Flag(
    name: .long,
    help: "Print totals only: packets, bytes, flows by protocol, ICMP errors, truncated packets, link types.")
  var stats = false

  @Option(name: .long, help: "Show only packets this BPF filter (tcpdump syntax, compiled by libpcap) selects.")
  var filter: String?

  @OptionGroup var output: OutputOptions

  func run() throws {
    let packetFilter = try TraceLoading.filter(filter)
    if stats {
      let statistics = try TraceLoading.failing { try TraceStatistics.read(path: trace, filter: packetFilter) }
      print(output.json ? try JSONOutput.encode(statistics) : statistics.text(path: trace))
      return
    }
    let manifest = try TraceLoading.failing { try TraceSource.manifest(path: trace) }
    if manifest == nil || packetFilter != nil {
      // The streaming engine: a foreign capture, or a filtered view of any trace.
      if output.json {
        let statistics = try TraceLoading.failing { try TraceStatistics.read(path: trace, filter: packetFilter) }
        print(try JSONOutput.encode(statistics))
        return
      }
      let buffer = OutputBuffer()
      try TraceLoading.failing {
        try ConversationTimeline.write(
          path: trace, filter: packetFilter, names: manifest?.run.names ?? [:], to: buffer)
      }
      buffer.flush()
      return
    }
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
    try failing { try TraceDocument.load(path: path, options: options) }
  }

  /// Runs `body`; an error becomes exit 2 with its message (file and byte offset).
  static func failing<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch {
      FileHandleOutput.standardError("netdrill: \(error)")
      throw ExitCode(2)
    }
  }

  /// `--filter` compiled by libpcap, or exit 2 with libpcap's message.
  static func filter(_ expression: String?) throws -> PacketFilter? {
    guard let expression else { return nil }
    return try failing { try PacketFilter(expression: expression) }
  }
}
