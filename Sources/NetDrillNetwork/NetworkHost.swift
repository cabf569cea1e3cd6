import Synchronization

/// One simulated host: its namespace and its configured interfaces.
public final class NetworkHost: Sendable {
  public let name: String
  /// Held open for as long as the `PrivateNetwork` lives.
  public let namespace: NetworkNamespace
  public let forwarding: Bool
  private let state: Mutex<[HostInterface]>

  init(name: String, namespace: NetworkNamespace, interfaces: [HostInterface], forwarding: Bool) {
    self.name = name
    self.namespace = namespace
    self.forwarding = forwarding
    self.state = Mutex(interfaces)
  }

  /// `eth0`, `eth1`, ... in link order, as they are now (`setMTU` updates them).
  public var interfaces: [HostInterface] { state.withLock { $0 } }

  /// This host's interface on `link`, if it has one.
  public func interface(on link: String) -> HostInterface? { interfaces.first { $0.link == link } }

  func update(_ body: (inout [HostInterface]) -> Void) { state.withLock { body(&$0) } }
}
