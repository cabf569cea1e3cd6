import Foundation
import NetDrillCapture
import NetDrillNetwork
import NetDrillScenario
import NetDrillTrace

/// Capture settings for a recorded run.
public struct RecordOptions: Sendable {
  public var capture: CaptureConfiguration
  /// How long to keep capturing after the last step for packets still in flight.
  public var drain: Duration

  public init(capture: CaptureConfiguration = .init(), drain: Duration = .milliseconds(50)) {
    self.capture = capture
    self.drain = drain
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
    let recording = Recording(writer: writer, options: options)
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
/// `@unchecked Sendable`: the writer is used by one thread at a time — the run
/// thread until the capture starts (interface blocks), the capture thread's
/// sink while capturing, and the caller after `stop()` has joined the capture
/// thread (statistics, manifest). The step timeline and counters, written by
/// the run thread and read by the sink, are guarded by `lock`.
final class Recording: RunObserver, @unchecked Sendable {
  private let writer: PcapngWriter
  private let options: RecordOptions
  private let lock = NSLock()
  private var timeline: [(start: UInt64, label: String)] = []
  private var capture: LiveCapture?
  private var interfaceIDs: [UInt32] = []
  private(set) var interfaceNames: [String] = []
  private var statistics: [CaptureStatistics] = []
  private var packetCount = 0
  private var writeError: (any Error)?
  /// Packets of all interfaces, held until the capture's watermark passes
  /// them and written in timestamp order.
  private var ordering: TimestampOrderBuffer<CapturedPacket>

  init(writer: PcapngWriter, options: RecordOptions) {
    self.writer = writer
    self.options = options
    ordering = TimestampOrderBuffer()
  }

  func networkReady(_ interfaces: [NetworkInterfaceTarget]) throws {
    let targets = interfaces.map { CaptureTarget(host: $0.host, interface: $0.interface, namespaceFD: $0.namespaceFD) }
    guard !targets.isEmpty else {
      throw RunError.environment("recording needs a private network: --host-network runs cannot be captured")
    }
    let capture = try LiveCapture(
      targets: targets, configuration: options.capture, progress: { [self] watermark in self.release(upTo: watermark) }
    ) { [self] packet in
      self.hold(packet)
    }
    lock.withLock {
      for interface in capture.interfaces {
        do {
          interfaceIDs.append(
            try writer.addInterface(
              name: interface.name, linkType: LinkType(rawValue: interface.linkType),
              snapLength: UInt32(clamping: interface.snapLength), description: "captured by netdrill"))
          interfaceNames.append(interface.name)
        } catch {
          writeError = writeError ?? error
        }
      }
      self.capture = capture
    }
  }

  func stepStarting(step: StepPhase, atNanoseconds time: UInt64, call: String) {
    let label = step.label { "step \($0)" } + ": \(call)"
    lock.withLock { timeline.append((time, label)) }
  }

  func stepsFinished() {
    let capture = lock.withLock { self.capture }
    let stats = capture?.stop(drainFor: options.drain) ?? []
    lock.withLock {
      statistics = stats
      // The capture thread has ended: nothing earlier can arrive any more.
      for packet in ordering.drain() { writeInOrder(packet) }
    }
  }

  /// Called on the capture thread for every packet: held until the capture's
  /// watermark passes it, so no packet of another interface can come before it.
  private func hold(_ packet: CapturedPacket) {
    lock.withLock { ordering.add(packet, timestamp: packet.timestampNanoseconds) }
  }

  /// Called on the capture thread after each round of reading: every packet
  /// stamped before `watermark` has arrived, so those held can be written.
  private func release(upTo watermark: UInt64) {
    lock.withLock {
      for packet in ordering.release(upTo: watermark) { writeInOrder(packet) }
    }
  }

  /// Writes one packet, in timestamp order; `lock` is held.
  private func writeInOrder(_ packet: CapturedPacket) {
    guard writeError == nil, packet.targetIndex < interfaceIDs.count else { return }
    // The step that caused a packet is the last one that started before it.
    let label = timeline.last { $0.start <= packet.timestampNanoseconds }?.label
    do {
      try writer.writePacket(
        interface: interfaceIDs[packet.targetIndex], timestampNanoseconds: packet.timestampNanoseconds,
        originalLength: packet.originalLength, data: packet.data, comment: label)
      packetCount += 1
    } catch {
      writeError = error
    }
  }

  func abandon() {
    _ = lock.withLock { capture }?.stop(drainFor: .zero)
    writer.abandon()
  }

  func finish(run: RunResult, source: String, scenarioPath: String?, path: String) throws -> RecordResult {
    if let writeError {
      writer.abandon()
      throw writeError
    }
    let end = run.endNanoseconds
    for (index, stats) in statistics.enumerated() where index < interfaceIDs.count {
      try writer.writeInterfaceStatistics(
        interface: interfaceIDs[index], timestampNanoseconds: end, received: UInt64(stats.received),
        dropped: UInt64(stats.dropped) + UInt64(stats.interfaceDropped),
        comment: stats.dropped > 0 ? "capture dropped \(stats.dropped) packets" : nil)
    }
    let manifest = TraceManifest(
      scenarioSource: source, scenarioPath: scenarioPath, run: run, interfaces: interfaceNames,
      capture: statistics, packetCount: packetCount)
    try writer.writeManifest(try manifest.encoded())
    try writer.commit()
    return RecordResult(run: run, manifest: manifest, tracePath: path)
  }
}
