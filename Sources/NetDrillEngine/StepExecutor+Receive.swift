import Glibc
import NetDrillScenario
import NetDrillSockets

// The receive family: read, recv, recvfrom, recvmsg, recvmmsg.
extension StepExecutor {
  func perform(_ receive: ReceiveStep, step: Step, bound: Duration) throws(RunError) -> StepOutcome {
    let open = try socket(receive.socket, step)
    let flags = MessageFlag.combined(receive.flags)
    let flagText = receive.flags.isEmpty ? "" : ", " + receive.flags.map(\.rawValue).joined(separator: "|")
    let sizeText = receive.call == .recvmmsg ? "\(receive.count) × \(receive.size)" : "\(receive.size)"
    var outcome = begin(
      step: step.phase, verb: receive.call.rawValue, socket: receive.socket,
      call: "\(receive.call.rawValue)(\(receive.socket), \(sizeText)\(flagText))")
    // MSG_ERRQUEUE never blocks (ip(7)); MSG_DONTWAIT by definition.
    let nonBlockingFlags = MessageFlag.MSG_DONTWAIT.value | MessageFlag.MSG_ERRQUEUE.value
    let limit =
      flags & nonBlockingFlags == 0 && !open.nonBlocking
      ? CallBound(socket: open.socket, bound: bound, timeoutOption: SO_RCVTIMEO) : nil
    let receiver = Receiver(socket: open.socket, call: receive.call, flags: flags, controlSize: receive.controlSize)
    let messages: Result<[ReceivedMessage], Errno>
    if let limit {
      messages = limit.nonBlocking {
        receiver.untilDone(count: receive.count, size: receive.size, stream: open.kind == .tcp, within: limit)
      }
    } else {
      messages = receiver.once(count: receive.count, size: receive.size)
    }
    finish(&outcome)
    refreshNames()
    switch messages {
    case .success(let received):
      outcome.returned = receive.call == .recvmmsg ? received.count : received.first?.returned ?? 0
      // The error queue holds the kernel's reports, not a peer's datagram.
      if let last = received.last, !receive.flags.contains(.MSG_ERRQUEUE) {
        lastReceived[receive.socket] = last.bytes
      }
      if let message = received.first {
        if let name = receive.remember, let source = message.from { remembered[name] = source }
        outcome.data = OutcomeBytes(message.bytes)
        outcome.from = message.from?.description
        outcome.fromName = message.from.flatMap { names.name(for: $0) }
        outcome.flags = MessageFlag.names(in: message.flags)
        if receive.call == .recvmsg { outcome.control = ControlCodec.decode(message.control) }
        outcome.extendedError = message.extendedError.map { error in
          ExtendedErrorOutcome(
            errno: error.errno.name, origin: error.originName, type: Int(error.type), code: Int(error.code),
            info: Int(error.info), data: Int(error.data), offender: error.offender?.ipText)
        }
      }
      if receive.call == .recvmmsg {
        outcome.messages = received.map { message in
          MessageOutcome(
            returned: message.returned, data: OutcomeBytes(message.bytes), from: message.from?.description,
            fromName: message.from.flatMap { names.name(for: $0) }, flags: MessageFlag.names(in: message.flags))
        }
      }
    case .failure(let errno):
      outcome.error = errno.name
    }
    markTimeout(&outcome, limit)
    return outcome
  }
}

/// One receive call of a scenario, made once or, for a blocking call, until
/// the kernel's blocking call would have returned.
private struct Receiver {
  let socket: Socket
  let call: ReceiveCall
  let flags: Int32
  let controlSize: Int

  /// The call itself, once.
  func once(count: Int, size: Int, flags extra: Int32 = 0) -> Result<[ReceivedMessage], Errno> {
    let flags = self.flags | extra
    switch call {
    case .read:
      return socket.read(size: size).map { [ReceivedMessage(returned: $0.count, bytes: $0, from: nil, flags: 0)] }
    case .recv:
      return socket.recv(size: size, flags: flags).map {
        [ReceivedMessage(returned: $0.returned, bytes: $0.bytes, from: nil, flags: 0)]
      }
    case .recvfrom: return socket.recvfrom(size: size, flags: flags).map { [$0] }
    case .recvmsg: return socket.recvmsg(size: size, flags: flags, controlSize: controlSize).map { [$0] }
    case .recvmmsg: return socket.recvmmsg(count: count, size: size, flags: flags)
    }
  }

  /// A blocking call on a socket whose file is nonblocking for now: tries
  /// until something arrives or the bound passes, then goes on where the
  /// blocking call would not have returned yet —
  /// - recvmmsg (without MSG_WAITFORONE) waits for every one of `count`
  ///   datagrams (recvmmsg(2)), and returns those it has at the bound;
  /// - a stream recv with MSG_WAITALL waits for all `size` bytes, and returns
  ///   what it has at the bound, at end of file or at an error (tcp(7)).
  /// Before going on it looks at POLLERR: a pending error stops the call with
  /// what it has, and stays for the next call, as the kernel keeps it.
  func untilDone(count: Int, size: Int, stream: Bool, within limit: CallBound) -> Result<[ReceivedMessage], Errno> {
    let readable = Int16(POLLIN)
    let first = limit.retry(waitingFor: readable) { once(count: count, size: size) }
    guard case .success(var received) = first else { return first }
    let waitsForAll = flags & MessageFlag.MSG_WAITFORONE.value == 0
    if call == .recvmmsg, waitsForAll {
      while received.count < count, let revents = limit.wait(for: readable), revents & Int16(POLLERR) == 0 {
        switch once(count: count - received.count, size: size) {
        case .success(let more): received += more
        case .failure(let errno) where errno.rawValue == EAGAIN: continue
        case .failure: return .success(received)
        }
      }
      return .success(received)
    }
    let waitAll = flags & MessageFlag.MSG_WAITALL.value != 0 && flags & MessageFlag.MSG_PEEK.value == 0
    guard stream, waitAll, call != .read, var message = received.first, message.returned > 0 else { return first }
    while message.returned < size, let revents = limit.wait(for: readable), revents & Int16(POLLERR) == 0 {
      let more = once(count: 1, size: size - message.returned)
      if case .failure(let errno) = more, errno.rawValue == EAGAIN { continue }
      guard case .success(let got) = more, let next = got.first, next.returned > 0 else { break }  // an error, or end of file
      message.returned += next.returned
      message.bytes += next.bytes
    }
    return .success([message])
  }
}
