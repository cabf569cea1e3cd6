/// A repeat's `"timestamps": true` and its `expect`'s `"latency"`.
extension ScenarioDecoder {
  /// `"timestamps": true` measures latency: the receiver finds each datagram's
  /// send time by its sequence number, so it needs a receiver and a body whose
  /// sends all carry `{"sequence": N}` payloads. `"latency"` in `expect` needs it.
  func repetitionTimestamps(_ fields: Fields, body: [Step], hasUntil: Bool) -> Bool {
    var timestamps = false
    if let node = fields["timestamps"], let value = bool(node), value {
      timestamps = true
      if !fields.has("receiver") {
        report(node, "\"timestamps\" needs a \"receiver\": the background receiver measures latency")
      }
      let sends = body.compactMap { step -> SendStep? in
        if case .send(let send) = step.action { return send }
        return nil
      }
      let numbered = sends.allSatisfy { send in
        send.messages.allSatisfy { if case .sequence = $0 { return true } else { return false } }
      }
      if sends.isEmpty || !numbered {
        report(
          node,
          "\"timestamps\" needs the body's sends to carry sequence payloads, like {\"send\": \"client\", \"data\": {\"sequence\": 64}}: a datagram's number finds its send time"
        )
      } else if body.count != 1 || hasUntil || sends.contains(where: { !$0.control.isEmpty }) {
        // Only the native loop (one send call, no `until`, no control messages) numbers datagrams 0, 1, 2…
        report(
          node,
          "\"timestamps\" needs a body of one send call without \"control\" and a repeat without \"until\": only that loop numbers its datagrams"
        )
      }
    }
    if !timestamps, let expect = fields["expect"], case .object(let members) = expect.value.content,
      let latency = members.first(where: { $0.key == "latency" })
    {
      report(
        latency.keyPosition, JSONPath.appending(expect.path, key: "latency"),
        "\"latency\" needs \"timestamps\": true on the repeat, which measures it")
    }
    return timestamps
  }

  /// `{"p50": {"max": "1ms"}, "p99": {"min": "1us", "max": "5ms"}, "max": {"max": "50ms"}}`.
  func latencyBounds(_ node: Node) -> [LatencyBound]? {
    let names = LatencyBound.Statistic.allCases.map(\.rawValue)
    guard let fields = object(node, allowed: names, context: "latency") else { return nil }
    if fields.members.isEmpty {
      report(node, "expected at least one of \(names.map { JSONPath.quoted($0) }.joined(separator: ", "))")
      return nil
    }
    var bounds: [LatencyBound] = []
    for statistic in LatencyBound.Statistic.allCases {
      guard let valueNode = fields[statistic.rawValue] else { continue }
      if case .object(let members) = valueNode.value.content, let since = members.first(where: { $0.key == "since" }) {
        report(
          since.keyPosition, JSONPath.appending(valueNode.path, key: "since"),
          "latency is measured per datagram from its send: \"since\" does not apply, use \"min\"/\"max\"")
        continue
      }
      guard let range = elapsed(valueNode) else { continue }
      bounds.append(LatencyBound(statistic: statistic, range: range))
    }
    return bounds.count == fields.members.count ? bounds : nil
  }
}
