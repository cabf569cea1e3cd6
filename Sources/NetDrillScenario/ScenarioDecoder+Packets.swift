/// `expect_packets`: the packets the run must put on the wire.
extension ScenarioDecoder {
  /// `[...]` (in order, others allowed), `{"in_order": [...]}` or `{"exactly": [...]}`.
  func decodeExpectedPackets(_ node: Node) -> ([PacketExpectation], PacketMatch) {
    guard case .object = node.value.content else { return (decodePackets(node), .inOrder) }
    let modes = ScenarioVocabulary.packetMatchModes
    guard let fields = object(node, allowed: modes, context: "expected packets") else { return ([], .inOrder) }
    guard fields.members.count == 1, let member = fields.members.first, let mode = PacketMatch(rawValue: member.key)
    else {
      if !fields.hadUnknownKeys {
        report(
          node,
          "expected packets are a list, or an object with exactly one of \"in_order\" (others allowed) or \"exactly\" (nothing else)"
        )
      }
      return ([], .inOrder)
    }
    return (fields[member.key].map { decodePackets($0) } ?? [], mode)
  }

  private func decodePackets(_ node: Node) -> [PacketExpectation] {
    guard let items = array(node) else { return [] }
    var packets: [PacketExpectation] = []
    // The kind of each item by index, for checking what `quotes` points at.
    var kinds: [String?] = []
    for (index, item) in items.enumerated() {
      let (kind, packet) = decodePacket(item, index: index, earlierKinds: kinds)
      kinds.append(kind)
      if let packet { packets.append(packet) }
    }
    return packets
  }

  private func decodePacket(_ node: Node, index: Int, earlierKinds: [String?]) -> (String?, PacketExpectation?) {
    let allowed = ScenarioVocabulary.packetKinds + ["quotes"]
    guard let fields = object(node, allowed: allowed, context: "an expected packet") else { return (nil, nil) }
    let kindMembers = fields.members.filter { ScenarioVocabulary.packetKinds.contains($0.key) }
    if kindMembers.count > 1 {
      report(
        kindMembers[1].keyPosition, JSONPath.appending(node.path, key: kindMembers[1].key),
        "an expected packet is one of udp, tcp or icmp, but this one has both \(JSONPath.quoted(kindMembers[0].key)) and \(JSONPath.quoted(kindMembers[1].key))"
      )
      return (nil, nil)
    }
    guard let kindMember = kindMembers.first, let body = fields[kindMember.key] else {
      if !fields.hadUnknownKeys { report(node, "an expected packet needs one of \"udp\", \"tcp\" or \"icmp\"") }
      return (nil, nil)
    }
    let errorsBefore = errors.count
    var kind: PacketExpectation.Kind?
    switch kindMember.key {
    case "udp":
      if let parts = object(body, allowed: ScenarioVocabulary.udpPacketKeys, context: "a udp packet") {
        kind = .udp(from: parts["from"].flatMap { address($0) }, to: parts["to"].flatMap { address($0) })
      }
    case "tcp":
      if let parts = object(body, allowed: ScenarioVocabulary.tcpPacketKeys, context: "a tcp packet") {
        let flags = parts["flags"].flatMap { tcpFlags($0) }
        kind = .tcp(from: parts["from"].flatMap { address($0) }, to: parts["to"].flatMap { address($0) }, flags: flags)
      }
    default:
      kind = oneOf(body, ScenarioVocabulary.icmpErrors, what: "ICMP error").map { .icmp($0) }
    }
    var quotes: Int?
    if let quotesNode = fields["quotes"] {
      quotes = quotedIndex(quotesNode, kind: kindMember.key, index: index, earlierKinds: earlierKinds)
    }
    guard errors.count == errorsBefore, let kind else { return (kindMember.key, nil) }
    let location = ScenarioLocation(line: node.position.line, column: node.position.column, path: node.path)
    return (kindMember.key, PacketExpectation(kind: kind, quotes: quotes, location: location))
  }

  private func quotedIndex(_ node: Node, kind: String, index: Int, earlierKinds: [String?]) -> Int? {
    guard kind == "icmp" else {
      report(node, "\"quotes\" applies only to icmp packets (an ICMP error quotes the packet that caused it)")
      return nil
    }
    guard let quoted = integer(node, 0...Int.max) else { return nil }
    guard quoted < index else {
      report(
        node,
        index == 0
          ? "the first expected packet has no earlier packet to quote"
          : "\"quotes\": \(quoted) must name an earlier expected packet (0 to \(index - 1))")
      return nil
    }
    if earlierKinds.indices.contains(quoted), earlierKinds[quoted] == "icmp" {
      report(
        node,
        "packet \(quoted) is an ICMP error itself, and ICMP errors are never sent about ICMP errors (RFC 1122 3.2.2)")
      return nil
    }
    return quoted
  }

  private func tcpFlags(_ node: Node) -> [String]? {
    guard let elements = array(node) else { return nil }
    let flags = elements.compactMap { oneOf($0, ScenarioVocabulary.tcpFlags, what: "TCP flag") }
    return flags.count == elements.count ? flags : nil
  }
}
