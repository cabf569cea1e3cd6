// Sockets speak errno: every user of NetDrillSockets gets the door (Errno, syscall,
// SystemCallError) with it, as swift-nio's NIOPosix re-exports NIOCore.
@_exported import NetDrillSystem
