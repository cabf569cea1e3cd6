// swift-tools-version: 6.0
import PackageDescription

// Data flows one way: Scenario → Engine (over Sockets, Network, Capture, Trace) → Replay → netdrill.
let package = Package(
  name: "netdrill",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "netdrill", targets: ["netdrill"]),
    .library(name: "NetDrillEngine", targets: ["NetDrillEngine"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // C shims for what Swift cannot call directly (variadic ioctl, CMSG_* macros).
    .target(name: "CNetDrillLinux"),
    .target(name: "NetDrillSockets", dependencies: ["CNetDrillLinux"]),
    .target(name: "NetDrillScenario", dependencies: ["NetDrillSockets"]),
    // C shims for spawning programs under test (posix_spawn extensions, pipe2, wait macros).
    .target(name: "CNetDrillProcess"),
    .target(name: "NetDrillNetwork", dependencies: ["CNetDrillLinux", "CNetDrillProcess", "NetDrillSockets"]),
    // libpcap from the system; only NetDrillCapture imports it.
    .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
    .target(name: "NetDrillCapture", dependencies: ["CPcap"]),
    // pcapng writer, pcap/pcapng reader and packet decoding: pure Swift over bytes.
    .target(name: "NetDrillTrace"),
    .target(
      name: "NetDrillEngine",
      dependencies: ["NetDrillScenario", "NetDrillSockets", "NetDrillNetwork", "NetDrillCapture", "NetDrillTrace"]),
    // Show, diff, replay and suite checking over traces.
    .target(name: "NetDrillReplay", dependencies: ["NetDrillEngine", "NetDrillScenario", "NetDrillTrace"]),
    .executableTarget(
      name: "netdrill",
      dependencies: [
        "NetDrillEngine", "NetDrillReplay", "NetDrillCapture", "NetDrillScenario", "NetDrillNetwork", "NetDrillTrace",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // Shared by every test target: the privileges trait, the process runner, whole-output assertions for
    // the built binary, marked processes and the package's paths. Depends on no netdrill module.
    .target(name: "NetDrillTestSupport", path: "Tests/NetDrillTestSupport"),
    .testTarget(
      name: "NetDrillScenarioTests", dependencies: ["NetDrillScenario", "NetDrillSockets", "NetDrillTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(name: "NetDrillSocketsTests", dependencies: ["NetDrillSockets", "NetDrillTestSupport"]),
    .testTarget(name: "NetDrillCaptureTests", dependencies: ["NetDrillCapture", "NetDrillTestSupport"]),
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
        "CNetDrillLinux", "NetDrillEngine", "NetDrillScenario", "NetDrillSockets", "NetDrillNetwork",
        "NetDrillReplay", "NetDrillTrace", "NetDrillTestSupport",
      ]),
  ],
  swiftLanguageModes: [.v6]
)
