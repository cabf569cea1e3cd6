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
    #expect(try retried.get() == 7)

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
    var template = Array("/tmp/netdrill-system-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress) }
    try #require(made != nil)
    return String(cString: template)
  }

  @Test func aRegularFileIsOpenedAndReadWhole() throws {
    let directory = try temporaryDirectory()
    let path = directory + "/file"
    let writer = try FileDescriptor.open(path, .createNew(permissions: 0o600))
    let text = Array("hello, door".utf8)
    try text.withUnsafeBytes { raw throws(Errno) in try writer.writeAll(raw) }
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
    do {
      let opened = try FileDescriptor.openRegularFile(path)
      opened.descriptor.close()
      Issue.record("a FIFO was accepted as a regular file")
    } catch {
      guard case .notRegular(let kind) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(kind == "a FIFO (named pipe)")
    }
  }

  @Test func aDirectoryAndAMissingFileAreRefusedWithTheirReason() throws {
    let directory = try temporaryDirectory()
    do {
      _ = try FileDescriptor.openRegularFile(directory)
      Issue.record("a directory was accepted")
    } catch {
      guard case .notRegular(let kind) = error else { return Issue.record("unexpected error \(error)") }
      #expect(kind == "a directory")
    }
    do {
      _ = try FileDescriptor.openRegularFile(directory + "/missing")
      Issue.record("a missing file was opened")
    } catch {
      guard case .cannotOpen(let errno) = error else { return Issue.record("unexpected error \(error)") }
      #expect(errno.name == "ENOENT")
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
    try message.withUnsafeBytes { raw throws(Errno) in try writeEnd.writeAll(raw) }
    var received = [UInt8](repeating: 0, count: 8)
    let count = try received.withUnsafeMutableBytes { raw throws(Errno) in try readEnd.read(into: raw) }
    #expect(Array(received[0..<count]) == message)
  }
}
