import ArgumentParser
import NetDrillCommands

extension PlaySide: ExpressibleByArgument {}

struct Import: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a scenario that re-creates a capture's UDP and TCP conversations on real sockets.",
    discussion: "Traffic that cannot be replayed is counted in the output and the scenario. Exit status: 0 or 2.")

  @Argument(help: "A pcap or pcapng capture.")
  var capture: String

  @Option(name: .shortAndLong, help: "The scenario file to write.")
  var output: String

  @Option(name: .long, help: "Import only packets this BPF filter (tcpdump syntax, compiled by libpcap) selects.")
  var filter: String?

  @OptionGroup var replay: ReplaySideOptions
  @OptionGroup var output_: OutputOptions

  func run() throws {
    let options = replay.request.options
    try finish(
      ImportCommand(capturePath: capture, outputPath: output, filter: filter, options: options, format: output_.format)
        .run())
  }
}

/// The one switch of an imported replay: which side netdrill plays, the
/// program under test that plays the other, and the pacing.
struct ReplaySideOptions: ParsableArguments {
  @Option(name: .long, help: "The side(s) netdrill plays: both, clients or servers (a recorded responder).")
  var play: PlaySide?

  @Option(name: .long, help: "A program under test (shell command) playing the other side (default: the servers).")
  var program: String?

  @Flag(name: .long, help: "Play the servers from the capture (a recorded responder): --play servers.")
  var respond = false

  @Option(name: .long, help: "Recorded pacing scaled (1x as captured, 2x twice as fast); default: as fast as it goes.")
  var speed: String?

  var request: ImportRequest { ImportRequest(play: play, program: program, respond: respond, speed: speed) }

  func validate() throws {
    if let problem = request.problem { throw ValidationError(problem) }
  }
}
