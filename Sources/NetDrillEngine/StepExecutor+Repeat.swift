import Glibc
import NetDrillScenario
import NetDrillSockets
import NetDrillSystem

// `repeat`: a body run until a count or a duration, paced at a rate, with
// one aggregate outcome. A body of one UDP send or receive call runs as a
// native loop over a `PreparedCall` (nothing allocated, formatted or
// recorded per iteration); any other body runs its steps through `execute`.
extension StepExecutor {
  func performRepetition(_ repetition: Repetition, step: Step) throws(RunError) -> StepOutcome {
    // `until` needs each iteration's outcome of the watched step: no native loop.
    let prepared = repetition.until == nil ? try nativeCall(for: repetition, step: step) : nil
    let layout = sequenceLayout(of: repetition)
    var receiver: BackgroundReceiver?
    // Only a native send loop numbers its datagrams, so only it can time them.
    let sendTimes = repetition.timestamps && prepared?.kind.isSend == true ? SendTimes() : nil
    if let spec = repetition.receiver {
      let open = try socket(spec.socket, step)
      receiver = BackgroundReceiver(
        spec: spec, descriptor: open.socket.descriptor, layout: layout,
        limit: sequenceLimit(repetition, batch: prepared?.batch ?? 1), sendTimes: sendTimes)
    }
    var outcome = begin(step: step.phase, verb: .repetition, socket: nil, call: Self.describe(repetition))
    receiver?.start()
    var tally = RepetitionTally()
    let started = monotonicNanoseconds()
    if let prepared {
      let limit = prepared.kind.isSend ? nil : CallDeadline(step.timeout ?? scenario.defaults.timeout)
      runNative(
        prepared, repetition, layout: layout, sendTimes: sendTimes, receiveBound: limit, started: started,
        into: &tally)
    } else {
      try runSteps(repetition, started: started, into: &tally)
    }
    let elapsed = monotonicNanoseconds() - started
    let received = receiver?.finish(sent: tally.sentDatagrams)
    finish(&outcome)
    let result = RepetitionOutcome(
      id: repetition.id, iterations: tally.iterations, calls: tally.calls, datagrams: tally.datagrams,
      bytes: tally.bytes, errors: tally.errors, elapsedNanoseconds: elapsed, native: prepared != nil,
      receiver: received, untilMet: repetition.until.map { _ in tally.untilMet })
    outcome.repetition = result
    outcome.checks = RepetitionChecks.check(repetition.expect, against: result)
    if let until = repetition.until {
      outcome.checks.insert(Self.untilCheck(until, in: repetition, tally: tally), at: 0)
    }
    outcome.note = step.note
    return outcome
  }

  /// `repeat unconnected (count 100000, rate 50000/s): sendto(client, sequence 64B seed 1, server)`:
  /// the same text in every run, so traces compare.
  static func describe(_ repetition: Repetition) -> String {
    let limits = [
      repetition.count.map { "count \($0)" }, repetition.rate.map { "rate \($0)" },
      repetition.duration.map { "duration \(DurationText.format($0))" },
      repetition.until.map { "until " + (repetition.body[$0.bodyIndex].id ?? "step \($0.bodyIndex + 1) of the body") },
    ].compactMap { $0 }.joined(separator: ", ")
    let body = repetition.body.map { step -> String in
      switch step.action {
      case .send(let send):
        let target = send.to.map { ", \($0)" } ?? ""
        let batch = send.call == .sendmmsg ? "\(send.messages.count) × " : ""
        return "\(send.call.rawValue)(\(send.socket), \(batch)\(send.messages.first?.description ?? "")\(target))"
      case .receive(let receive):
        let batch = receive.call == .recvmmsg ? ", \(receive.count) × \(receive.size)" : ", \(receive.size)"
        return "\(receive.call.rawValue)(\(receive.socket)\(batch))"
      default:
        return step.action.verb.rawValue + (step.action.socketName.map { "(\($0))" } ?? "")
      }
    }.joined(separator: "; ")
    let receiver = repetition.receiver.map { " receiving on \($0.socket)" } ?? ""
    return "repeat\(repetition.id.map { " \($0)" } ?? "") (\(limits))\(receiver): \(body)"
  }

  /// The sequence payload the body sends, which the receiver checks against.
  private func sequenceLayout(of repetition: Repetition) -> SequencePayload? {
    for step in repetition.body {
      if case .send(let send) = step.action, case .sequence(let size, let seed)? = send.messages.first {
        return SequencePayload(size: size, seed: seed)
      }
    }
    return nil
  }

  /// The highest sequence number the repeat could send, plus one.
  private func sequenceLimit(_ repetition: Repetition, batch: Int) -> Int {
    if let count = repetition.count { return count.multipliedReportingOverflow(by: batch).partialValue }
    let seconds = repetition.duration.map { Double($0.nanoseconds) / 1e9 } ?? 1
    let perSecond: Double
    switch repetition.rate {
    case .datagrams(let rate)?: perSecond = rate
    default: perSecond = 100_000_000
    }
    return Int(min(seconds * perSecond + 1, 1e12))
  }

  /// The prepared call of a body of one UDP send or receive without control
  /// messages; nil when the body must run step by step.
  private func nativeCall(for repetition: Repetition, step: Step) throws(RunError) -> PreparedCall? {
    guard repetition.body.count == 1, let inner = repetition.body.first else { return nil }
    switch inner.action {
    case .send(let send) where send.control.isEmpty:
      let open = try socket(send.socket, inner)
      guard open.kind == .udp else { return nil }
      try enter(open.host)
      let destination = try send.to.map { spec throws(RunError) in try resolve(spec, for: send.socket, inner) }
      return PreparedCall(
        kind: Self.kind(send.call), descriptor: open.socket.descriptor, flags: MessageFlag.combined(send.flags),
        destination: destination, payloads: send.messages.map(\.bytes))
    case .receive(let receive) where !receive.flags.contains(.MSG_ERRQUEUE) && receive.remember == nil:
      let open = try socket(receive.socket, inner)
      guard open.kind == .udp else { return nil }
      return PreparedCall(
        kind: Self.kind(receive.call), descriptor: open.socket.descriptor,
        flags: MessageFlag.combined(receive.flags) | MSG_DONTWAIT_FLAG, destination: nil, size: receive.size,
        batch: receive.call == .recvmmsg ? receive.count : 1)
    default:
      return nil
    }
  }

  private static func kind(_ call: SendCall) -> PreparedCall.Kind {
    switch call {
    case .write: return .write
    case .send: return .send
    case .sendto: return .sendto
    case .sendmsg: return .sendmsg
    case .sendmmsg: return .sendmmsg
    }
  }

  private static func kind(_ call: ReceiveCall) -> PreparedCall.Kind {
    switch call {
    case .read: return .read
    case .recv: return .recv
    case .recvfrom: return .recvfrom
    case .recvmsg: return .recvmsg
    case .recvmmsg: return .recvmmsg
    }
  }

  /// The loop: patch sequence numbers, keep the pace, call, count.
  private func runNative(
    _ call: PreparedCall, _ repetition: Repetition, layout: SequencePayload?, sendTimes: SendTimes?,
    receiveBound: CallDeadline?, started: UInt64, into tally: inout RepetitionTally
  ) {
    let count = repetition.count ?? Int.max
    let deadline = repetition.duration.map { started + UInt64($0.nanoseconds) }
    let pacer = Pacer(rate: repetition.rate, datagramsPerCall: call.batch, bytesPerCall: call.batch * call.messageSize)
    let isBatch = call.kind == .sendmmsg || call.kind == .recvmmsg
    let isSend = call.kind.isSend
    var next: UInt64 = 0
    var iteration = 0
    defer { if isSend { tally.sentDatagrams = tally.datagrams } }
    while iteration < count {
      if pacer != nil || (deadline != nil && iteration & 63 == 0) {
        let now = monotonicNanoseconds()
        if let deadline, now >= deadline { break }
        pacer?.wait(iteration: iteration, started: started, now: now)
      }
      if layout != nil {
        for index in 0..<call.batch { SequencePayload.write(next &+ UInt64(index), into: call.buffer(index)) }
      }
      // Just before the call: one reading for a whole sendmmsg batch, none without timestamps.
      if let sendTimes {
        let now = monotonicNanoseconds()
        for index in 0..<call.batch { sendTimes.record(next &+ UInt64(index), at: now) }
      }
      var result = call.call(count: call.batch)
      if let receiveBound, case .failure(let errno) = result, errno.rawValue == EAGAIN {
        // A receive waits (up to the step's bound) for the next datagram.
        result = receiveBound.retry(call)
      }
      tally.calls += 1
      switch result {
      case .success(let returned):
        if isBatch {
          tally.datagrams += returned
          for index in 0..<returned { tally.bytes += call.messageLength(index) }
          next &+= UInt64(returned)
        } else {
          tally.datagrams += 1
          tally.bytes += returned
          next &+= 1
        }
      case .failure(let errno):
        tally.record(errno.name, iteration: iteration)
        if receiveBound != nil { iteration += 1; tally.iterations = iteration; return }
      }
      iteration += 1
    }
    tally.iterations = iteration
  }

  /// Each iteration runs every body step through `execute`; only totals are kept.
  private func runSteps(_ repetition: Repetition, started: UInt64, into tally: inout RepetitionTally) throws(RunError) {
    let count = repetition.count ?? Int.max
    let deadline = repetition.duration.map { started + UInt64($0.nanoseconds) }
    // Packets of the whole repeat belong to the repeat step: no step starts are reported inside it.
    let hook = onStepStart
    onStepStart = nil
    defer { onStepStart = hook }
    let pacer = Pacer(rate: repetition.rate, datagramsPerCall: 1, bytesPerCall: 0)
    var iteration = 0
    while iteration < count {
      let now = monotonicNanoseconds()
      if let deadline, now >= deadline { break }
      pacer?.wait(iteration: iteration, started: started, now: now)
      for (position, step) in repetition.body.enumerated() {
        var outcomes: [StepOutcome]
        if let until = repetition.until, position == until.bodyIndex {
          outcomes = try executeWatched(step, until: until, into: &tally)
        } else {
          outcomes = try execute(step)
        }
        for outcome in outcomes {
          tally.calls += 1
          if let error = outcome.error {
            tally.record(error, iteration: iteration)
            continue
          }
          let verb = Verb(rawValue: outcome.verb)
          guard verb?.sendCall != nil || verb?.receiveCall != nil else { continue }
          let moved = verb == .sendmmsg || verb == .recvmmsg ? outcome.returned ?? 0 : 1
          tally.datagrams += moved
          if verb?.sendCall != nil { tally.sentDatagrams += moved }
          tally.bytes += verb == .sendmmsg || verb == .recvmmsg ? 0 : outcome.returned ?? 0
        }
      }
      iteration += 1
      if tally.untilMet { break }
    }
    tally.iterations = iteration
  }
}

/// The running totals of a repeat. Error tallies are few (one per errno), so
/// finding one is a short scan; nothing is allocated for a repeated errno.
struct RepetitionTally {
  var iterations = 0
  var calls = 0
  var datagrams = 0
  var sentDatagrams = 0
  var bytes = 0
  var errors: [RepetitionOutcome.ErrorTally] = []
  /// `until`: the watched step's checks in the latest iteration, and whether they all held.
  var untilChecks: [ExpectationCheck]?
  var untilMet = false

  mutating func record(_ errno: String, iteration: Int) {
    if let index = errors.firstIndex(where: { $0.errno == errno }) {
      errors[index].count += 1
    } else {
      errors.append(.init(errno: errno, count: 1, first: iteration))
    }
  }
}

/// Keeps a repeat at its rate: iteration i may start no earlier than
/// i × (units per call) / rate after the start. Short waits spin (nanosleep
/// oversleeps by tens of microseconds), long ones sleep.
struct Pacer {
  let nanosecondsPerCall: Double

  init?(rate: Repetition.Rate?, datagramsPerCall: Int, bytesPerCall: Int) {
    switch rate {
    case nil: return nil
    case .datagrams(let perSecond)?: nanosecondsPerCall = 1e9 * Double(datagramsPerCall) / perSecond
    case .bytes(let perSecond)?: nanosecondsPerCall = 1e9 * Double(max(bytesPerCall, 1)) / perSecond
    }
  }

  func wait(iteration: Int, started: UInt64, now: UInt64) {
    let target = started + UInt64(Double(iteration) * nanosecondsPerCall)
    guard target > now else { return }
    if target - now > 200_000 { sleepThread(nanoseconds: Int64(target - now - 100_000)) }
    while monotonicNanoseconds() < target {}
  }
}

/// A native receive's wait for the next datagram: poll(2) up to the step's bound.
struct CallDeadline {
  let milliseconds: Int32

  init(_ bound: Duration) {
    milliseconds = Int32(clamping: max(1, bound.nanoseconds / 1_000_000))
  }

  func retry(_ call: PreparedCall) -> Result<Int, Errno> {
    var entry = pollfd(fd: call.descriptor, events: Int16(POLLIN), revents: 0)
    while true {
      guard case .success(let ready) = syscall({ poll(&entry, 1, milliseconds) }), ready > 0 else {
        return .failure(Errno(rawValue: EAGAIN))
      }
      let result = call.call(count: call.batch)
      if case .failure(let errno) = result, errno.rawValue == EAGAIN { continue }
      return result
    }
  }
}

extension Repetition {
  /// How long the repeat may take, for the run's overall bound: its
  /// `duration` when it has one, else its count at its rate, else its count
  /// at a generous 100 µs per call (or the body's waits), plus the receiver's idle time.
  func runBound(_ defaultTimeout: Duration) -> Duration {
    let idle = receiver?.idle ?? .zero
    if let duration { return duration + idle + .seconds(1) }
    let waits = body.reduce(Duration.zero) { total, step in
      if case .wait(let wait) = step.action { return total + wait }
      return total + .microseconds(100)
    }
    var perIteration = waits
    switch rate {
    case .datagrams(let perSecond)?: perIteration = max(perIteration, .nanoseconds(Int64(1e9 / perSecond) + 1))
    case .bytes(let perSecond)?: perIteration = max(perIteration, .nanoseconds(Int64(65536 * 1e9 / perSecond) + 1))
    case nil: break
    }
    return perIteration * (count ?? 1) + defaultTimeout + idle + .seconds(1)
  }
}
