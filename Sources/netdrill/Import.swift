import ArgumentParser
import NetDrillCommands

extension PlaySide: ExpressibleByArgument {}

struct Import: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a scenario that re-creates a capture's UDP and TCP conversations on real sockets.",
    discussion:
      "Any pcap or pcapng capture. Traffic that cannot be replayed is counted in the output and in the scenario's description. Exit status: 0 written, 2 error."
  )

  @Argument(help: "A pcap or pcapng capture.")
  var capture: String

  @Option(name: .shortAndLong, help: "The scenario file to write.")
  var output: String

  @Option(name: .long, help: "Import only packets this BPF filter (tcpdump syntax, compiled by libpcap) selects.")
  var filter: String?

  @OptionGroup var replay: ReplaySideOptions
  @OptionGroup var output_: OutputOptions

  func run() throws {
    let command = ImportCommand(
      capturePath: capture, outputPath: output, filter: filter, options: try replay.importOptions(),
      format: output_.format)
    try finish(command.run())
  }
}

/// The one switch of an imported replay: which side netdrill plays, the
/// program under test that plays the other, and the pacing.
struct ReplaySideOptions: ParsableArguments {
  @Option(
    name: .long,
    help: "The side(s) netdrill plays: both, clients (a --program is the server), servers (a recorded responder).")
  var play: PlaySide?

  @Option(
    name: .long,
    help:
      "A program under test (a shell command), started inside the private network on the host of the side netdrill does not play; with it netdrill plays the clients unless --play/--respond say otherwise."
  )
  var program: String?

  @Flag(name: .long, help: "Play the servers from the capture (a recorded responder): same as --play servers.")
  var respond = false

  @Option(
    name: .long,
    help: "Recorded pacing scaled: 1x is as captured, 2x twice as fast. Default: as fast as the conversations allow.")
  var speed: String?

  func importOptions() throws -> ImportOptions {
    var side = play ?? (respond ? .servers : program != nil ? .clients : .both)
    if respond { side = .servers }
    var factor: Double?
    if let speed {
      let number = speed.hasSuffix("x") ? String(speed.dropLast()) : speed
      guard let value = Double(number), value > 0, value.isFinite else {
        throw ValidationError("--speed takes a factor like 1x, 2x or 0.5x, found \"\(speed)\"")
      }
      factor = value
    }
    return ImportOptions(play: side, program: program, speed: factor)
  }
}
