import Foundation
import Glibc
import Testing

/// Whether this process may build private networks, and what a test does when it may not.
///
/// Private networks need root (CAP_SYS_ADMIN for namespaces, CAP_NET_ADMIN for links and nftables,
/// CAP_NET_RAW for capture). Outside CI a test without them is skipped with the reason; under
/// `CI=true` the same test fails with the reason, so a runner that lost its privileges cannot turn
/// the suite green by skipping it.
public enum Privileges {
  /// `CI=true` in the environment: missing privileges or tools are failures, never skips.
  public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

  /// Why privileged tests cannot run here, or nil when they can.
  public static var missing: String? {
    let euid = geteuid()
    return euid == 0
      ? nil : "private networks need root (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW); euid is \(euid)"
  }

  /// Throws the reason when privileges are missing. For helpers that may be reached from tests without
  /// the `.privileged` trait; a test with the trait never gets here unprivileged.
  public static func require() throws {
    if let missing { throw MissingPrerequisite(missing) }
  }
}

/// A prerequisite a test needs and does not have: a failure under `CI=true`, a skip elsewhere.
public struct MissingPrerequisite: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// The trait for tests and suites that build private networks: see `Privileges`.
/// Applied to a suite it applies to every test in it, so each one is skipped or failed on its own.
public struct PrivilegedTrait: TestTrait, SuiteTrait {
  public var isRecursive: Bool { true }

  public func prepare(for test: Test) async throws {
    try await PrerequisiteTrait(missing: Privileges.missing).prepare(for: test)
  }
}

/// A prerequisite checked before a test runs: a failure under `CI=true`, a skip with the reason elsewhere.
public struct PrerequisiteTrait: TestTrait, SuiteTrait {
  /// Why the test cannot run, or nil when it can.
  public let missing: String?
  public var isRecursive: Bool { true }

  public init(missing: String?) { self.missing = missing }

  public func prepare(for test: Test) async throws {
    guard let missing else { return }
    // A non-skip error thrown from `prepare` is recorded as the test's failure, with this text.
    if Privileges.isCI { throw MissingPrerequisite("CI=true, so this fails instead of skipping: \(missing)") }
    // Swift Testing's own condition trait is the supported way to skip with a comment.
    try await ConditionTrait.enabled(if: false, Comment(rawValue: "skipped: \(missing) (CI=true makes this a failure)"))
      .prepare(for: test)
  }
}

extension Trait where Self == PrivilegedTrait {
  /// Needs root for private networks: skipped with the reason outside CI, failed with it under `CI=true`.
  public static var privileged: PrivilegedTrait { PrivilegedTrait() }
}

extension Trait where Self == PrerequisiteTrait {
  /// Needs something that `missing` describes when absent (nil when present).
  public static func requires(_ missing: String?) -> PrerequisiteTrait { PrerequisiteTrait(missing: missing) }
}
