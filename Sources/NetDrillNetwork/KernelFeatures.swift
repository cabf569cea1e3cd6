import Glibc

/// What this kernel can do, found by trying it where nothing is disturbed.
public enum KernelFeatures {
  /// Whether the kernel has the `kind` queueing discipline (`netem`, `tbf`):
  /// tried on a veth link (the kind netdrill's links are) in a throwaway namespace, since a module may load on
  /// demand and a built-in one leaves no trace in /proc/modules. nil with the
  /// reason when the probe itself could not run (no CAP_NET_ADMIN, no tc).
  public static func hasQdisc(_ kind: String, arguments: [String]) -> Result<Bool, TopologyError> {
    let namespace: NetworkNamespace
    do {
      namespace = try IsolatedThread.run(name: "probe \(kind)", timeout: .seconds(10)) {
        try NetworkNamespace.createAndEnter(name: "probe-\(kind)")
      }
      _ = try NamespaceCommand.run(
        ["ip", "link", "add", "probe0", "up", "type", "veth", "peer", "name", "probe1"], in: namespace)
    } catch {
      return .failure(TopologyError.from(error))
    }
    let command = ["tc", "qdisc", "add", "dev", "probe0", "root", kind] + arguments
    return qdiscResult(Result { try NamespaceCommand.run(command, in: namespace) })
  }

  /// tc exits 2 for every netlink error: the kernel's "qdisc kind is unknown" is the only sign of a missing one.
  private static func qdiscResult(_ result: Result<String, any Error>) -> Result<Bool, TopologyError> {
    switch result {
    case .success: return .success(true)
    case .failure(let error):
      let topologyError = TopologyError.from(error)
      if case .commandFailed(_, _, _, let stderr) = topologyError, stderr.contains("qdisc kind is unknown") {
        return .success(false)
      }
      return .failure(topologyError)
    }
  }

  /// Whether the kernel has IPv6 (an AF_INET6 socket can be made).
  public static var hasIPv6: Bool {
    let probe = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard probe >= 0 else { return false }
    close(probe)
    return true
  }
}
