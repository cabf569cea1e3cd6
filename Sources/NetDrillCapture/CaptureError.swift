import Glibc

/// Why a capture could not start. The description says what to do about it.
public struct CaptureError: Error, CustomStringConvertible, Equatable {
  public enum Kind: String, Sendable, Equatable {
    /// The process lacks CAP_NET_RAW (packet socket) or CAP_SYS_ADMIN (setns);
    /// ``CaptureError/capability`` says which.
    case permissionDenied
    /// The interface does not exist in the target's namespace.
    case noSuchInterface
    /// The interface exists but is down.
    case interfaceDown
    /// The BPF filter expression does not compile.
    case invalidFilter
    /// The namespace descriptor could not be entered.
    case namespace
    /// Any other libpcap failure.
    case pcap
    /// A system call of the capture itself failed (thread, pipe, poll).
    case system
  }

  public var kind: Kind
  /// `host/interface`, or empty for errors not tied to one target.
  public var target: String
  /// The libpcap or system message behind the error.
  public var detail: String
  /// The filter expression, for ``Kind/invalidFilter``.
  public var filter: String?
  /// The capability that was missing, for ``Kind/permissionDenied``:
  /// `CAP_NET_RAW` (packet socket) or `CAP_SYS_ADMIN` (setns).
  public var capability: String?

  public init(
    kind: Kind, target: String, detail: String, filter: String? = nil, capability: String? = nil
  ) {
    self.kind = kind
    self.target = target
    self.detail = detail
    self.filter = filter
    self.capability = capability
  }

  public var description: String {
    let on = target.isEmpty ? "" : " on \(target)"
    switch kind {
    case .permissionDenied:
      let capability = capability ?? "CAP_NET_RAW"
      let purpose = capability == "CAP_SYS_ADMIN" ? " to enter the host's network namespace" : ""
      return
        "capture\(on) needs \(capability)\(purpose): run as root or enable unprivileged user namespaces "
        + "(\(detail))"
    case .noSuchInterface:
      return "capture\(on): no interface \"\(interfaceName)\" in that host's network namespace; "
        + "check the topology's interface names (\(detail))"
    case .interfaceDown:
      return
        "capture\(on): interface \"\(interfaceName)\" is down; bring it up before capturing (\(detail))"
    case .invalidFilter:
      return
        "capture filter \"\(filter ?? "")\"\(on) is not valid BPF (see pcap-filter(7)): \(detail)"
    case .namespace:
      return "capture\(on): cannot enter the host's network namespace: \(detail); "
        + "the namespace descriptor must be an open /proc/<tid>/ns/net"
    case .pcap:
      return "capture\(on) failed: \(detail)"
    case .system:
      return "capture\(on): \(detail)"
    }
  }

  private var interfaceName: String {
    guard let slash = target.lastIndex(of: "/") else { return target }
    return String(target[target.index(after: slash)...])
  }

  /// A system call failure, named with the call and the errno.
  static func system(_ call: String, errno code: Int32, target: String = "") -> CaptureError {
    CaptureError(kind: .system, target: target, detail: "\(call): \(errnoDescription(code))")
  }
}

/// `ECONNREFUSED (Connection refused)` style text for an errno value.
func errnoDescription(_ code: Int32) -> String {
  let message = String(cString: strerror(code))
  return "errno \(code) (\(message))"
}
