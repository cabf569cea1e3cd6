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
    .target(
      name: "NetDrillReplay", dependencies: ["NetDrillEngine", "NetDrillScenario", "NetDrillTrace", "NetDrillCapture"]),
    .executableTarget(
      name: "netdrill",
      dependencies: [
        "NetDrillEngine", "NetDrillReplay", "NetDrillCapture", "NetDrillScenario", "NetDrillNetwork", "NetDrillTrace",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(
      name: "NetDrillScenarioTests", dependencies: ["NetDrillScenario", "NetDrillSockets"], exclude: ["Fixtures"]),
    .testTarget(name: "NetDrillCaptureTests", dependencies: ["NetDrillCapture"]),
    .testTarget(name: "NetDrillProgramTests", dependencies: ["NetDrillNetwork", "NetDrillSockets"]),
    .testTarget(name: "NetDrillNetworkTests", dependencies: ["NetDrillNetwork", "NetDrillSockets", "CNetDrillLinux"]),
    .testTarget(name: "NetDrillTraceTests", dependencies: ["NetDrillTrace"], exclude: ["Fixtures"]),
    .testTarget(
      name: "NetDrillTests",
      dependencies: [
        "CNetDrillLinux", "NetDrillEngine", "NetDrillScenario", "NetDrillSockets", "NetDrillNetwork",
        "NetDrillReplay", "NetDrillTrace",
      ]),
  ],
  swiftLanguageModes: [.v6]
)
