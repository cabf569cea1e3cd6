import CNetDrillLinux
import Glibc
import NetDrillScenario
import NetDrillSockets

// The send family: write, send, sendto, sendmsg, sendmmsg.
extension StepExecutor {
  func perform(_ send: SendStep, step: Step, bound: Duration) throws(RunError) -> StepOutcome {
    let open = try socket(send.socket, step)
    let destination = try send.to.map { spec throws(RunError) in try resolve(spec, for: send.socket, step) }
    if send.call == .sendto, destination == nil { throw .badAddress("sendto needs \"to\"", step.location) }
    let flags = MessageFlag.combined(send.flags)
    var payloads = send.messages.map(\.bytes)
    if !send.echo.isEmpty {
      let received = lastReceived[send.socket] ?? []
      guard let echoed = EchoRange.apply(send.echo, from: received, to: payloads.first ?? []) else {
        return echoOutsideReceived(send, received: received, step: step)
      }
      payloads = [echoed]
    }
    let flagText = send.flags.isEmpty ? "" : ", " + send.flags.map(\.rawValue).joined(separator: "|")
    let target = destination.map { ", \($0)" } ?? ""
    let first = payloads.first ?? []
    let call: String
    switch send.call {
    case .sendmmsg: call = "sendmmsg(\(send.socket), \(payloads.count) × \(first.count) bytes\(target)\(flagText))"
    case .write: call = "write(\(send.socket), \(OutcomeBytes(first)))"
    default: call = "\(send.call.rawValue)(\(send.socket), \(OutcomeBytes(first))\(target)\(flagText))"
    }
    var control: [ControlMessage] = []
    for entry in send.control {
      guard
        let message = ControlCodec.encode(
          entry,
          interfaceIndex: { name in
            let index = nd_interface_index(name)
            return index == 0 ? nil : Int32(index)
          })
      else {
        throw .environment("\(step.location): \(entry.name.rawValue): no interface of that name on \(open.host)")
      }
      control.append(message)
    }
    let controlText =
      send.control.isEmpty ? "" : ", control " + send.control.map { Self.describe($0) }.joined(separator: " ")
    var outcome = begin(
      step: step.phase, verb: send.call.rawValue, socket: send.socket, call: call.dropLast() + controlText + ")")
    let sender = Sender(socket: open.socket, call: send.call, flags: flags, destination: destination, control: control)
    // Only TCP waits for room in the send buffer long enough to need a bound.
    let blocking = open.kind == .tcp && flags & MessageFlag.MSG_DONTWAIT.value == 0 && !open.nonBlocking
    let limit = blocking ? CallBound(socket: open.socket, bound: bound, timeoutOption: SO_SNDTIMEO) : nil
    let result: Result<Int, Errno>
    if let limit {
      result = limit.nonBlocking { sender.untilDone(payloads, within: limit) }
    } else {
      result = sender.once(payloads)
    }
    record(result, into: &outcome)
    markTimeout(&outcome, limit)
    return outcome
  }

  /// A send whose `echo` reaches past the datagram last received is not
  /// made: the step fails (the peer sent less than the scenario relies on).
  private func echoOutsideReceived(_ send: SendStep, received: [UInt8], step: Step) -> StepOutcome {
    var outcome = begin(
      step: step.phase, verb: send.call.rawValue, socket: send.socket,
      call: "\(send.call.rawValue)(\(send.socket), echo \(send.echo.map(\.description).joined(separator: ", ")))")
    finish(&outcome)
    let longest = send.echo.map { $0.from + $0.length }.max() ?? 0
    outcome.checks.append(
      ExpectationCheck(
        field: "echo", expected: "a received datagram of at least \(longest) bytes",
        actual: lastReceived[send.socket] == nil ? "nothing received on \(send.socket)" : "\(received.count) bytes",
        passed: false))
    return outcome
  }

  /// `IP_TTL=5`, `IP_PKTINFO={spec_dst 192.0.2.1 interface eth0}`.
  static func describe(_ entry: ControlEntry) -> String {
    switch entry.value {
    case .integer(let number): return "\(entry.name.rawValue)=\(number)"
    case .packetInfo(let info):
      let parts = [
        info.address.map { "addr \($0)" }, info.specificDestination.map { "spec_dst \($0)" },
        info.interfaceIndex.map { "ifindex \($0)" }, info.interface.map { "interface \($0)" },
      ].compactMap { $0 }
      return "\(entry.name.rawValue)={\(parts.joined(separator: " "))}"
    case .present: return "\(entry.name.rawValue) present"
    case .absent: return "\(entry.name.rawValue) absent"
    }
  }
}

/// One send call of a scenario, made once or, for a blocking call, until the
/// kernel's blocking call would have returned.
private struct Sender {
  let socket: Socket
  let call: SendCall
  let flags: Int32
  let destination: SocketAddress?
  let control: [ControlMessage]

  func once(_ payloads: [[UInt8]]) -> Result<Int, Errno> {
    let bytes = payloads.first ?? []
    switch call {
    case .write: return socket.write(bytes)
    case .send: return socket.send(bytes, flags: flags)
    // perform(_:) refuses a sendto without a destination before it makes a Sender.
    case .sendto: return socket.sendto(bytes, flags: flags, to: destination!)
    case .sendmsg: return socket.sendmsg(bytes, flags: flags, to: destination, control: control)
    case .sendmmsg: return socket.sendmmsg(payloads, flags: flags, to: destination)
    }
  }

  /// A blocking stream send on a socket whose file is nonblocking for now.
  /// The kernel's blocking send returns only when every byte is queued; at
  /// its SO_SNDTIMEO it returns the bytes queued so far, or EAGAIN if none
  /// (socket(7)); after an error it returns the bytes queued so far and keeps
  /// the error for the next call. So: try until the first bytes go, then
  /// queue the rest with send() — a write is a send without flags (send(2)) —
  /// adding MSG_NOSIGNAL because the blocking call, having queued bytes, would
  /// not raise SIGPIPE; and stop with what was queued at the bound or when
  /// poll shows an error or hang-up, without consuming that error.
  func untilDone(_ payloads: [[UInt8]], within limit: CallBound) -> Result<Int, Errno> {
    let writable = Int16(POLLOUT)
    let first = limit.retry(waitingFor: writable) { once(payloads) }
    guard call != .sendmmsg, case .success(var sent) = first, sent > 0 else { return first }
    let bytes = payloads.first ?? []
    let stop = Int16(POLLERR | POLLHUP)
    while sent < bytes.count, let revents = limit.wait(for: writable), revents & stop == 0 {
      let rest = Array(bytes[sent...])
      switch socket.send(rest, flags: flags | MessageFlag.MSG_NOSIGNAL.value) {
      case .success(let count): sent += count
      case .failure(let errno) where errno.rawValue == EAGAIN: continue
      case .failure: return .success(sent)
      }
    }
    return .success(sent)
  }
}
