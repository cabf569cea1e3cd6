import NetDrillScenario
import NetDrillSockets

// Addresses: resolving scenario addresses, naming concrete ones, getsockname and getpeername.
extension StepExecutor {
  /// getsockname(2) or getpeername(2); `remember` keeps the address for later steps.
  func performAddressQuery(_ name: String, remember: String?, _ step: Step) throws(RunError) -> StepOutcome {
    let open = try socket(name, step)
    let isPeer = step.action.verb == .getpeername
    var outcome = begin(step: step.phase, verb: step.action.verb, socket: name, call: "\(step.action.verb)(\(name))")
    switch isPeer ? open.socket.peerAddress() : open.socket.localAddress() {
    case .success(let address):
      outcome.returned = 0
      outcome.address = address?.description ?? "AF_UNSPEC"
      if let address {
        outcome.addressName = names.name(for: address)
        if let remember { remembered[remember] = address }
      }
    case .failure(let errno):
      outcome.error = errno.name
    }
    finish(&outcome)
    return outcome
  }

  func resolver(for socketName: String?, at step: Step) -> (AddressSpec) throws(RunError) -> SocketAddress {
    { spec throws(RunError) in try self.resolve(spec, for: socketName, step) }
  }

  /// Turns a scenario address into a concrete one, now.
  func resolve(_ spec: AddressSpec, for socketName: String?, _ step: Step) throws(RunError) -> SocketAddress {
    let family = socketName.flatMap { sockets[$0]?.socket.family } ?? .ipv4
    switch spec {
    case .closedPort:
      return .loopback(family, port: closedPort)
    case .namedClosedPort(let label):
      guard let port = namedClosedPorts[label] else { throw .badAddress(spec.description, step.location) }
      return .loopback(family, port: port)
    case .literal(let host, let port):
      let number: UInt16
      switch port {
      case .closed: number = closedPort
      case .number(let value): number = value
      case .namedClosed(let label):
        guard let port = namedClosedPorts[label] else { throw .badAddress(spec.description, step.location) }
        number = port
      case .of(let name):
        number = try resolve(.named(name), for: socketName, step).port
      }
      guard let address = SocketAddress(ip: host, port: number) else {
        throw .badAddress(spec.description, step.location)
      }
      return address
    case .named(let name):
      if let address = remembered[name] { return address }
      guard let open = sockets[name] else { throw .unknownAddressName(name, step.location) }
      guard case .success(let bound?) = open.socket.localAddress(), bound.port != 0 else {
        throw .unboundSocket(name, step.location)
      }
      // A wildcard-bound socket is reached at its host's first interface address, or at loopback
      // when the host has none (the one-host network).
      guard bound.isWildcard else { return bound }
      if let first = network.interfaceAddresses(of: open.host, family: bound.family).first,
        let address = SocketAddress(ip: first, port: bound.port)
      {
        return address
      }
      return .loopback(bound.family, port: bound.port)
    }
  }

  func refreshNames() {
    for (name, open) in sockets.sorted(by: { $0.key < $1.key }) where !open.socket.isClosed {
      if case .success(let address?) = open.socket.localAddress(), address.port != 0 {
        names.add(address, as: name)
        if address.isWildcard {
          names.add(.loopback(address.family, port: address.port), as: name)
          for ip in network.interfaceAddresses(of: open.host, family: address.family) {
            if let concrete = SocketAddress(ip: ip, port: address.port) { names.add(concrete, as: name) }
          }
        }
      }
    }
  }
}

/// Concrete addresses seen in a run and the symbolic names they stand for.
public struct AddressNames: Sendable {
  public private(set) var table: [String: String] = [:]

  /// The first name given to an address keeps it: a listening socket and the
  /// connections it accepts share one local address, and the listener (named
  /// first) must win in every run, whatever order sockets are visited in.
  mutating func add(_ address: SocketAddress, as name: String) {
    if table[address.description] == nil { table[address.description] = name }
  }

  public func name(for address: SocketAddress) -> String? {
    table[address.description]
  }
}

extension StepExecutor {
  /// Every concrete address each name stands for now: open sockets (a wildcard
  /// bind stands for each of its host's addresses and loopback) and remembered
  /// addresses. The name table keeps only the first name of an address; this
  /// keeps them all, so an accepted socket is found by its own name too.
  func addressAliases() -> [String: [String]] {
    var aliases: [String: [String]] = [:]
    for (name, address) in remembered { aliases[name, default: []].append(address.description) }
    for (name, open) in sockets where !open.socket.isClosed {
      guard case .success(let address?) = open.socket.localAddress(), address.port != 0 else { continue }
      var concrete = [address]
      if address.isWildcard {
        concrete.append(.loopback(address.family, port: address.port))
        concrete += network.interfaceAddresses(of: open.host, family: address.family).compactMap {
          SocketAddress(ip: $0, port: address.port)
        }
      }
      aliases[name, default: []] += concrete.map(\.description)
    }
    return aliases
  }
}
