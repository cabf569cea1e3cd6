import Glibc
import NetDrillScenario
import NetDrillSockets

// The open-file family: fcntl(2) status flags on a socket's open file.
extension StepExecutor {
  /// F_GETFL, then (if the step changes anything) F_SETFL; the outcome's value
  /// is the flags netdrill knows that are set afterwards, read back with F_GETFL.
  /// A socket made O_NONBLOCK this way is called once per step from then on,
  /// like one declared `nonblocking`: the program under study asked for it.
  func performFcntl(_ name: String, set: [FileStatusFlag], clear: [FileStatusFlag], _ step: Step) throws(RunError)
    -> StepOutcome
  {
    let open = try socket(name, step)
    var parts = [name]
    if !set.isEmpty { parts.append("set " + set.map(\.rawValue).joined(separator: "|")) }
    if !clear.isEmpty { parts.append("clear " + clear.map(\.rawValue).joined(separator: "|")) }
    let call = "fcntl(\(parts.joined(separator: ", ")))"
    var outcome = begin(step: step.phase, verb: .fcntl, socket: name, call: call)
    let result = open.socket.fileStatusFlags().flatMap { (flags: Int32) -> Result<Int, Errno> in
      guard !set.isEmpty || !clear.isEmpty else { return .success(0) }
      let wanted = (flags | Self.bits(set)) & ~Self.bits(clear)
      return open.socket.setFileStatusFlags(wanted).map { 0 }
    }
    record(result, into: &outcome)
    if case .success(let flags) = open.socket.fileStatusFlags() {
      let names = FileStatusFlag.allCases.filter { flags & Self.bits([$0]) != 0 }.map(\.rawValue)
      outcome.value = names.isEmpty ? "none" : names.joined(separator: "|")
      sockets[name]?.nonBlocking = flags & O_NONBLOCK != 0
    }
    return outcome
  }

  private static func bits(_ flags: [FileStatusFlag]) -> Int32 {
    flags.reduce(Int32(0)) { bits, flag in
      switch flag {
      case .O_NONBLOCK: return bits | O_NONBLOCK
      case .O_ASYNC: return bits | O_ASYNC
      case .O_APPEND: return bits | O_APPEND
      }
    }
  }
}
