// swift-tools-version: 6.0
import PackageDescription

// Dependencies point one way, from the command down to the kernel; no target imports one above it:
//   netdrill (the command line: argument parsing only)
//   → Commands (each command's behaviour: loading, reports, JSON, exit status)
//   → Replay (show, diff, replay and check over traces)
//   → Engine (runs a scenario: set-up, steps, expectations, recording)
//   → Scenario (the file format), Network (namespaces, links, faults, programs),
//     Capture (libpcap), Trace (pcapng, packet decoding)
//   → Sockets (socket calls; Scenario and Network use it too)
//   → System (the one door to the kernel: errno, EINTR, file descriptors, pipes; it depends on nothing of netdrill's).
// Capture and Trace depend on no other netdrill target.
let package = Package(
  name: "netdrill",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "netdrill", targets: ["netdrill"]),
    .library(name: "NetDrillEngine", targets: ["NetDrillEngine"]),
    .library(name: "NetDrillCommands", targets: ["NetDrillCommands"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-system", from: "1.8.0"),
  ],
  targets: [
    // C shims for what Swift cannot call directly (variadic ioctl, CMSG_* macros).
    .target(name: "CNetDrillLinux"),
    // Errno, the syscall door (EINTR retried here only) and file descriptors over swift-system.
    .target(name: "NetDrillSystem", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),
    .target(name: "NetDrillSockets", dependencies: ["CNetDrillLinux", "NetDrillSystem"]),
    .target(name: "NetDrillScenario", dependencies: ["NetDrillSystem", "NetDrillSockets"]),
    // C shims for spawning programs under test (posix_spawn extensions, wait macros, the contained spawn).
    .target(name: "CNetDrillProcess"),
    .target(
      name: "NetDrillNetwork", dependencies: ["CNetDrillLinux", "CNetDrillProcess", "NetDrillSystem", "NetDrillSockets"]),
    // libpcap from the system; only NetDrillCapture imports it.
    .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
    .target(name: "NetDrillCapture", dependencies: ["CPcap", "NetDrillSystem"]),
    // pcapng writer, pcap/pcapng reader and packet decoding: pure Swift over bytes (files via NetDrillSystem).
    .target(name: "NetDrillTrace", dependencies: ["NetDrillSystem"]),
    .target(
      name: "NetDrillEngine",
      dependencies: [
        "NetDrillSystem", "NetDrillScenario", "NetDrillSockets", "NetDrillNetwork", "NetDrillCapture", "NetDrillTrace",
      ]),
    // Show, diff, replay and suite checking over traces.
    .target(
      name: "NetDrillReplay", dependencies: ["NetDrillEngine", "NetDrillScenario", "NetDrillTrace", "NetDrillCapture"]),
    // Each command as a library (loading, reports, JSON output, exit status), so a library user gets what the
    // executable does; it re-exports Scenario, Engine and Replay.
    .target(
      name: "NetDrillCommands",
      dependencies: [
        "NetDrillScenario", "NetDrillEngine", "NetDrillReplay", "NetDrillNetwork", "NetDrillCapture", "NetDrillTrace",
      ]),
    .executableTarget(
      name: "netdrill",
      dependencies: ["NetDrillCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    // Shared by every test target: the privileges trait, the process runner, whole-output assertions for
    // the built binary, marked processes, the package's paths and a seeded generator. Depends on no netdrill module.
    .target(name: "NetDrillTestSupport", path: "Tests/NetDrillTestSupport"),
    .testTarget(
      name: "NetDrillScenarioTests", dependencies: ["NetDrillScenario", "NetDrillSockets", "NetDrillTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(name: "NetDrillSocketsTests", dependencies: ["NetDrillSockets", "NetDrillTestSupport"]),
    .testTarget(name: "NetDrillCaptureTests", dependencies: ["NetDrillCapture", "NetDrillSystem", "NetDrillTestSupport"]),
    .testTarget(name: "NetDrillSystemTests", dependencies: ["NetDrillSystem", "NetDrillTestSupport"]),
    .testTarget(
      name: "NetDrillProgramTests", dependencies: ["NetDrillNetwork", "NetDrillSockets", "NetDrillTestSupport"]),
    .testTarget(
      name: "NetDrillNetworkTests",
      dependencies: ["NetDrillNetwork", "NetDrillSockets", "CNetDrillLinux", "NetDrillTestSupport"]),
    .testTarget(
      name: "NetDrillTraceTests", dependencies: ["NetDrillTrace", "NetDrillTestSupport"], exclude: ["Fixtures"]),
    .testTarget(
      name: "NetDrillEngineTests",
      dependencies: ["NetDrillEngine", "NetDrillScenario", "NetDrillSockets", "NetDrillTestSupport"]),
    .testTarget(
      name: "NetDrillReplayTests",
      dependencies: ["NetDrillReplay", "NetDrillEngine", "NetDrillScenario", "NetDrillTrace", "NetDrillTestSupport"]),
    // End to end: the built `netdrill` binary, and what spans several modules.
    .testTarget(
      name: "NetDrillTests",
      dependencies: [
        "CNetDrillLinux", "NetDrillCapture", "NetDrillEngine", "NetDrillScenario", "NetDrillSockets", "NetDrillNetwork",
        "NetDrillReplay", "NetDrillTrace", "NetDrillCommands", "NetDrillTestSupport",
      ]),
  ],
  swiftLanguageModes: [.v6]
)
