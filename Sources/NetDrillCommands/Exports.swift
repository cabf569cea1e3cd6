// One import gives a front end every type its commands take and give (options,
// results, reports), as swift-nio's `NIO` module re-exports NIOCore and NIOPosix:
// the executable depends on this library alone.
@_exported import NetDrillEngine
@_exported import NetDrillReplay
@_exported import NetDrillScenario
