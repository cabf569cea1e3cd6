import NetDrillTrace

/// Names a summarised run's flow (`UDP 127.0.0.1:52907 → 127.0.0.1:39691`)
/// the way packets are named: each endpoint by the name the run gave it
/// (`UDP unconnected → server`), or `address:port#N` for a port nobody named
/// (a program's ephemeral port), numbered in the order the runs began. So two
/// recordings of the same behaviour give the same key whatever ports the
/// kernel picked.
struct BulkFlowNames {
  private var normalizer: PacketNormalizer
  private let symbolizer: EndpointSymbolizer

  init(names: [String: String]) {
    normalizer = PacketNormalizer(names: names)
    symbolizer = EndpointSymbolizer(names: names)
  }

  mutating func name(_ flow: String) -> String {
    let prefix = "UDP "
    guard flow.hasPrefix(prefix) else { return symbolizer.symbolized(flow) }
    let ends = flow.dropFirst(prefix.count).components(separatedBy: " → ")
    guard ends.count == 2, let source = Self.endpoint(ends[0]), let destination = Self.endpoint(ends[1]) else {
      return symbolizer.symbolized(flow)
    }
    return prefix + normalizer.endpoint(source.address, source.port) + " → "
      + normalizer.endpoint(destination.address, destination.port)
  }

  /// `127.0.0.1:9` or `[::1]:9` as written by the recorder.
  private static func endpoint(_ text: String) -> (address: IPAddress, port: UInt16)? {
    guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
      return nil
    }
    var host = text[..<colon]
    if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
    guard let address = IPAddress(String(host)) else { return nil }
    return (address, port)
  }
}
