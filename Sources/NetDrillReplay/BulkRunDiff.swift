import NetDrillEngine

/// Compares the bulk runs two traces summarised (``BulkFolding``): per
/// interface, flow (by the names of each run, ``BulkFlowNames``) and payload length, the
/// number of packets, their bytes and the digest of their payloads. Times
/// are not compared, as for packets.
enum BulkRunDiff {
  /// `comparesPayload` false (`--ignore payload`) leaves the digest out.
  static func compare(expected: TraceManifest, actual: TraceManifest, comparesPayload: Bool = true)
    -> [TraceDifference]
  {
    let left = keyed(expected, digest: comparesPayload)
    let right = keyed(actual, digest: comparesPayload)
    var differences: [TraceDifference] = []
    for (key, want) in left {
      let got = right.first { $0.key == key }?.text ?? "nothing summarised"
      if got != want { differences.append(difference(key, expected: want, actual: got)) }
    }
    for (key, got) in right where !left.contains(where: { $0.key == key }) {
      differences.append(difference(key, expected: "nothing summarised", actual: got))
    }
    return differences
  }

  private static func difference(_ key: String, expected: String, actual: String) -> TraceDifference {
    TraceDifference(
      kind: .packet, location: "bulk \(key)", field: "summarised packets", expected: expected, actual: actual)
  }

  /// `UDP client → server len=1024 on local/lo` (with `#2` for a second run of the same key) → its totals.
  private static func keyed(_ manifest: TraceManifest, digest: Bool) -> [(key: String, text: String)] {
    var names = BulkFlowNames(names: manifest.run.names)
    var seen: [String: Int] = [:]
    return (manifest.bulk ?? []).map { run in
      var key = "\(names.name(run.flow)) len=\(run.payloadLength) on \(run.interface)"
      seen[key, default: 0] += 1
      if let count = seen[key], count > 1 { key += " #\(count)" }
      return (key, "\(run.count) packets, \(run.bytes) bytes" + (digest ? ", digest \(run.digest)" : ""))
    }
  }
}
