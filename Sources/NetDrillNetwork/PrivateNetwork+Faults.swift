extension PrivateNetwork {
  /// Installs `fault`; returns once it is in effect (the nft transaction or
  /// the qdisc change has been committed by the kernel).
  public func apply(_ fault: Fault) throws(TopologyError) {
    let host = try faultHost(fault)
    let interfaces = try faultInterfaces(fault, host: host)
    try state.withLock { (state: inout ChangeState) throws(TopologyError) in
      if fault.isQdisc {
        try checkQdiscFault(fault)
        guard !interfaces.isEmpty else {
          throw .invalidRequest("fault \(fault): host \"\(fault.host)\" has no links to shape")
        }
        let taken = state.faults.filter { $0.fault.host == fault.host }.flatMap(\.qdiscInterfaces)
        if let busy = interfaces.first(where: taken.contains) {
          throw .invalidRequest(
            "fault \(fault): \(fault.host)/\(busy) already has a rate limit or delay; remove it first (one root qdisc per interface)"
          )
        }
        for interface in interfaces {
          do throws(TopologyError) {
            _ = try run(
              ["tc", "qdisc", "replace", "dev", interface, "root"] + qdiscArguments(fault.action), in: host.name)
          } catch {
            throw PrivateNetwork.explainQdiscFailure(error, fault: fault)
          }
        }
        state.faults.append(InstalledFault(fault: fault, comment: nil, qdiscInterfaces: interfaces))
      } else {
        let comment = "netdrill-fault-\(state.nextFaultNumber)"
        var lines = FaultRules.chainSetup(fault.direction)
        for interface in (fault.link == nil ? [nil] : interfaces.map { Optional($0) }) {
          lines += try FaultRules.rules(for: fault, interface: interface, comment: comment)
        }
        _ = try NamespaceCommand.run(
          ["nft", "-f", "-"], input: lines.joined(separator: "\n") + "\n", in: host.namespace)
        state.nextFaultNumber += 1
        state.faults.append(InstalledFault(fault: fault, comment: comment, qdiscInterfaces: []))
      }
    }
  }

  /// Removes a fault applied earlier (the first one equal to `fault`); returns
  /// once it is gone. Only its own rules (found by their comment) or qdiscs go.
  public func remove(_ fault: Fault) throws(TopologyError) {
    let host = try faultHost(fault)
    try state.withLock { (state: inout ChangeState) throws(TopologyError) in
      guard let index = state.faults.firstIndex(where: { $0.fault == fault }) else {
        throw .invalidRequest("fault \(fault) is not applied, so it cannot be removed")
      }
      let installed = state.faults[index]
      if let comment = installed.comment {
        let chain = fault.direction.rawValue
        let listing = try run(["nft", "-a", "list", "chain", "inet", "netdrill", chain], in: host.name)
        let handles = FaultRules.handles(in: listing, comment: comment)
        if !handles.isEmpty {
          let lines = handles.map { "delete rule \(FaultRules.table) \(chain) handle \($0)" }
          _ = try NamespaceCommand.run(
            ["nft", "-f", "-"], input: lines.joined(separator: "\n") + "\n", in: host.namespace)
        }
      } else {
        for interface in installed.qdiscInterfaces {
          _ = try run(["tc", "qdisc", "del", "dev", interface, "root"], in: host.name)
        }
      }
      state.faults.remove(at: index)
    }
  }

  private func faultHost(_ fault: Fault) throws(TopologyError) -> NetworkHost {
    guard let host = host(named: fault.host) else {
      _ = try namespace(fault.host)  // throws the "no host" message with a suggestion
      throw .invalidRequest("fault \(fault): \"\(fault.host)\" is a bridge, not a host")
    }
    return host
  }

  /// The host's interfaces the fault is restricted to: the one on `link`, or all.
  private func faultInterfaces(_ fault: Fault, host: NetworkHost) throws(TopologyError) -> [String] {
    guard let link = fault.link else { return host.interfaces.map(\.name) }
    _ = try self.link(link)
    guard let interface = host.interface(on: link) else {
      throw .invalidRequest("fault \(fault): host \"\(host.name)\" is not on link \"\(link)\"")
    }
    return [interface.name]
  }

  private func checkQdiscFault(_ fault: Fault) throws(TopologyError) {
    guard fault.direction != .input else {
      throw .invalidRequest(
        "fault \(fault): rate limits and delays shape what an interface sends (egress); install it on the sending host with direction output (or forward on a router)"
      )
    }
    guard fault.protocolName == nil, fault.port == nil else {
      throw .invalidRequest(
        "fault \(fault): rate limits and delays act on the whole interface; protocol and port filters work only for drop/reject faults"
      )
    }
  }

  private func qdiscArguments(_ action: Fault.Action) -> [String] {
    switch action {
    case .rateLimit(let rate, let burst, let latency): return ["tbf", "rate", rate, "burst", burst, "latency", latency]
    case .delay(let delay): return ["netem", "delay", delay]
    default: return []
    }
  }

  /// A tc failure, turned into `missingKernelFeature` when the qdisc kind is
  /// unknown to the kernel. tc exits 2 for every netlink error, so the
  /// kernel's extack text ("Specified qdisc kind is unknown", from
  /// qdisc_create after request_module failed) is the only signal there is.
  static func explainQdiscFailure(_ error: TopologyError, fault: Fault) -> TopologyError {
    guard case .commandFailed(_, _, _, let stderr) = error, stderr.contains("qdisc kind is unknown") else {
      return error
    }
    let tcMessage = stderr.trimmingWhitespace.replacingPrefix("Error: ", with: "").trimmingSuffix(".")
    switch fault.action {
    case .delay:
      return .missingKernelFeature(
        feature: "netem",
        detail:
          "netem (delay, jitter, reordering) needs the sch_netem kernel module, which this kernel does not have (tc: \(tcMessage)); use rate limiting (tbf) or nft loss instead"
      )
    default:
      return .missingKernelFeature(
        feature: "tbf",
        detail:
          "rate limiting needs the sch_tbf kernel module, which this kernel does not have (tc: \(tcMessage)); use nft loss (dropEveryNth) instead"
      )
    }
  }
}

extension String {
  fileprivate func replacingPrefix(_ prefix: String, with replacement: String) -> String {
    hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
  }
  fileprivate func trimmingSuffix(_ suffix: String) -> String {
    hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
  }
}
