/// The words of `inject` steps.
extension ScenarioVocabulary {
  /// Every key an inject step takes besides `inject`; which ones apply
  /// depends on the kind (`injectKeys`).
  static let injectFields: [StepField] = [
    .init("host", .hostName), .init("from", .address), .init("to", .address), .init("data", .payload),
    .init("error", .icmpError), .init("quoting", .stepNumber), .init("mtu", .mtu),
    .init("into", .newName), .init("flags", .tcpFlags), .init("seq", .sequenceOffset),
    .init("ack", .sequenceOffset), .init("window", .window),
  ]

  /// The keys each kind takes (besides `inject`, `host` and `note`), and the ones it needs.
  static let injectKeys: [InjectKind: (allowed: [String], required: [String])] = [
    .udp: (["from", "to", "data"], ["from", "to", "data"]),
    .icmp: (["error", "quoting", "from", "mtu"], ["error", "quoting"]),
    .tcp: (["into", "flags", "seq", "ack", "window", "data"], ["into", "flags"]),
  ]

  /// Keys every inject step takes whatever its kind.
  static let injectCommonKeys = ["inject", "host", "note", "id"]

  static let defaultInjectWindow = 65535
  /// Largest `seq`/`ack` offset either way (2^31: half the sequence space).
  static let maximumSequenceOffset: Int64 = 2_147_483_647
}
