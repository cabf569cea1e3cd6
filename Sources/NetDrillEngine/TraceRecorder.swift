import Foundation
import NetDrillCapture
import NetDrillNetwork
import NetDrillScenario
import NetDrillTrace
import Synchronization

/// Capture settings for a recorded run.
public struct RecordOptions: Sendable {
  public var capture: CaptureConfiguration
  /// How long to keep capturing after the last step for packets still in flight.
  public var drain: Duration
  /// True: every ring is ``CaptureConfiguration/bufferBytes`` (`--buffer-mib`).
  /// False (the default): each interface's ring is sized from the scenario
  /// (``CaptureBudget``).
  public var fixedRingSize: Bool
  /// True (`--full`): every packet is written. False: runs of same-shaped
  /// UDP datagrams longer than ``BulkFolding/keptPackets`` are summarised.
  public var keepsEveryPacket: Bool

  public init(
    capture: CaptureConfiguration = .init(), drain: Duration = .milliseconds(50), fixedRingSize: Bool = false,
    keepsEveryPacket: Bool = false
  ) {
    self.capture = capture
    self.drain = drain
    self.fixedRingSize = fixedRingSize
    self.keepsEveryPacket = keepsEveryPacket
  }
}

/// A recorded run: the outcomes, the trace written, and what the capture saw.
public struct RecordResult: Sendable {
  public var run: RunResult
  public var manifest: TraceManifest
  public var tracePath: String

  /// A run whose capture dropped packets is never a clean pass: the trace is incomplete.
  public var passed: Bool { run.passed && manifest.droppedPackets == 0 }
}

/// Runs a scenario with a capture on every interface of its network and
/// writes one self-contained pcapng trace.
public enum ScenarioRecorder {
  /// Runs `scenario` (whose file text is `source`) and writes the trace to
  /// `path`. The file appears at `path` only when complete: until then it is
  /// written under a temporary name beside it, removed on any failure.
  public static func record(
    _ scenario: Scenario, source: String, to path: String, runOptions: RunOptions = .init(),
    options: RecordOptions = .init()
  ) throws -> RecordResult {
    let writer = try PcapngWriter(
      path: path, application: "netdrill \(runOptions.toolVersion)", hardware: nil,
      os: "Linux \(ScenarioRunner.kernelRelease())", sectionComment: "netdrill scenario \(scenario.name)")
    var options = options
    // Packet expectations are checked against the trace: they must see every packet.
    if !scenario.expectedPackets.isEmpty { options.keepsEveryPacket = true }
    let recording = Recording(
      writer: writer, options: options, budget: options.fixedRingSize ? nil : CaptureBudget(scenario: scenario))
    let run: RunResult
    do {
      run = try ScenarioRunner.run(scenario, options: runOptions, observer: recording)
    } catch {
      recording.abandon()
      throw error
    }
    var result = try recording.finish(run: run, source: source, scenarioPath: scenario.sourcePath, path: path)
    if !scenario.expectedPackets.isEmpty {
      result.run.packetChecks = try checkPackets(
        of: scenario, run: result.run, trace: path, droppedPackets: result.manifest.droppedPackets)
    }
    return result
  }
}

/// The observer that opens the capture when the network exists, ties packets
/// to steps, and writes the trace.
///
/// Everything mutable, the writer included, lives in one `Mutex`: the run
/// thread (interface blocks, step timeline), the capture thread (packets)
/// and the caller (statistics, manifest) each take it in turn.
final class Recording: RunObserver, Sendable {
  private struct State {
    let writer: PcapngWriter
    var timeline: [(start: UInt64, label: String)] = []
    var capture: LiveCapture?
    /// The trace's interface id for each capture target, in target order.
    var interfaceIDs: [UInt32] = []
    var interfaceNames: [String] = []
    var statistics: [CaptureStatistics] = []
    var packetCount = 0
    /// Bulk runs folded instead of written; nil with `--full`.
    var folder: BulkFolder?
    var writeError: (any Error)?
    /// Packets of all interfaces, held until the capture's watermark passes
    /// them and written in timestamp order.
    var ordering = TimestampOrderBuffer<CapturedPacket>()
  }

  private let options: RecordOptions
  /// Sizes each interface's ring; nil: every ring is the configuration's.
  private let budget: CaptureBudget?
  private let state: Mutex<State>
  /// Runs after the capture has opened its handles and before the trace
  /// describes the interfaces: a seam for tests, which send a packet there.
  private let afterCaptureOpened: (@Sendable () -> Void)?

  init(
    writer: sending PcapngWriter, options: RecordOptions, budget: CaptureBudget? = nil,
    afterCaptureOpened: (@Sendable () -> Void)? = nil
  ) {
    self.options = options
    self.budget = budget
    self.afterCaptureOpened = afterCaptureOpened
    var initial = State(writer: writer)
    if !options.keepsEveryPacket { initial.folder = BulkFolder() }
    state = Mutex(initial)
  }

  func networkReady(_ interfaces: [NetworkInterfaceTarget]) throws {
    let targets = interfaces.map {
      CaptureTarget(
        host: $0.host, interface: $0.interface, namespaceFD: $0.namespaceFD,
        bufferBytes: budget?.ringBytes(forHost: $0.host))
    }
    guard !targets.isEmpty else {
      throw RunError.environment("recording needs a private network: --host-network runs cannot be captured")
    }
    // Two phases: the handles open now (the kernel queues every packet from
    // here on), but none is delivered until every interface is in the trace,
    // so no packet can arrive for an interface the trace does not know.
    let capture = try LiveCapture(
      targets: targets, configuration: options.capture, startsDelivering: false,
      progress: { [self] watermark in self.release(upTo: watermark) }
    ) { [self] packet in
      self.hold(packet)
    }
    afterCaptureOpened?()
    state.withLock { state in
      for interface in capture.interfaces {
        do {
          state.interfaceIDs.append(
            try state.writer.addInterface(
              name: interface.name, linkType: LinkType(rawValue: interface.linkType),
              snapLength: UInt32(clamping: interface.snapLength), description: "captured by netdrill"))
          state.interfaceNames.append(interface.name)
        } catch {
          state.writeError = state.writeError ?? error
        }
      }
      state.capture = capture
    }
    capture.startDelivering()
  }

  func stepStarting(step: StepPhase, atNanoseconds time: UInt64, call: String) {
    let label = step.label { "step \($0)" } + ": \(call)"
    state.withLock { $0.timeline.append((time, label)) }
  }

  func stepsFinished() {
    // Stopped outside the lock: stopping joins the capture thread, whose sink takes it.
    let capture = state.withLock { $0.capture }
    let stats = capture?.stop(drainFor: options.drain) ?? []
    state.withLock { state in
      state.statistics = stats
      // The capture thread has ended: nothing earlier can arrive any more.
      for packet in state.ordering.drain() { Self.writeInOrder(packet, into: &state) }
    }
  }

  /// Called on the capture thread for every packet: held until the capture's
  /// watermark passes it, so no packet of another interface can come before it.
  private func hold(_ packet: CapturedPacket) {
    state.withLock { $0.ordering.add(packet, timestamp: packet.timestampNanoseconds) }
  }

  /// Called on the capture thread after each round of reading: every packet
  /// stamped before `watermark` has arrived, so those held can be written.
  private func release(upTo watermark: UInt64) {
    state.withLock { state in
      for packet in state.ordering.release(upTo: watermark) { Self.writeInOrder(packet, into: &state) }
    }
  }

  /// Writes one packet, in timestamp order; the lock is held.
  private static func writeInOrder(_ packet: CapturedPacket, into state: inout State) {
    guard state.writeError == nil else { return }
    // Every interface block is written before the first packet is delivered
    // (see networkReady), so a packet of an unknown target is a bug: it fails
    // the recording rather than vanishing from the trace.
    guard packet.targetIndex < state.interfaceIDs.count else {
      state.writeError = RunError.environment(
        "internal: a packet of capture target \(packet.targetIndex) arrived before its interface was described")
      return
    }
    // The step that caused a packet is the last one that started before it;
    // looked up only for a packet that is written or starts a summary.
    let timeline = state.timeline
    let label = { timeline.last { $0.start <= packet.timestampNanoseconds }?.label }
    if state.folder?.fold(
      packet.data, originalLength: packet.originalLength, interface: packet.targetIndex,
      interfaceName: state.interfaceNames[packet.targetIndex], timestamp: packet.timestampNanoseconds, step: label)
      == true
    {
      return
    }
    do {
      try state.writer.writePacket(
        interface: state.interfaceIDs[packet.targetIndex], timestampNanoseconds: packet.timestampNanoseconds,
        originalLength: packet.originalLength, data: packet.data, comment: label())
      state.packetCount += 1
    } catch {
      state.writeError = error
    }
  }

  func abandon() {
    state.withLock { $0.capture }?.stop(drainFor: .zero)
    state.withLock { $0.writer.abandon() }
  }

  func finish(run: RunResult, source: String, scenarioPath: String?, path: String) throws -> RecordResult {
    try state.withLock { state in
      if let writeError = state.writeError {
        state.writer.abandon()
        throw writeError
      }
      let end = run.endNanoseconds
      for (index, stats) in state.statistics.enumerated() where index < state.interfaceIDs.count {
        try state.writer.writeInterfaceStatistics(
          interface: state.interfaceIDs[index], timestampNanoseconds: end, received: UInt64(stats.received),
          dropped: UInt64(stats.dropped) + UInt64(stats.interfaceDropped),
          comment: stats.dropped > 0 ? "capture dropped \(stats.dropped) packets" : nil)
      }
      let manifest = TraceManifest(
        scenarioSource: source, scenarioPath: scenarioPath, run: run, interfaces: state.interfaceNames,
        capture: state.statistics, packetCount: state.packetCount, bulk: state.folder?.finish())
      try state.writer.writeManifest(try manifest.encoded())
      try state.writer.commit()
      return RecordResult(run: run, manifest: manifest, tracePath: path)
    }
  }
}
