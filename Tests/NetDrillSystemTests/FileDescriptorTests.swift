import Glibc
import NetDrillSystem
import Testing

@Suite struct SyscallDoorTests {
  @Test func anInterruptedCallIsRetriedAndOtherErrorsAreReturned() {
    var calls = 0
    let retried = syscall { () -> Int32 in
      calls += 1
      if calls == 1 {
        errno = EINTR
        return -1
      }
      return 7
    }
    #expect(calls == 2)
    #expect(retried == .success(7))

    let failed = syscall { () -> Int32 in
      errno = ECONNREFUSED
      return -1
    }
    #expect(failed == .failure(Errno(name: "ECONNREFUSED")!))  // the table has this name
  }

  @Test func retryCanBeTurnedOff() {
    var calls = 0
    let result = syscall(retryOnInterrupt: false) { () -> Int32 in
      calls += 1
      errno = EINTR
      return -1
    }
    #expect(calls == 1)
    #expect(result == .failure(.EINTR))
  }
}

@Suite struct FileDescriptorTests {
  private func temporaryDirectory() throws -> String {
    let path = "/tmp/netdrill-system-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    try #require(mkdir(path, 0o700) == 0, "mkdir \(path): errno \(errno)")
    return path
  }

  @Test func aRegularFileIsOpenedAndReadWhole() throws {
    let directory = try temporaryDirectory()
    let path = directory + "/file"
    let writer = try FileDescriptor.open(path, .createNew(permissions: 0o600))
    let text = Array("hello, door".utf8)
    try writer.writeAll(text)
    writer.close()

    let (reader, size) = try FileDescriptor.openRegularFile(path)
    defer { reader.close() }
    #expect(size == UInt64(text.count))
    #expect(try reader.readToEnd(limit: 1024) == text)
    #expect(throws: Errno(rawValue: EEXIST)) { try FileDescriptor.open(path, .createNew(permissions: 0o600)) }
  }

  @Test func aFIFOIsRefusedWithoutBlocking() throws {
    let directory = try temporaryDirectory()
    let path = directory + "/fifo"
    try #require(mkfifo(path, 0o600) == 0)
    // Without O_NONBLOCK this open would wait forever for a writer.
    #expect(throws: RegularFileError.notRegular(kind: "a FIFO (named pipe)")) {
      try FileDescriptor.openRegularFile(path)
    }
  }

  @Test func aDirectoryAndAMissingFileAreRefusedWithTheirReason() throws {
    let directory = try temporaryDirectory()
    #expect(throws: RegularFileError.notRegular(kind: "a directory")) {
      try FileDescriptor.openRegularFile(directory)
    }
    #expect(throws: RegularFileError.cannotOpen(Errno(rawValue: ENOENT))) {
      try FileDescriptor.openRegularFile(directory + "/missing")
    }
    #expect(throws: Errno(rawValue: EINVAL)) { try FileDescriptor.open(directory + "\0/x", .read) }
  }

  @Test func bothEndsOfAPipeAreCloseOnExecFromBirth() throws {
    let (readEnd, writeEnd) = try FileDescriptor.pipe()
    defer {
      readEnd.close()
      writeEnd.close()
    }
    #expect(fcntl(readEnd.rawValue, F_GETFD) & FD_CLOEXEC != 0)
    #expect(fcntl(writeEnd.rawValue, F_GETFD) & FD_CLOEXEC != 0)
    let message: [UInt8] = [1, 2, 3]
    try writeEnd.writeAll(message)
    var received = [UInt8](repeating: 0, count: 8)
    let count = try readEnd.read(into: &received)
    #expect(Array(received[0..<count]) == message)
  }
}
