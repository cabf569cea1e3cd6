import NetDrillScenario

/// A capture whose scenario could not be loaded: every scenario is at most
/// ``ScenarioParser/maximumFileSize``. Found while reading (each replayed
/// payload byte is written at least once, so more payload than the limit can
/// never fit: reading stops there, holding no more than that) or while the
/// steps are made (their size counted as they grow), before anything is written.
public struct ImportTooLarge: Error, CustomStringConvertible, Sendable {
  public var capture: String
  /// Where it was found: the payload read so far, or the scenario's text.
  public var what: String
  public var bytes: Int

  public static var limit: Int { ScenarioParser.maximumFileSize }

  public var description: String {
    "\(capture): \(what) comes to \(bytes) bytes or more, beyond the scenario size limit of \(Self.limit / 1024 / 1024) MiB (\(Self.limit) bytes) that run and replay load; import a part of it with --filter 'BPF' (for example --filter 'udp port 53' or 'host 10.1.0.2')"
  }
}
