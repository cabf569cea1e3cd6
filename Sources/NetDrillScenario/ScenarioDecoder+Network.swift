/// Decoding of the simulated network: `hosts`, `links`, `routes`, `faults`, `programs`.
extension ScenarioDecoder {
  /// Hosts in declaration order; their names are then known to links, routes, faults, programs and sockets.
  func decodeHosts(_ node: Node) -> [HostDeclaration] {
    guard case .object(let members) = node.value.content else {
      report(
        node,
        "expected an object of named hosts like {\"a\": {}, \"router\": {\"forwarding\": true}}, found \(node.value.kindDescription)"
      )
      return []
    }
    var hosts: [HostDeclaration] = []
    for member in members {
      let path = JSONPath.appending(node.path, key: member.key)
      let hostNode = Node(member.value, path: path)
      guard ValueSyntax.isName(member.key), member.key.utf8.count <= 12 else {
        report(
          member.keyPosition, path,
          "a host name is a letter or _ then letters, digits, _ . - (at most 12 characters), found \(JSONPath.quoted(member.key))"
        )
        continue
      }
      guard let fields = object(hostNode, allowed: ScenarioVocabulary.hostKeys, context: "a host") else { continue }
      let forwarding = fields["forwarding"].flatMap { bool($0) } ?? false
      hosts.append(
        HostDeclaration(
          name: member.key, forwarding: forwarding,
          location: ScenarioLocation(line: member.keyPosition.line, column: member.keyPosition.column, path: path)))
    }
    return hosts
  }

  /// A host's interfaces are named `eth0` to `eth98` (IFNAMSIZ leaves room for two digits).
  static let maximumLinksPerHost = 99

  func decodeLinks(_ node: Node, hosts: [String]) -> [LinkDeclaration] {
    guard let elements = array(node) else { return [] }
    var names: Set<String> = []
    var linksOfHost: [String: Int] = [:]
    var subnets: [(prefix: CIDRPrefix, link: String)] = []
    return elements.compactMap { element -> LinkDeclaration? in
      guard let fields = object(element, allowed: ScenarioVocabulary.linkKeys, context: "a link") else { return nil }
      let errorsBefore = errors.count
      for key in ["name", "hosts"] where !fields.has(key) { report(element, "a link needs \(JSONPath.quoted(key))") }
      let name = fields["name"].flatMap { string($0, what: "a link name") }
      if let name, let nameNode = fields["name"] {
        if !ValueSyntax.isName(name) || name.utf8.count > 12 {
          report(nameNode, "a link name is a letter or _ then letters, digits, _ . - (at most 12 characters)")
        } else if !names.insert(name).inserted {
          report(nameNode, "a second link named \(JSONPath.quoted(name))")
        }
      }
      var members: [String] = []
      if let hostsNode = fields["hosts"], let hostNodes = array(hostsNode, count: 2...64) {
        for hostNode in hostNodes {
          guard let host = hostName(hostNode, known: hosts) else { continue }
          if members.contains(host) {
            report(hostNode, "\(JSONPath.quoted(host)) is on this link twice")
          } else {
            linksOfHost[host, default: 0] += 1
            if linksOfHost[host] == Self.maximumLinksPerHost + 1 {
              report(
                hostNode,
                "host \(JSONPath.quoted(host)) is on more than \(Self.maximumLinksPerHost) links (interfaces eth0 to eth\(Self.maximumLinksPerHost - 1))"
              )
            }
          }
          members.append(host)
        }
      }
      let ipv4 = fields["ipv4"].flatMap { linkSubnet($0, ipv6: false, hostCount: members.count) }
      let ipv6 = fields["ipv6"].flatMap { linkSubnet($0, ipv6: true, hostCount: members.count) }
      for (key, text) in [("ipv4", ipv4), ("ipv6", ipv6)] {
        guard let text, let subnetNode = fields[key], let prefix = CIDRPrefix(text, ipv6: key == "ipv6") else {
          continue
        }
        if let clash = subnets.first(where: { $0.prefix.overlaps(prefix) }) {
          report(subnetNode, "\(prefix) overlaps \(clash.prefix) of link \(JSONPath.quoted(clash.link))")
        }
        subnets.append((prefix, name ?? ""))
      }
      let mtu = fields["mtu"].flatMap { integer($0, 68...65535) }
      guard errors.count == errorsBefore, let name else { return nil }
      return LinkDeclaration(
        name: name, hosts: members, ipv4Subnet: ipv4, ipv6Subnet: ipv6, mtu: mtu,
        location: ScenarioLocation(line: element.position.line, column: element.position.column, path: element.path))
    }
  }

  func decodeRoutes(_ node: Node, hosts: [String]) -> [RouteDeclaration] {
    guard let elements = array(node) else { return [] }
    /// Each host's destinations so far (`default` as 0.0.0.0/0 or ::/0) → where.
    var destinations: [String: [(prefix: CIDRPrefix, path: String)]] = [:]
    return elements.compactMap { element -> RouteDeclaration? in
      guard let fields = object(element, allowed: ScenarioVocabulary.routeKeys, context: "a route") else { return nil }
      let errorsBefore = errors.count
      for key in ScenarioVocabulary.routeKeys where !fields.has(key) {
        report(element, "a route needs \(JSONPath.quoted(key))")
      }
      let host = fields["host"].flatMap { hostName($0, known: hosts) }
      var destination: String?
      if let toNode = fields["to"], let text = string(toNode, what: "a destination") {
        if text == "default" {
          destination = text
        } else if let written = subnet(toNode, ipv6: text.contains(":")),
          let prefix = CIDRPrefix(written, ipv6: text.contains(":"))
        {
          if prefix.hasHostBits {
            report(
              toNode,
              "\(JSONPath.quoted(text)) has host bits set: did you mean \(JSONPath.quoted(prefix.network.description))?"
            )
          } else {
            destination = written
          }
        }
      }
      var via: String?
      if let viaNode = fields["via"], let text = string(viaNode, what: "a gateway address") {
        if ValueSyntax.isIPv4Literal(text) || ValueSyntax.isIPv6Literal(text) {
          via = text
        } else {
          report(viaNode, "a gateway is an IP address on one of the host's links, found \(JSONPath.quoted(text))")
        }
      }
      guard errors.count == errorsBefore, let host, let destination, let via, let toNode = fields["to"],
        let viaNode = fields["via"]
      else { return nil }
      let viaIsIPv6 = via.contains(":")
      let prefix =
        destination == "default"
        ? CIDRPrefix(viaIsIPv6 ? "::/0" : "0.0.0.0/0", ipv6: viaIsIPv6)
        : CIDRPrefix(destination, ipv6: destination.contains(":"))
      guard let prefix else { return nil }
      if prefix.isIPv6 != viaIsIPv6 {
        report(
          viaNode,
          "the gateway is an \(viaIsIPv6 ? "IPv6" : "IPv4") address but the destination \(prefix) is \(prefix.isIPv6 ? "IPv6" : "IPv4")"
        )
        return nil
      }
      if let earlier = destinations[host, default: []].first(where: { $0.prefix == prefix }) {
        report(
          toNode,
          "a second route in host \(JSONPath.quoted(host)) to \(prefix) (the first is \(earlier.path)); a host has one route per destination"
        )
        return nil
      }
      destinations[host, default: []].append((prefix, element.path))
      return RouteDeclaration(
        host: host, destination: destination, via: via,
        location: ScenarioLocation(line: element.position.line, column: element.position.column, path: element.path))
    }
  }

  func decodeFaults(_ node: Node, hosts: [String], links: [LinkDeclaration]) -> [FaultDeclaration] {
    namedObjects(
      node, what: "fault", example: #"{"lossy": {"host": "b", "loss": {"every": 3}}}"#,
      allowed: ScenarioVocabulary.faultKeys
    ) {
      member, path, faultNode, fields -> FaultDeclaration? in
      let errorsBefore = errors.count
      let actionKeys = ScenarioVocabulary.faultActionKeys.filter { fields.has($0) }
      if actionKeys.count != 1 {
        report(
          faultNode,
          "a fault has exactly one of \(ScenarioVocabulary.faultActionKeys.map { JSONPath.quoted($0) }.joined(separator: ", "))"
        )
      }
      if !fields.has("host") { report(faultNode, "a fault needs \"host\": where it is installed") }
      let host = fields["host"].flatMap { hostName($0, known: hosts) }
      var link: String?
      if let linkNode = fields["link"], let name = string(linkNode, what: "a link name") {
        if let declared = links.first(where: { $0.name == name }) {
          if let host, !declared.hosts.contains(host) {
            report(linkNode, "host \(JSONPath.quoted(host)) is not on link \(JSONPath.quoted(name))")
          }
          link = name
        } else {
          report(
            linkNode, "unknown link \(JSONPath.quoted(name))",
            suggestion: ScenarioError.nearest(name, in: links.map(\.name)))
        }
      }
      let direction =
        fields["direction"].flatMap { word($0, as: FaultDeclaration.Direction.self, what: "direction") } ?? .input
      let protocolName = fields["protocol"].flatMap { oneOf($0, ScenarioVocabulary.faultProtocols, what: "protocol") }
      let port = fields["port"].flatMap { integer($0, 1...65535) }.map { UInt16($0) }
      let active = fields["active"].flatMap { bool($0) } ?? true
      var action: FaultDeclaration.Action?
      if let key = actionKeys.first, actionKeys.count == 1, let actionNode = fields[key] {
        action = faultAction(key, actionNode)
        if ["rate", "delay"].contains(key) { checkShaping(key, actionNode, fields: fields, direction: direction) }
      }
      guard errors.count == errorsBefore, let host, let action else { return nil }
      return FaultDeclaration(
        name: member.key, host: host, link: link, direction: direction, protocolName: protocolName, port: port,
        action: action, active: active,
        location: ScenarioLocation(line: member.keyPosition.line, column: member.keyPosition.column, path: path))
    }
  }

  private func faultAction(_ key: String, _ node: Node) -> FaultDeclaration.Action? {
    switch key {
    case "drop":
      guard let value = bool(node) else { return nil }
      if !value { report(node, "\"drop\": true is the only way to write a drop") }
      return .drop
    case "reject":
      return oneOf(node, ScenarioVocabulary.rejectKinds, what: "ICMP error").map { .reject($0) }
    case "loss":
      guard let fields = object(node, allowed: ScenarioVocabulary.lossKeys, context: "loss") else { return nil }
      if let every = fields["every"], !fields.has("percent") {
        return integer(every, 1...1_000_000).map { .lossEvery($0) }
      }
      if let percent = fields["percent"], !fields.has("every") {
        return integer(percent, 0...100).map { .lossPercent($0) }
      }
      report(node, "loss is {\"every\": N} (every Nth packet, reproducible) or {\"percent\": P} (random)")
      return nil
    case "rate":
      guard let fields = object(node, allowed: ScenarioVocabulary.rateKeys, context: "rate") else { return nil }
      guard let rateNode = fields["rate"],
        let rate = tcQuantity(rateNode, units: ["bit", "kbit", "mbit", "gbit", "bps", "kbps", "mbps"])
      else {
        if !fields.has("rate") { report(node, "a rate limit needs \"rate\", e.g. \"1mbit\"") }
        return nil
      }
      let burst = fields["burst"].flatMap { tcQuantity($0, units: ["b", "kb", "mb", "k", "m"]) } ?? "32kb"
      let latency = fields["latency"].flatMap { duration($0) }.map(DurationText.format) ?? "50ms"
      return .rateLimit(rate: rate, burst: burst, latency: latency)
    case "delay":
      return duration(node).map { .delay(DurationText.format($0)) }
    default:
      return nil
    }
  }

  /// Rate limits and delays are queueing disciplines on what an interface
  /// sends: they cannot act on input, nor pick packets by protocol or port.
  private func checkShaping(_ key: String, _ actionNode: Node, fields: Fields, direction: FaultDeclaration.Direction) {
    if direction == .input {
      let message =
        "a \(key == "rate" ? "rate limit" : "delay") shapes what an interface sends: give \"direction\": \"output\" on the sending host (or \"forward\" on a router)"
      if let directionNode = fields["direction"] {
        report(directionNode, message)
      } else {
        report(actionNode, message + "; without \"direction\" a fault acts on input")
      }
    }
    for filterKey in ["protocol", "port"] {
      guard let filterNode = fields[filterKey] else { continue }
      report(
        filterNode,
        "a \(key == "rate" ? "rate limit" : "delay") acts on the whole interface: \(JSONPath.quoted(filterKey)) works only for drop, reject and loss faults"
      )
    }
  }

  /// A tc quantity: digits and a unit from `units` (`"1mbit"`, `"32kb"`).
  private func tcQuantity(_ node: Node, units: [String]) -> String? {
    guard let text = string(node, what: "a quantity") else { return nil }
    let digits = text.prefix { $0.isNumber }
    let unit = text.dropFirst(digits.count)
    guard !digits.isEmpty, units.contains(String(unit)) else {
      report(node, "expected a number and a unit (\(units.joined(separator: ", "))), found \(JSONPath.quoted(text))")
      return nil
    }
    return text
  }

  func decodePrograms(_ node: Node, hosts: [String]) -> [ProgramDeclaration] {
    namedObjects(
      node, what: "program", example: #"{"echo": {"command": ["python3", "echo.py"]}}"#,
      allowed: ScenarioVocabulary.programKeys
    ) {
      member, path, programNode, fields -> ProgramDeclaration? in
      let errorsBefore = errors.count
      let host = fields["host"].flatMap { hostName($0, known: hosts) }
      var command: [String] = []
      if let commandNode = fields["command"], let parts = array(commandNode, count: 1...4096) {
        command = parts.compactMap { withoutNUL($0, what: "a command word") }
      } else if !fields.has("command") {
        report(programNode, "a program needs \"command\": [\"program\", \"argument\", ...]")
      }
      var environment: [String: String] = [:]
      if let envNode = fields["env"] {
        if case .object(let variables) = envNode.value.content {
          for variable in variables {
            let variableNode = Node(variable.value, path: JSONPath.appending(envNode.path, key: variable.key))
            // execve(2) takes "NAME=value" C strings: a NUL would cut it short, an "=" in the name move the split.
            if variable.key.isEmpty || variable.key.contains("=") || variable.key.utf8.contains(0) {
              report(
                variable.keyPosition, variableNode.path,
                "an environment variable name is not empty and has no \"=\" or NUL, found \(JSONPath.quoted(variable.key))"
              )
              continue
            }
            if let value = withoutNUL(variableNode, what: "an environment value") { environment[variable.key] = value }
          }
        } else {
          report(envNode, "expected an object of environment variables, found \(envNode.value.kindDescription)")
        }
      }
      let directory = fields["cwd"].flatMap { withoutNUL($0, what: "a directory") }
      var ready: ProgramDeclaration.Readiness?
      if let readyNode = fields["ready"],
        let readyFields = object(readyNode, allowed: ScenarioVocabulary.readyKeys, context: "ready")
      {
        if readyFields.members.count != 1 {
          report(readyNode, "ready is one of {\"udp_port\": N}, {\"tcp_port\": N}, {\"output\": \"text\"}")
        } else if let port = readyFields["udp_port"] {
          ready = integer(port, 1...65535).map { .udpPort(UInt16($0)) }
        } else if let port = readyFields["tcp_port"] {
          ready = integer(port, 1...65535).map { .tcpPort(UInt16($0)) }
        } else if let text = readyFields["output"] {
          ready = string(text, what: "output text").map { .output($0) }
        }
      }
      let readyTimeout = fields["ready_timeout"].flatMap { duration($0) } ?? .seconds(5)
      let stopGrace = fields["stop_grace"].flatMap { duration($0) } ?? .seconds(2)
      let deferred = fields["deferred"].flatMap { bool($0) } ?? false
      guard errors.count == errorsBefore, !command.isEmpty else { return nil }
      return ProgramDeclaration(
        name: member.key, host: host, command: command, environment: environment, workingDirectory: directory,
        ready: ready, readyTimeout: readyTimeout, stopGrace: stopGrace, deferred: deferred,
        location: ScenarioLocation(line: member.keyPosition.line, column: member.keyPosition.column, path: path))
    }
  }

  /// An object of named declarations (`faults`, `programs`): checks each name
  /// and the keys of its object, then hands both to `decode`.
  private func namedObjects<Declaration>(
    _ node: Node, what: String, example: String, allowed: [String],
    _ decode: (JSONMember, String, Node, Fields) -> Declaration?
  ) -> [Declaration] {
    guard case .object(let members) = node.value.content else {
      report(node, "expected an object of named \(what)s like \(example), found \(node.value.kindDescription)")
      return []
    }
    return members.compactMap { member in
      let path = JSONPath.appending(node.path, key: member.key)
      let declarationNode = Node(member.value, path: path)
      guard ValueSyntax.isName(member.key) else {
        report(member.keyPosition, path, "a \(what) name is a letter or _ then letters, digits, _ . -")
        return nil
      }
      guard let fields = object(declarationNode, allowed: allowed, context: "a \(what)") else { return nil }
      return decode(member, path, declarationNode, fields)
    }
  }

  /// A host name that must be declared in `hosts`.
  func hostName(_ node: Node, known: [String]) -> String? {
    guard let name = string(node, what: "a host name") else { return nil }
    guard known.contains(name) else {
      let hint = known.isEmpty ? ": declare hosts in \"hosts\" first" : ""
      report(node, "unknown host \(JSONPath.quoted(name))\(hint)", suggestion: ScenarioError.nearest(name, in: known))
      return nil
    }
    return name
  }

  /// A string handed to the kernel as a C string, where a NUL would silently cut it short.
  private func withoutNUL(_ node: Node, what: String) -> String? {
    guard let text = string(node, what: what) else { return nil }
    if let index = text.unicodeScalars.firstIndex(of: "\0") {
      let offset = text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: index)
      report(
        node,
        "\(what) cannot contain a NUL character (\\u0000, at character \(offset + 1)): the program would get it cut short"
      )
      return nil
    }
    return text
  }

  /// A link's subnet: a network address (no host bits) outside the loopback,
  /// unspecified and multicast ranges, with room for every host on the link.
  private func linkSubnet(_ node: Node, ipv6: Bool, hostCount: Int) -> String? {
    guard let text = subnet(node, ipv6: ipv6), let prefix = CIDRPrefix(text, ipv6: ipv6) else { return nil }
    if prefix.hasHostBits {
      report(
        node, "\(JSONPath.quoted(text)) has host bits set: did you mean \(JSONPath.quoted(prefix.network.description))?"
      )
      return nil
    }
    if let reserved = prefix.reservedRange {
      report(node, "\(prefix) reaches into \(reserved), which no link can be addressed from")
      return nil
    }
    if ipv6, prefix.length > 120 {
      report(node, "\(prefix) is too small for a link (at most /120); use a /64")
      return nil
    }
    if !ipv6, prefix.ipv4HostCapacity < hostCount {
      report(
        node,
        "\(prefix) has room for \(prefix.ipv4HostCapacity) host address(es) (the network and broadcast addresses excluded), the link has \(hostCount) hosts"
      )
      return nil
    }
    return text
  }

  /// A CIDR prefix such as `192.0.2.0/24` or `2001:db8:1::/64`.
  func subnet(_ node: Node, ipv6: Bool) -> String? {
    guard let text = string(node, what: "a subnet") else { return nil }
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    let maximum = ipv6 ? 128 : 32
    guard parts.count == 2, let length = Int(parts[1]), (0...maximum).contains(length),
      ipv6 ? ValueSyntax.isIPv6Literal(String(parts[0])) : ValueSyntax.isIPv4Literal(String(parts[0]))
    else {
      report(
        node,
        "expected an \(ipv6 ? "IPv6" : "IPv4") prefix like \(ipv6 ? "\"2001:db8:1::/64\"" : "\"192.0.2.0/24\""), found \(JSONPath.quoted(text))"
      )
      return nil
    }
    return text
  }
}
