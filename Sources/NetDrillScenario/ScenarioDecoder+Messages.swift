/// The send and receive steps (`write` ... `sendmmsg`, `read` ... `recvmmsg`).
extension ScenarioDecoder {
  func decodeSend(_ call: SendCall, socket: String, fields: Fields, step: Node) -> Action? {
    let flags = fields["flags"].flatMap { words($0, as: MessageFlag.self, what: "message flag") } ?? []
    let target = fields["to"].flatMap { address($0) }
    var messages: [Payload]?
    var echo: [EchoRange]? = []
    if call == .sendmmsg {
      messages = decodeBatch(fields, step: step)
    } else if let node = fields["data"], let data = payload(node, allowing: [ScenarioVocabulary.echoKey]) {
      messages = [data]
      echo = echoRanges(in: node, payloadSize: data.bytes.count)
    }
    // No "control" is no control messages; a wrong one (nil) is reported already.
    let control: [ControlEntry]? = fields["control"].map { controlEntries($0, sending: true) } ?? []
    guard let messages, let control, let echo else { return nil }
    return .send(
      SendStep(call: call, socket: socket, to: target, messages: messages, flags: flags, control: control, echo: echo))
  }

  /// sendmmsg's datagrams: `data` repeated `count` times, or `messages`.
  private func decodeBatch(_ fields: Fields, step: Node) -> [Payload]? {
    let batch = 1...ScenarioVocabulary.maximumBatch
    switch (fields["data"], fields["messages"]) {
    case (let data?, nil):
      let count = fields["count"].flatMap { integer($0, batch) } ?? 1
      return payload(data).map { Array(repeating: $0, count: count) }
    case (nil, let list?):
      if let countPosition = fields.keyPosition("count") {
        report(
          countPosition, JSONPath.appending(step.path, key: "count"),
          "\"count\" repeats \"data\"; with \"messages\" every datagram is listed")
      }
      guard let elements = array(list, count: batch) else { return nil }
      let payloads = elements.compactMap { payload($0) }
      return payloads.count == elements.count ? payloads : nil
    case (_?, let list?):
      report(list, "give either \"data\" (with an optional \"count\") or \"messages\", not both")
      return nil
    case (nil, nil):
      report(step, "a sendmmsg step needs \"data\" (with an optional \"count\") or \"messages\"")
      return nil
    }
  }

  func decodeReceive(_ call: ReceiveCall, socket: String, fields: Fields, remember: String?) -> Action? {
    let size =
      fields["size"].flatMap { integer($0, 0...ScenarioVocabulary.maximumPayloadSize) }
      ?? ScenarioVocabulary.defaultReceiveSize
    let count = fields["count"].flatMap { integer($0, 1...ScenarioVocabulary.maximumBatch) } ?? 1
    let flags = fields["flags"].flatMap { words($0, as: MessageFlag.self, what: "message flag") } ?? []
    let controlSize =
      fields["control_size"].flatMap { integer($0, 0...ScenarioVocabulary.maximumControlSize) }
      ?? ScenarioVocabulary.defaultControlSize
    return .receive(
      ReceiveStep(
        call: call, socket: socket, size: size, count: count, flags: flags, controlSize: controlSize,
        remember: remember))
  }
}
