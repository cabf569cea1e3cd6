import CNetDrillLinux
import Glibc
import NetDrillSystem

/// One send or receive syscall with its arguments laid out once — payload
/// buffers, iovecs, msghdrs, the destination — so it can be made millions of
/// times without allocating: what a `repeat` of one call runs in its loop.
///
/// A class so the buffers are freed exactly once; not Sendable: one thread
/// makes the calls.
public final class PreparedCall {
  public enum Kind: Sendable, Equatable {
    case write, send, sendto, sendmsg, sendmmsg, read, recv, recvfrom, recvmsg, recvmmsg

    /// A switch, not an array literal's `contains`: it is asked in loops.
    public var isSend: Bool {
      switch self {
      case .write, .send, .sendto, .sendmsg, .sendmmsg: return true
      case .read, .recv, .recvfrom, .recvmsg, .recvmmsg: return false
      }
    }
  }

  public let kind: Kind
  public let descriptor: Int32
  public let flags: Int32
  /// Messages per call (sendmmsg/recvmmsg); 1 otherwise.
  public let batch: Int
  /// Bytes of each message's buffer: the payload for a send, the room for a receive.
  public let messageSize: Int
  private let buffers: UnsafeMutableRawBufferPointer
  private let destination: UnsafeMutablePointer<sockaddr_storage>
  private let destinationLength: socklen_t
  private let vectors: UnsafeMutablePointer<iovec>
  private let headers: UnsafeMutablePointer<nd_mmsghdr>
  private let message: UnsafeMutablePointer<msghdr>

  /// A send of `payloads` (one per message; sendmmsg sends them all), or a
  /// receive of `batch` messages of up to `size` bytes.
  public init(
    kind: Kind, descriptor: Int32, flags: Int32, destination address: SocketAddress?, payloads: [[UInt8]] = [],
    size: Int = 0, batch: Int = 1
  ) {
    self.kind = kind
    self.descriptor = descriptor
    self.flags = flags
    self.batch = kind.isSend ? max(payloads.count, 1) : max(batch, 1)
    messageSize = kind.isSend ? payloads.map(\.count).max() ?? 0 : max(size, 1)
    let stride = max(messageSize, 1)
    buffers = .allocate(byteCount: stride * self.batch, alignment: 16)
    buffers.initializeMemory(as: UInt8.self, repeating: 0)
    let name = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: 1)
    name.initialize(to: sockaddr_storage())
    destination = name
    destinationLength = address.map { $0.fill(&name.pointee) } ?? 0
    vectors = .allocate(capacity: self.batch)
    headers = .allocate(capacity: self.batch)
    message = .allocate(capacity: 1)
    for index in 0..<self.batch {
      let base = buffers.baseAddress! + index * stride
      let length = kind.isSend ? (index < payloads.count ? payloads[index].count : 0) : messageSize
      if kind.isSend, index < payloads.count {
        payloads[index].withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
      }
      (vectors + index).initialize(to: iovec(iov_base: base, iov_len: length))
      var header = nd_mmsghdr()
      header.msg_hdr.msg_name = address == nil ? nil : UnsafeMutableRawPointer(destination)
      header.msg_hdr.msg_namelen = destinationLength
      header.msg_hdr.msg_iov = vectors + index
      header.msg_hdr.msg_iovlen = 1
      (headers + index).initialize(to: header)
    }
    var single = msghdr()
    single.msg_name = address == nil ? nil : UnsafeMutableRawPointer(destination)
    single.msg_namelen = destinationLength
    single.msg_iov = vectors
    single.msg_iovlen = 1
    message.initialize(to: single)
  }

  deinit {
    buffers.deallocate()
    destination.deallocate()
    vectors.deallocate()
    headers.deallocate()
    message.deallocate()
  }

  /// Message `index`'s buffer, to patch a sequence number in before a send
  /// or to read a received datagram after a receive.
  @inline(__always)
  public func buffer(_ index: Int) -> UnsafeMutableRawPointer {
    buffers.baseAddress! + index * max(messageSize, 1)
  }

  /// The length of message `index` after a sendmmsg/recvmmsg (`msg_len`).
  @inline(__always)
  public func messageLength(_ index: Int) -> Int { Int(headers[index].msg_len) }

  /// Makes the call once with `count` messages (≤ `batch`; 1 for the
  /// single-message calls). Returns what the syscall returned: bytes, or the
  /// message count for sendmmsg/recvmmsg.
  @inline(__always)
  public func call(count: Int = 1) -> Result<Int, Errno> {
    let fd = descriptor
    let base = vectors.pointee.iov_base
    let length = vectors.pointee.iov_len
    switch kind {
    case .write: return syscall { Glibc.write(fd, base, length) }
    case .send: return syscall { Glibc.send(fd, base, length, flags) }
    case .sendto:
      return destination.withMemoryRebound(to: sockaddr.self, capacity: 1) { name in
        syscall { Glibc.sendto(fd, base, length, flags, name, destinationLength) }
      }
    case .sendmsg: return syscall { Glibc.sendmsg(fd, message, flags) }
    case .sendmmsg: return syscall { Int(nd_sendmmsg(fd, headers, UInt32(count), flags)) }
    case .read: return syscall { Glibc.read(fd, base, length) }
    case .recv: return syscall { Glibc.recv(fd, base, length, flags) }
    case .recvfrom: return syscall { Glibc.recvfrom(fd, base, length, flags, nil, nil) }
    case .recvmsg:
      message.pointee.msg_name = nil
      message.pointee.msg_namelen = 0
      return syscall { Glibc.recvmsg(fd, message, flags) }
    case .recvmmsg:
      for index in 0..<count {
        headers[index].msg_hdr.msg_name = nil
        headers[index].msg_hdr.msg_namelen = 0
      }
      return syscall { Int(nd_recvmmsg(fd, headers, UInt32(count), flags)) }
    }
  }
}
