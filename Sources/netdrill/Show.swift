import ArgumentParser
import NetDrillCommands

struct Show: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print a trace as a timeline: steps and outcomes interleaved with packets, endpoints by name.",
    discussion: "Any pcap/pcapng capture: without a netdrill manifest, packets are shown by conversation.")

  @Argument(help: "A trace written by netdrill (.pcapng), or any pcap/pcapng capture.") var trace: String
  @Flag(name: .long, help: "Totals: packets, bytes, flows, ICMP errors, truncations, link types.") var stats = false
  @Option(name: .long, help: "Show only packets this BPF filter (tcpdump syntax, libpcap) selects.") var filter: String?
  @Option(name: .long, help: "Write the trace as a ladder diagram (HTML page) here.") var html: String?
  @OptionGroup var output: OutputOptions

  func run() throws {
    try finish(
      ShowCommand(tracePath: trace, statistics: stats, filter: filter, format: output.format, htmlPath: html).run())
  }
}
