/// Addresses, multicast groups and interfaces.
extension ScenarioDecoder {
  /// An address; a name in it must be a socket or an address remembered by
  /// an earlier step.
  func address(_ node: Node) -> AddressSpec? {
    guard let text = string(node, what: "an address") else { return nil }
    let spec: AddressSpec
    do {
      spec = try ValueSyntax.address(text)
    } catch {
      report(node, error.message)
      return nil
    }
    let name: String
    switch spec {
    case .named(let named), .literal(_, .of(let named)): name = named
    case .namedClosedPort(let label), .literal(_, .namedClosed(let label)):
      closedPortNames.insert(label)
      return spec
    default: return spec
    }
    if sockets[name] != nil || remembered[name] != nil { return spec }
    if let definedAt = laterRemembers[name] ?? laterAccepts[name] {
      report(node, "\(JSONPath.quoted(name)) is used before it is defined (at \(definedAt))")
    } else {
      report(
        node, "unknown name \(JSONPath.quoted(name)) in an address: not a socket or a remembered address",
        suggestion: ScenarioError.nearest(name, in: socketOrder + rememberedOrder))
    }
    return nil
  }

  func multicastGroup(_ node: Node) -> String? {
    guard let text = string(node, what: "a group address") else { return nil }
    guard ValueSyntax.isIPv4Literal(text) || ValueSyntax.isIPv6Literal(text) else {
      report(
        node, "expected a multicast group address like \"239.1.2.3\" or \"ff02::1:3\", found \(JSONPath.quoted(text))")
      return nil
    }
    return text
  }

  /// IPv4 membership names the interface by address (`ip_mreqn`), IPv6 by
  /// name (`ipv6_mreq` takes an index); with the family unknown either reads.
  func multicastInterface(_ node: Node, family: AddressFamily?) -> String? {
    guard let text = string(node, what: "an interface") else { return nil }
    switch family {
    case .ipv4 where !ValueSyntax.isIPv4Literal(text):
      report(
        node, "an IPv4 socket names the interface by its IPv4 address (\"10.0.0.1\"), found \(JSONPath.quoted(text))")
      return nil
    case .ipv6 where !isInterfaceName(text):
      report(node, "an IPv6 socket names the interface by name (\"eth0\"), found \(JSONPath.quoted(text))")
      return nil
    case nil where !ValueSyntax.isIPv4Literal(text) && !isInterfaceName(text):
      report(node, "expected an interface address or name, found \(JSONPath.quoted(text))")
      return nil
    default:
      return text
    }
  }

  /// Linux interface names: 1 to 15 bytes (IFNAMSIZ - 1), no '/', no whitespace.
  func isInterfaceName(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    return (1...15).contains(bytes.count) && !bytes.contains { $0 <= 0x20 || $0 == UInt8(ascii: "/") || $0 >= 0x7F }
  }
}
