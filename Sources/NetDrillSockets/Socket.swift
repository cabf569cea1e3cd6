import CNetDrillLinux
import Glibc

/// One socket descriptor with one owner. Every call is a single real syscall
/// whose errno comes back as a value; `close()` runs at most once.
///
/// Not Sendable: a socket belongs to the thread running its scenario.
public final class Socket {
  public private(set) var descriptor: Int32
  public let family: SocketAddress.Family
  public let isStream: Bool

  public init(adopting descriptor: Int32, family: SocketAddress.Family, isStream: Bool) {
    self.descriptor = descriptor
    self.family = family
    self.isStream = isStream
  }

  deinit { _ = close() }

  /// `socket(2)`; `nonBlocking` and `closeOnExec` are the SOCK_NONBLOCK / SOCK_CLOEXEC type flags.
  public static func open(
    family: SocketAddress.Family, stream: Bool, nonBlocking: Bool = false, closeOnExec: Bool = false
  ) -> Result<Socket, Errno> {
    var type = Int32(stream ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue)
    if nonBlocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
    if closeOnExec { type |= Int32(SOCK_CLOEXEC.rawValue) }
    let domain = family == .ipv4 ? AF_INET : AF_INET6
    return syscall { Glibc.socket(domain, type, 0) }.map {
      Socket(adopting: $0, family: family, isStream: stream)
    }
  }

  public var isClosed: Bool { descriptor < 0 }

  /// `close(2)`. Later calls on this socket use descriptor -1, so the kernel
  /// answers EBADF for real instead of touching a reused descriptor number.
  @discardableResult
  public func close() -> Result<Void, Errno> {
    guard descriptor >= 0 else { return .failure(Errno(rawValue: EBADF)) }
    let fd = descriptor
    descriptor = -1
    // close(2) must not be retried on EINTR on Linux: the descriptor is gone either way.
    return syscall(retryOnInterrupt: false) { Glibc.close(fd) }.map { _ in }
  }

  // MARK: Addresses

  public func bind(_ address: SocketAddress) -> Result<Void, Errno> {
    address.withSockAddr { pointer, length in syscall { Glibc.bind(descriptor, pointer, length) } }.map { _ in }
  }

  public func connect(_ address: SocketAddress) -> Result<Void, Errno> {
    address.withSockAddr { pointer, length in syscall { Glibc.connect(descriptor, pointer, length) } }.map { _ in }
  }

  /// `connect()` with `sa_family = AF_UNSPEC`: dissolves a datagram socket's association (connect(2)).
  public func disconnect() -> Result<Void, Errno> {
    var address = sockaddr()
    address.sa_family = sa_family_t(AF_UNSPEC)
    return syscall { Glibc.connect(descriptor, &address, socklen_t(MemoryLayout<sockaddr>.size)) }.map { _ in }
  }

  public func listen(backlog: Int32) -> Result<Void, Errno> {
    syscall { Glibc.listen(descriptor, backlog) }.map { _ in }
  }

  public func accept(nonBlocking: Bool = false) -> Result<(Socket, SocketAddress?), Errno> {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let flags = nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0
    let result = withUnsafeMutablePointer(to: &storage) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
        syscall { nd_accept4(descriptor, address, &length, flags) }
      }
    }
    return result.map { fd in
      (Socket(adopting: fd, family: family, isStream: true), SocketAddress(storage: storage, length: length))
    }
  }

  public func shutdown(how: Int32) -> Result<Void, Errno> {
    syscall { Glibc.shutdown(descriptor, how) }.map { _ in }
  }

  /// getsockname(2). `.success(nil)` when the kernel reports AF_UNSPEC.
  public func localAddress() -> Result<SocketAddress?, Errno> {
    name { Glibc.getsockname(descriptor, $0, $1) }
  }

  /// getpeername(2).
  public func peerAddress() -> Result<SocketAddress?, Errno> {
    name { Glibc.getpeername(descriptor, $0, $1) }
  }

  private func name(
    _ call: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
  ) -> Result<SocketAddress?, Errno> {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let result = withUnsafeMutablePointer(to: &storage) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in syscall { call(address, &length) } }
    }
    return result.map { _ in SocketAddress(storage: storage, length: length) }
  }

  // MARK: Options

  public func setOption(level: Int32, name: Int32, bytes: [UInt8]) -> Result<Void, Errno> {
    bytes.withUnsafeBytes { raw in
      syscall { Glibc.setsockopt(descriptor, level, name, raw.baseAddress, socklen_t(raw.count)) }
    }.map { _ in }
  }

  public func setOption<T>(level: Int32, name: Int32, value: T) -> Result<Void, Errno> {
    withUnsafeBytes(of: value) { setOption(level: level, name: name, bytes: Array($0)) }
  }

  /// getsockopt(2) into a buffer of `capacity` bytes; returns the bytes the kernel wrote.
  public func getOption(level: Int32, name: Int32, capacity: Int = 256) -> Result<[UInt8], Errno> {
    var buffer = [UInt8](repeating: 0, count: capacity)
    var length = socklen_t(capacity)
    return buffer.withUnsafeMutableBytes { raw in
      syscall { Glibc.getsockopt(descriptor, level, name, raw.baseAddress, &length) }
    }.map { _ in Array(buffer.prefix(Int(length))) }
  }

  /// The open file's status flags (fcntl F_GETFL): O_NONBLOCK lives here,
  /// not in the socket, so getsockopt never shows it and accept(2) never copies it.
  public func fileStatusFlags() -> Result<Int32, Errno> {
    syscall { fcntl(descriptor, F_GETFL) }
  }

  public func setFileStatusFlags(_ flags: Int32) -> Result<Void, Errno> {
    syscall { fcntl(descriptor, F_SETFL, flags) }.map { _ in }
  }

  // MARK: Sending

  public func write(_ bytes: [UInt8]) -> Result<Int, Errno> {
    bytes.withUnsafeBytes { raw in syscall { Glibc.write(descriptor, raw.baseAddress, raw.count) } }
  }

  public func send(_ bytes: [UInt8], flags: Int32) -> Result<Int, Errno> {
    bytes.withUnsafeBytes { raw in syscall { Glibc.send(descriptor, raw.baseAddress, raw.count, flags) } }
  }

  public func sendto(_ bytes: [UInt8], flags: Int32, to address: SocketAddress) -> Result<Int, Errno> {
    bytes.withUnsafeBytes { raw in
      address.withSockAddr { pointer, length in
        syscall { Glibc.sendto(descriptor, raw.baseAddress, raw.count, flags, pointer, length) }
      }
    }
  }

  /// sendmsg(2) with one iovec, an optional destination and control messages.
  public func sendmsg(
    _ bytes: [UInt8], flags: Int32, to address: SocketAddress?, control: [ControlMessage] = []
  ) -> Result<Int, Errno> {
    var payload = bytes
    var storage = sockaddr_storage()
    let nameLength = address.map { $0.fill(&storage) } ?? 0
    var controlBuffer = [UInt8](repeating: 0, count: control.reduce(0) { $0 + nd_cmsg_space($1.data.count) })
    return payload.withUnsafeMutableBytes { raw in
      controlBuffer.withUnsafeMutableBytes { controlRaw in
        withUnsafeMutablePointer(to: &storage) { name in
          var vector = iovec(iov_base: raw.baseAddress, iov_len: raw.count)
          return withUnsafeMutablePointer(to: &vector) { vectorPointer in
            var message = msghdr()
            message.msg_name = address == nil ? nil : UnsafeMutableRawPointer(name)
            message.msg_namelen = nameLength
            message.msg_iov = vectorPointer
            message.msg_iovlen = 1
            if !control.isEmpty {
              message.msg_control = controlRaw.baseAddress
              message.msg_controllen = controlRaw.count
              ControlMessage.fill(&message, with: control)
            }
            return syscall { Glibc.sendmsg(descriptor, &message, flags) }
          }
        }
      }
    }
  }

  /// sendmmsg(2): all `messages` in one call; returns how many the kernel took.
  public func sendmmsg(_ messages: [[UInt8]], flags: Int32, to address: SocketAddress?) -> Result<Int, Errno> {
    var storage = sockaddr_storage()
    let nameLength = address.map { $0.fill(&storage) } ?? 0
    // Keep every payload alive and pinned for the duration of the call.
    let buffers = messages.map { bytes -> UnsafeMutableRawBufferPointer in
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
      buffer.copyBytes(from: bytes)
      return buffer
    }
    defer { buffers.forEach { $0.deallocate() } }
    var vectors = zip(buffers, messages).map { iovec(iov_base: $0.0.baseAddress, iov_len: $0.1.count) }
    return withUnsafeMutablePointer(to: &storage) { name in
      vectors.withUnsafeMutableBufferPointer { vectorBuffer in
        var headers = (0..<messages.count).map { index -> nd_mmsghdr in
          var header = nd_mmsghdr()
          header.msg_hdr.msg_name = address == nil ? nil : UnsafeMutableRawPointer(name)
          header.msg_hdr.msg_namelen = nameLength
          // Runs only for an index below the vector count: the buffer is not empty.
          header.msg_hdr.msg_iov = vectorBuffer.baseAddress! + index
          header.msg_hdr.msg_iovlen = 1
          return header
        }
        return syscall { Int(nd_sendmmsg(descriptor, &headers, UInt32(headers.count), flags)) }
      }
    }
  }

  // MARK: Receiving

  public func read(size: Int) -> Result<[UInt8], Errno> {
    var buffer = [UInt8](repeating: 0, count: max(size, 1))
    return buffer.withUnsafeMutableBytes { raw in syscall { Glibc.read(descriptor, raw.baseAddress, size) } }
      .map { Array(buffer.prefix($0)) }
  }

  /// recv(2). Returns the call's value (larger than the buffer with MSG_TRUNC) and the bytes read.
  public func recv(size: Int, flags: Int32) -> Result<(returned: Int, bytes: [UInt8]), Errno> {
    var buffer = [UInt8](repeating: 0, count: max(size, 1))
    return buffer.withUnsafeMutableBytes { raw in syscall { Glibc.recv(descriptor, raw.baseAddress, size, flags) } }
      .map { ($0, Array(buffer.prefix(min($0, size)))) }
  }

  public func recvfrom(size: Int, flags: Int32) -> Result<ReceivedMessage, Errno> {
    var buffer = [UInt8](repeating: 0, count: max(size, 1))
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let result = buffer.withUnsafeMutableBytes { raw in
      withUnsafeMutablePointer(to: &storage) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
          syscall { Glibc.recvfrom(descriptor, raw.baseAddress, size, flags, address, &length) }
        }
      }
    }
    return result.map {
      ReceivedMessage(
        returned: $0, bytes: Array(buffer.prefix(min($0, size))),
        from: SocketAddress(storage: storage, length: length), flags: 0)
    }
  }

  /// recvmsg(2) with `controlSize` bytes of room for control messages; decodes
  /// IP_RECVERR's `sock_extended_err` and returns every control message.
  public func recvmsg(size: Int, flags: Int32, controlSize: Int = 512) -> Result<ReceivedMessage, Errno> {
    var buffer = [UInt8](repeating: 0, count: max(size, 1))
    var storage = sockaddr_storage()
    var control = [UInt8](repeating: 0, count: max(controlSize, 1))
    return buffer.withUnsafeMutableBytes { raw in
      control.withUnsafeMutableBytes { controlRaw in
        withUnsafeMutablePointer(to: &storage) { name in
          var vector = iovec(iov_base: raw.baseAddress, iov_len: size)
          return withUnsafeMutablePointer(to: &vector) { vectorPointer in
            var message = msghdr()
            message.msg_name = UnsafeMutableRawPointer(name)
            message.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            message.msg_iov = vectorPointer
            message.msg_iovlen = 1
            message.msg_control = controlSize == 0 ? nil : controlRaw.baseAddress
            message.msg_controllen = controlSize
            return syscall { Glibc.recvmsg(descriptor, &message, flags) }.map { count in
              ReceivedMessage(
                returned: count, bytes: Array(raw.prefix(min(count, size))),
                from: SocketAddress(UnsafeRawPointer(name), length: message.msg_namelen),
                flags: message.msg_flags, extendedError: ExtendedError.first(in: &message),
                control: ControlMessage.all(in: &message))
            }
          }
        }
      }
    }
  }

  /// recvmmsg(2) for up to `count` messages of `size` bytes each, no timeout argument
  /// (recvmmsg(2): it is only checked after a datagram arrives; SO_RCVTIMEO bounds the call).
  public func recvmmsg(count: Int, size: Int, flags: Int32) -> Result<[ReceivedMessage], Errno> {
    let buffers = (0..<count).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 8) }
    let names = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: count)
    names.initialize(repeating: sockaddr_storage(), count: count)
    defer {
      buffers.forEach { $0.deallocate() }
      names.deallocate()
    }
    var vectors = buffers.map { iovec(iov_base: $0.baseAddress, iov_len: size) }
    return vectors.withUnsafeMutableBufferPointer { vectorBuffer in
      var headers = (0..<count).map { index -> nd_mmsghdr in
        var header = nd_mmsghdr()
        header.msg_hdr.msg_name = UnsafeMutableRawPointer(names + index)
        header.msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // Runs only for an index below the vector count: the buffer is not empty.
        header.msg_hdr.msg_iov = vectorBuffer.baseAddress! + index
        header.msg_hdr.msg_iovlen = 1
        return header
      }
      return syscall { nd_recvmmsg(descriptor, &headers, UInt32(count), flags) }.map { received in
        (0..<Int(received)).map { index in
          let length = Int(headers[index].msg_len)
          return ReceivedMessage(
            returned: length, bytes: Array(buffers[index].prefix(min(length, size))),
            from: SocketAddress(UnsafeRawPointer(names + index), length: headers[index].msg_hdr.msg_namelen),
            flags: headers[index].msg_hdr.msg_flags)
        }
      }
    }
  }

  // MARK: Readiness

  /// poll(2) on this socket alone; returns `revents`.
  public func poll(events: Int16, timeoutMilliseconds: Int32) -> Result<Int16, Errno> {
    var entry = pollfd(fd: descriptor, events: events, revents: 0)
    return syscall { Glibc.poll(&entry, 1, timeoutMilliseconds) }.map { _ in entry.revents }
  }
}

/// What one receive call gave.
public struct ReceivedMessage: Sendable, Equatable {
  /// The call's return value (with MSG_TRUNC, the real datagram length).
  public var returned: Int
  public var bytes: [UInt8]
  public var from: SocketAddress?
  /// `msg_flags` (MSG_TRUNC, MSG_ERRQUEUE, ...).
  public var flags: Int32
  /// The decoded IP_RECVERR / IPV6_RECVERR control message, if any.
  public var extendedError: ExtendedError?
  /// Every control message recvmsg returned, as the kernel wrote it.
  public var control: [ControlMessage]

  public init(
    returned: Int, bytes: [UInt8], from: SocketAddress?, flags: Int32, extendedError: ExtendedError? = nil,
    control: [ControlMessage] = []
  ) {
    self.returned = returned
    self.bytes = bytes
    self.from = from
    self.flags = flags
    self.extendedError = extendedError
    self.control = control
  }
}

/// One control message (cmsg(3)): its level, type and data, undecoded.
public struct ControlMessage: Sendable, Equatable {
  public var level: Int32
  public var type: Int32
  public var data: [UInt8]

  public init(level: Int32, type: Int32, data: [UInt8]) {
    self.level = level
    self.type = type
    self.data = data
  }

  /// Every control message in a received `message`, in order.
  static func all(in message: inout msghdr) -> [ControlMessage] {
    var found: [ControlMessage] = []
    var header = nd_cmsg_firsthdr(&message)
    while let current = header {
      let length = Int(current.pointee.cmsg_len) - nd_cmsg_len(0)
      if length >= 0, let data = nd_cmsg_data(current) {
        found.append(
          ControlMessage(
            level: current.pointee.cmsg_level, type: current.pointee.cmsg_type,
            data: Array(UnsafeBufferPointer(start: data, count: length))))
      }
      header = nd_cmsg_nxthdr(&message, current)
    }
    return found
  }

  /// Writes `messages` into `message`'s control buffer, which must hold
  /// CMSG_SPACE of each; sets `msg_controllen` to what they use.
  static func fill(_ message: inout msghdr, with messages: [ControlMessage]) {
    var header = nd_cmsg_firsthdr(&message)
    for entry in messages {
      guard let current = header else { return }
      current.pointee.cmsg_level = entry.level
      current.pointee.cmsg_type = entry.type
      current.pointee.cmsg_len = nd_cmsg_len(entry.data.count)
      if let data = nd_cmsg_data(current) {
        entry.data.withUnsafeBufferPointer { bytes in
          if let base = bytes.baseAddress { data.update(from: base, count: bytes.count) }  // nil: no data to copy
        }
      }
      header = nd_cmsg_nxthdr(&message, current)
    }
  }
}

/// A decoded `struct sock_extended_err` (linux/errqueue.h) with its offender address.
public struct ExtendedError: Sendable, Equatable, Codable {
  public var errno: Errno
  /// SO_EE_ORIGIN_*: 0 none, 1 local, 2 icmp, 3 icmp6.
  public var origin: UInt8
  public var type: UInt8
  public var code: UInt8
  /// `ee_info`: the next-hop MTU of a fragmentation-needed, for example.
  public var info: UInt32
  /// `ee_data`.
  public var data: UInt32
  public var offender: SocketAddress?

  /// SO_EE_ORIGIN_* by number (linux/errqueue.h).
  public static let originNames: [UInt8: String] = [
    0: "none", 1: "local", 2: "icmp", 3: "icmp6", 4: "txstatus", 5: "zerocopy", 6: "txtime",
  ]

  /// The origin's name, or `origin-N` for a number Linux does not define.
  public static func originName(_ origin: UInt8) -> String { originNames[origin] ?? "origin-\(origin)" }

  public var originName: String { Self.originName(origin) }

  /// The first IP_RECVERR / IPV6_RECVERR control message in `message`, if any.
  static func first(in message: inout msghdr) -> ExtendedError? {
    var header = nd_cmsg_firsthdr(&message)
    while let current = header {
      let level = current.pointee.cmsg_level
      let type = current.pointee.cmsg_type
      if (level == IPPROTO_IP && type == IP_RECVERR) || (level == IPPROTO_IPV6 && type == IPV6_RECVERR) {
        // CMSG_DATA is the header's address plus its aligned length: never NULL for a header CMSG_NXTHDR gave.
        let data = UnsafeMutableRawPointer(nd_cmsg_data(current)!)
        let raw = data.assumingMemoryBound(to: sock_extended_err.self)
        let value = data.loadUnaligned(as: sock_extended_err.self)
        let offender = nd_ee_offender(raw).flatMap {
          SocketAddress(UnsafeRawPointer($0), length: socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
        return ExtendedError(
          errno: Errno(rawValue: Int32(value.ee_errno)), origin: value.ee_origin, type: value.ee_type,
          code: value.ee_code, info: value.ee_info, data: value.ee_data, offender: offender)
      }
      header = nd_cmsg_nxthdr(&message, current)
    }
    return nil
  }
}
