// Control messages (cmsg(3)): sendmsg's `control` and recvmsg's expected `control`.
extension ScenarioDecoder {
  /// `{"IP_TTL": 5, "IP_PKTINFO": {"spec_dst": "192.0.2.1"}}` in written order;
  /// nil if any entry is wrong (each is reported). Expected entries may also
  /// be `"present"` or `"absent"`; sent ones must be messages sendmsg takes.
  func controlEntries(_ node: Node, sending: Bool) -> [ControlEntry]? {
    let names = (sending ? ControlMessageName.sendable : ControlMessageName.allCases).map(\.rawValue)
    guard let fields = object(node, allowed: names, context: sending ? "sendmsg's control" : "control") else {
      return nil
    }
    var entries: [ControlEntry] = []
    var failed = fields.hadUnknownKeys
    for member in fields.members {
      guard let name = ControlMessageName(rawValue: member.key), names.contains(member.key),
        let value = fields[member.key]
      else { continue }
      if let decoded = controlValue(value, name: name, sending: sending) {
        entries.append(ControlEntry(name: name, value: decoded))
      } else {
        failed = true
      }
    }
    return failed ? nil : entries
  }

  private func controlValue(_ node: Node, name: ControlMessageName, sending: Bool) -> ControlEntry.Value? {
    if !sending, case .string(let word) = node.value.content {
      switch word {
      case "present": return .present
      case "absent": return .absent
      default:
        report(node, "expected \"present\" or \"absent\" for \(name.rawValue), found \(JSONPath.quoted(word))")
        return nil
      }
    }
    if name.isPresenceOnly {
      report(
        node,
        "\(name.rawValue) differs in every run: expect \"present\" or \"absent\", found \(node.value.kindDescription)")
      return nil
    }
    if name.isPacketInfo {
      guard case .object = node.value.content else {
        report(
          node,
          "\(name.rawValue) takes an object with \(ScenarioVocabulary.packetInfoKeys.joined(separator: ", "))\(sending ? "" : ", or \"present\"/\"absent\""), found \(node.value.kindDescription)"
        )
        return nil
      }
      return packetInfo(node, name: name, sending: sending).map { .packetInfo($0) }
    }
    guard case .number = node.value.content else {
      report(
        node,
        "\(name.rawValue) takes an integer\(sending ? "" : " or \"present\"/\"absent\""), found \(node.value.kindDescription)"
      )
      return nil
    }
    return integer(node, 0...name.maximumValue).map { .integer($0) }
  }

  private func packetInfo(_ node: Node, name: ControlMessageName, sending: Bool) -> PacketInfo? {
    let ipv4 = name == .IP_PKTINFO
    // in6_pktinfo has no spec_dst; a sent in_pktinfo's ipi_addr is ignored by the kernel (ip(7)).
    let allowed = ScenarioVocabulary.packetInfoKeys.filter { key in
      !(key == "spec_dst" && !ipv4) && !(key == "addr" && ipv4 && sending)
    }
    guard let fields = object(node, allowed: allowed, context: name.rawValue) else { return nil }
    let before = errors.count
    var info = PacketInfo()
    info.address = fields["addr"].flatMap { ipAddress($0, ipv4: ipv4) }
    info.specificDestination = fields["spec_dst"].flatMap { ipAddress($0, ipv4: true) }
    info.interfaceIndex = fields["ifindex"].flatMap { integer($0, 0...Int(Int32.max)) }
    if let interfaceNode = fields["interface"], let text = string(interfaceNode, what: "an interface name") {
      if isInterfaceName(text) {
        info.interface = text
      } else {
        report(interfaceNode, "\(JSONPath.quoted(text)) is not an interface name (1 to 15 characters, like \"eth0\")")
      }
    }
    if sending, info.interfaceIndex != nil, info.interface != nil {
      report(node, "give the outgoing interface once: \"ifindex\" or \"interface\"")
    }
    return errors.count == before && !fields.hadUnknownKeys ? info : nil
  }

  private func ipAddress(_ node: Node, ipv4: Bool) -> String? {
    guard let text = string(node, what: "an IP address") else { return nil }
    let valid = ipv4 ? ValueSyntax.isIPv4Literal(text) : ValueSyntax.isIPv6Literal(text)
    guard valid else {
      report(
        node,
        "expected an \(ipv4 ? "IPv4 address like \"192.0.2.1\"" : "IPv6 address like \"2001:db8::1\""), found \(JSONPath.quoted(text))"
      )
      return nil
    }
    return text
  }
}
