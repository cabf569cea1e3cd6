import NetDrillScenario
import NetDrillSockets

/// Compares a step's expectation with its outcome, field by field, and says
/// for each what was expected and what the kernel gave.
struct ExpectationChecker {
  /// Resolves an expected address to a concrete one at check time.
  let resolver: (AddressSpec) throws(RunError) -> SocketAddress
  var names = AddressNames()
  /// The outcomes of the labelled steps so far, for `"elapsed": {"since": id}` and `"total"`.
  var labelled: [String: StepOutcome] = [:]

  func check(_ expectation: StepExpectation?, against outcome: StepOutcome, action: Action) -> [ExpectationCheck] {
    guard let expectation else { return [] }
    var checks: [ExpectationCheck] = []
    let actualResult = outcome.resultText

    if let returns = expectation.returns {
      checks.append(
        .init(
          field: "returns", expected: String(returns), actual: actualResult,
          passed: outcome.error == nil && outcome.returned == returns))
    }
    if let error = expectation.error {
      checks.append(
        .init(field: "error", expected: error.name, actual: actualResult, passed: outcome.error == error.name))
    } else if expectation.succeeds {
      checks.append(.init(field: "error", expected: "none", actual: actualResult, passed: outcome.error == nil))
    }
    checks += checkSets(expectation, against: outcome)
    if let data = expectation.data {
      let expected = OutcomeBytes(data.bytes)
      let actual = outcome.data
      checks.append(
        .init(
          field: "data", expected: expected.description, actual: actual?.description ?? "nothing",
          passed: actual == expected))
    }
    if let from = expectation.from {
      checks.append(address("from", expected: from, actual: outcome.from, actualName: outcome.fromName))
    }
    if let flags = expectation.flags {
      let actual = outcome.flags ?? []
      checks.append(
        .init(
          field: "flags", expected: flags.map(\.rawValue).joined(separator: "|"),
          actual: actual.isEmpty ? "none" : actual.joined(separator: "|"),
          passed: flags.allSatisfy { actual.contains($0.rawValue) }))
    }
    if let value = expectation.value {
      checks.append(optionValue(value, actual: outcome.value, action: action))
    }
    if let expected = expectation.address {
      checks.append(address("address", expected: expected, actual: outcome.address, actualName: outcome.addressName))
    }
    if let port = expectation.port {
      let actualPort = outcome.address.flatMap { $0.split(separator: ":").last.flatMap { Int($0) } }
      checks.append(
        .init(
          field: "port", expected: String(port), actual: actualPort.map(String.init) ?? actualResult,
          passed: actualPort == port))
    }
    if let statusFlags = expectation.statusFlags {
      let expected = statusFlags.isEmpty ? "none" : statusFlags.map(\.rawValue).joined(separator: "|")
      checks.append(
        .init(
          field: "value", expected: expected, actual: outcome.value ?? actualResult,
          passed: outcome.value.map { Set($0.split(separator: "|").map(String.init)) }
            == Set(statusFlags.isEmpty ? ["none"] : statusFlags.map(\.rawValue))))
    }
    if let revents = expectation.revents {
      let actual = outcome.revents ?? []
      checks.append(
        .init(
          field: "revents", expected: revents.map(\.rawValue).joined(separator: "|"),
          actual: actual.isEmpty ? "none" : actual.joined(separator: "|"),
          passed: Set(actual) == Set(revents.map(\.rawValue))))
    }
    if let extended = expectation.extendedError {
      checks += extendedError(extended, actual: outcome.extendedError)
    }
    if let control = expectation.control {
      checks += control.map { self.control($0, actual: outcome.control ?? []) }
    }
    if let messages = expectation.messages {
      let actual = outcome.messages ?? []
      checks.append(
        .init(
          field: "messages.count", expected: String(messages.count), actual: String(actual.count),
          passed: actual.count == messages.count))
      for (index, payload) in messages.enumerated() {
        let expected = OutcomeBytes(payload.bytes)
        let got = index < actual.count ? actual[index].data : nil
        checks.append(
          .init(
            field: "messages[\(index)]", expected: expected.description, actual: got?.description ?? "nothing",
            passed: got == expected))
      }
    }
    return checks
  }

  private func address(_ field: String, expected: AddressSpec, actual: String?, actualName: String?) -> ExpectationCheck
  {
    let actualText = actual.map { text in actualName.map { "\($0) (\(text))" } ?? text } ?? "no address"
    do {
      let concrete = try resolver(expected)
      let label = expected.description == concrete.description ? concrete.description : "\(expected) (\(concrete))"
      // A socket named in the expectation matches by name too: a wildcard-bound
      // socket sends from whichever of its host's addresses the route chose.
      var byName = false
      if case .named(let name) = expected, actualName == name { byName = true }
      return .init(field: field, expected: label, actual: actualText, passed: byName || actual == concrete.description)
    } catch {
      return .init(field: field, expected: "\(expected) (unresolvable: \(error))", actual: actualText, passed: false)
    }
  }

  private func optionValue(_ expected: OptionValue, actual: String?, action: Action) -> ExpectationCheck {
    let actualText = actual ?? "no value"
    var passed = expected.description == actualText
    // Flags read back as the kernel stores them: any non-zero int means on.
    if case .getsockopt(_, let option) = action, option.kind == .boolean, case .integer(let want) = expected,
      let got = actual.flatMap({ Int($0) })
    {
      passed = (want != 0) == (got != 0)
    }
    return .init(field: "value", expected: expected.description, actual: actualText, passed: passed)
  }

  /// One expected control message against those received (by name).
  private func control(_ expected: ControlEntry, actual: [ControlOutcome]) -> ExpectationCheck {
    let field = "control.\(expected.name.rawValue)"
    let found = actual.first { $0.name == expected.name.rawValue }
    let actualText = found?.description ?? "absent"
    switch expected.value {
    case .present:
      return .init(field: field, expected: "present", actual: actualText, passed: found != nil)
    case .absent:
      return .init(field: field, expected: "absent", actual: actualText, passed: found == nil)
    case .integer(let number):
      return .init(
        field: field, expected: "\(expected.name.rawValue) \(number)", actual: actualText,
        passed: found?.value == number)
    case .packetInfo(let info):
      var wanted: [String] = []
      var passed = found != nil
      func compare<T: Equatable>(_ label: String, _ want: T?, _ got: T?) {
        guard let want else { return }
        wanted.append("\(label) \(want)")
        if got != want { passed = false }
      }
      compare("addr", info.address, found?.address)
      compare("spec_dst", info.specificDestination, found?.specificDestination)
      compare("ifindex", info.interfaceIndex, found?.interfaceIndex)
      compare("interface", info.interface, found?.interface)
      return .init(
        field: field, expected: ([expected.name.rawValue] + wanted).joined(separator: " "), actual: actualText,
        passed: passed)
    }
  }

  private func extendedError(_ expected: ExtendedErrorExpectation, actual: ExtendedErrorOutcome?) -> [ExpectationCheck]
  {
    guard let actual else {
      return [.init(field: "extended_error", expected: "a sock_extended_err", actual: "none", passed: false)]
    }
    var checks: [ExpectationCheck] = []
    func compare(_ field: String, _ want: String?, _ got: String) {
      guard let want else { return }
      checks.append(.init(field: "extended_error.\(field)", expected: want, actual: got, passed: want == got))
    }
    compare("errno", expected.errno?.name, actual.errno)
    compare("origin", expected.origin, actual.origin)
    compare("type", expected.type.map(String.init), String(actual.type))
    compare("code", expected.code.map(String.init), String(actual.code))
    compare("info", expected.info.map(String.init), String(actual.info))
    compare("data", expected.data.map(String.init), actual.data.map(String.init) ?? "none")
    compare("offender", expected.offender, actual.offender ?? "none")
    return checks
  }
}
