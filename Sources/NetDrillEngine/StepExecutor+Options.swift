import Glibc
import NetDrillScenario
import NetDrillSockets

// The option family: setsockopt (a step or a declaration's `options`) and getsockopt.
extension StepExecutor {
  func setOption(_ setting: OptionSetting, on name: String, step: StepPhase) -> StepOutcome {
    var outcome = begin(
      step: step, verb: .setsockopt, socket: name,
      call: "setsockopt(\(name), \(setting.option.name), \(setting.value))")
    guard let open = sockets[name] else {
      outcome.error = Errno(rawValue: EBADF).name
      finish(&outcome)
      return outcome
    }
    let bytes = OptionCodec.encode(setting.value, kind: setting.option.kind)
    record(
      open.socket.setOption(level: setting.option.level, name: setting.option.option, bytes: bytes).map { 0 },
      into: &outcome)
    return outcome
  }

  /// getsockopt(2), the value decoded by the option's kind.
  func performGetOption(_ name: String, _ option: SocketOptionName, _ step: Step) throws(RunError) -> StepOutcome {
    let open = try socket(name, step)
    var outcome = begin(step: step.phase, verb: .getsockopt, socket: name, call: "getsockopt(\(name), \(option.name))")
    switch open.socket.getOption(level: option.level, name: option.option) {
    case .success(let bytes):
      outcome.returned = 0
      outcome.value = OptionCodec.decode(bytes, kind: option.kind).description
    case .failure(let errno):
      outcome.error = errno.name
    }
    finish(&outcome)
    return outcome
  }
}
