import CNetDrillProcess
import Foundation
import Glibc
import NetDrillTestSupport
import Testing

/// The init of a program's PID namespace must end with netdrill however
/// netdrill ends, even where the death signal cannot help (netdrill gone
/// before the init set it): then the report pipe losing its reader is the sign.
@Suite("Contained programs: the init's lifeline", .privileged)
struct ContainedInitTests {
  @Test("closing the report pipe's read end (netdrill gone) ends the init and the program's whole tree")
  func lifeline() throws {
    let marker = "1001.\(UInt32.random(in: 1...UInt32.max))"
    var report: [Int32] = [-1, -1]
    #expect(pipe(&report) == 0)
    // Close-on-exec, so no other child of the test process keeps a copy.
    for fd in report { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
    defer { close(null) }
    let arguments = ["/bin/sh", "-c", "sleep \(marker) & wait"]
    var argv = arguments.map { strdup($0) } + [nil]
    var envp: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/bin:/bin"), nil]
    defer { for pointer in argv + envp { free(pointer) } }
    let pid = argv.withUnsafeMutableBufferPointer { argvBuffer in
      envp.withUnsafeMutableBufferPointer { envpBuffer in
        "/bin/sh".withCString { path in
          var request = nd_contained_spawn(
            path: path, argv: argvBuffer.baseAddress, envp: envpBuffer.baseAddress, directory: nil,
            stdout_fd: null, stderr_fd: null, report_fd: report[1], report_read_fd: report[0])
          return nd_spawn_contained(&request)
        }
      }
    }
    try #require(pid > 0)
    close(report[1])
    var record = nd_report()
    let count = withUnsafeMutableBytes(of: &record) { read(report[0], $0.baseAddress, $0.count) }
    #expect(count == MemoryLayout<nd_report>.size && record.kind == Int32(UInt8(ascii: "S")))
    #expect(waitForSleep(marker, present: true), "the program's child started")
    // netdrill "dies" without a death signal reaching the init: only the pipe says so.
    close(report[0])
    var status: Int32 = 0
    let deadline = Date().addingTimeInterval(5)
    var reaped = false
    while Date() < deadline, !reaped {
      reaped = waitpid(pid, &status, WNOHANG) == pid
      if !reaped { usleep(10_000) }
    }
    #expect(reaped, "the init did not end when its report pipe lost its reader")
    if !reaped { kill(pid, SIGKILL); waitpid(pid, &status, 0) }
    #expect(waitForSleep(marker, present: false), "a process of the program outlived its namespace's init")
  }

  /// Waits up to 5 s for a `sleep MARKER` process to be there (or gone).
  private func waitForSleep(_ marker: String, present: Bool) -> Bool {
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
      let found = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).contains { entry in
        guard Int32(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else {
          return false
        }
        return String(decoding: data, as: UTF8.self).contains(marker)
      }
      if found == present { return true }
      usleep(20_000)
    }
    return false
  }
}
