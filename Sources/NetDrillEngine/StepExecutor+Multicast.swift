import NetDrillScenario
import NetDrillSockets

// The multicast family: join and leave.
extension StepExecutor {
  /// IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP, or IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP.
  func performMembership(_ name: String, group: String, interface: String?, _ step: Step) throws(RunError)
    -> StepOutcome
  {
    let open = try socket(name, step)
    let joining = step.action.verb == .join
    let call =
      "setsockopt(\(name), \(membershipOptionName(open.socket.family, joining)), \(group)\(interface.map { " on \($0)" } ?? ""))"
    var outcome = begin(step: step.phase, verb: step.action.verb, socket: name, call: call)
    guard let request = MembershipRequest(group: group, interface: interface, family: open.socket.family) else {
      throw .badAddress("\(group)\(interface.map { " / \($0)" } ?? "")", step.location)
    }
    record(request.apply(to: open.socket, joining: joining).map { 0 }, into: &outcome)
    return outcome
  }

  private func membershipOptionName(_ family: SocketAddress.Family, _ joining: Bool) -> String {
    family == .ipv4
      ? (joining ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP")
      : (joining ? "IPV6_JOIN_GROUP" : "IPV6_LEAVE_GROUP")
  }
}
