import NetDrillSockets

/// Why a private network could not be built or changed. Every case says what
/// to do about it; `NetworkError` (namespaces) is wrapped, not repeated.
public enum TopologyError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The topology itself is wrong (unknown host, bad subnet, ...): fix the
  /// scenario, at the declaration `part` names.
  case invalidSpec(String, part: TopologyPart)
  /// A fault or link change names something the network does not have, or cannot do.
  case invalidRequest(String)
  /// A helper program is not installed.
  case toolNotFound(tool: String, package: String)
  /// A helper program ran inside `namespace` and failed.
  case commandFailed(command: [String], namespace: String, status: String, stderr: String)
  case commandTimedOut(command: [String], namespace: String, seconds: Double)
  /// The kernel lacks something (a qdisc, a module) the request needs.
  case missingKernelFeature(feature: String, detail: String)
  /// An interface did not come up (carrier) in time.
  case notReady(String)
  /// Creating or entering a namespace failed.
  case namespace(NetworkError)
  case system(SystemCallError)

  public var description: String {
    switch self {
    case .invalidSpec(let message, _):
      return "topology: \(message)"
    case .invalidRequest(let message):
      return message
    case .toolNotFound(let tool, let package):
      return "\(tool) not found: install \(package) (looked in PATH, /usr/sbin, /sbin, /usr/bin, /bin)"
    case .commandFailed(let command, let namespace, let status, let stderr):
      let output = stderr.trimmingWhitespace
      return "`\(command.joined(separator: " "))` in \(namespace) failed (\(status))"
        + (output.isEmpty ? "" : ": \(output)")
    case .commandTimedOut(let command, let namespace, let seconds):
      return "`\(command.joined(separator: " "))` in \(namespace) did not finish within \(seconds)s and was killed"
    case .missingKernelFeature(let feature, let detail):
      return "\(feature): \(detail)"
    case .notReady(let message):
      return message
    case .namespace(let error):
      return error.description
    case .system(let error):
      return error.description
    }
  }

  public static func == (lhs: TopologyError, rhs: TopologyError) -> Bool {
    lhs.description == rhs.description
  }

  /// Any error from a worker thread, as a `TopologyError`.
  static func from(_ error: any Error) -> TopologyError {
    switch error {
    case let error as TopologyError: return error
    case let error as NetworkError: return .namespace(error)
    case let error as SystemCallError: return .system(error)
    default: return .invalidRequest("\(error)")
    }
  }
}

/// Which declaration of a ``TopologySpec`` a problem is about (by index in
/// its list), so a caller can point at where that declaration was written.
public enum TopologyPart: Sendable, Equatable {
  case topology
  case host(Int)
  case link(Int)
  case route(Int)
}

extension String {
  var trimmingWhitespace: String {
    var slice = Substring(self)
    while let first = slice.first, first.isWhitespace { slice.removeFirst() }
    while let last = slice.last, last.isWhitespace { slice.removeLast() }
    return String(slice)
  }
}
