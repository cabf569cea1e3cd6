import Glibc

/// A concrete IPv4 or IPv6 address and port, convertible to and from `sockaddr`.
public struct SocketAddress: Hashable, Sendable, Codable, CustomStringConvertible {
  public enum Family: String, Sendable, Codable { case ipv4, ipv6 }

  public var family: Family
  /// The address in network byte order (4 or 16 bytes).
  public var addressBytes: [UInt8]
  public var port: UInt16
  /// IPv6 scope (interface index) for link-local addresses; 0 otherwise.
  public var scopeID: UInt32

  public init(family: Family, addressBytes: [UInt8], port: UInt16, scopeID: UInt32 = 0) {
    self.family = family
    self.addressBytes = addressBytes
    self.port = port
    self.scopeID = scopeID
  }

  /// Parses an IP literal (no brackets) with a port; nil if it is not one.
  public init?(ip: String, port: UInt16) {
    var v4 = in_addr()
    if inet_pton(AF_INET, ip, &v4) == 1 {
      self.init(family: .ipv4, addressBytes: withUnsafeBytes(of: &v4) { Array($0) }, port: port)
      return
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, ip, &v6) == 1 {
      self.init(family: .ipv6, addressBytes: withUnsafeBytes(of: &v6) { Array($0) }, port: port)
      return
    }
    return nil
  }

  public static func loopback(_ family: Family, port: UInt16) -> SocketAddress {
    family == .ipv4
      ? SocketAddress(family: .ipv4, addressBytes: [127, 0, 0, 1], port: port)
      : SocketAddress(family: .ipv6, addressBytes: [UInt8](repeating: 0, count: 15) + [1], port: port)
  }

  public static func wildcard(_ family: Family, port: UInt16 = 0) -> SocketAddress {
    SocketAddress(family: family, addressBytes: [UInt8](repeating: 0, count: family == .ipv4 ? 4 : 16), port: port)
  }

  public var isWildcard: Bool { addressBytes.allSatisfy { $0 == 0 } }

  /// The address without the port, in standard text form (`127.0.0.1`, `::1`).
  public var ipText: String {
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
    let ok = addressBytes.withUnsafeBytes { raw in
      inet_ntop(family == .ipv4 ? AF_INET : AF_INET6, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
    }
    guard ok else { return "?" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// `127.0.0.1:9` or `[::1]:9`.
  public var description: String { family == .ipv4 ? "\(ipText):\(port)" : "[\(ipText)]:\(port)" }

  /// Calls `body` with this address as a `sockaddr` of the right length.
  public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    var storage = sockaddr_storage()
    let length = fill(&storage)
    return withUnsafePointer(to: &storage) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
    }
  }

  /// Writes this address into `storage`; returns the length of the sockaddr used.
  public func fill(_ storage: inout sockaddr_storage) -> socklen_t {
    storage = sockaddr_storage()
    return withUnsafeMutableBytes(of: &storage) { raw -> socklen_t in
      switch family {
      case .ipv4:
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: addressBytes.prefix(4)) }
        raw.storeBytes(of: address, as: sockaddr_in.self)
        return socklen_t(MemoryLayout<sockaddr_in>.size)
      case .ipv6:
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        address.sin6_scope_id = scopeID
        withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: addressBytes.prefix(16)) }
        raw.storeBytes(of: address, as: sockaddr_in6.self)
        return socklen_t(MemoryLayout<sockaddr_in6>.size)
      }
    }
  }

  /// Reads an AF_INET/AF_INET6 `sockaddr`; nil for other families (or AF_UNSPEC).
  public init?(_ pointer: UnsafeRawPointer, length: socklen_t) {
    guard length >= socklen_t(MemoryLayout<sa_family_t>.size) else { return nil }
    let family = Int32(pointer.loadUnaligned(as: sa_family_t.self))
    if family == AF_INET, length >= socklen_t(MemoryLayout<sockaddr_in>.size) {
      let address = pointer.loadUnaligned(as: sockaddr_in.self)
      self.init(
        family: .ipv4, addressBytes: withUnsafeBytes(of: address.sin_addr) { Array($0) },
        port: UInt16(bigEndian: address.sin_port))
    } else if family == AF_INET6, length >= socklen_t(MemoryLayout<sockaddr_in6>.size) {
      let address = pointer.loadUnaligned(as: sockaddr_in6.self)
      self.init(
        family: .ipv6, addressBytes: withUnsafeBytes(of: address.sin6_addr) { Array($0) },
        port: UInt16(bigEndian: address.sin6_port), scopeID: address.sin6_scope_id)
    } else {
      return nil
    }
  }

  init?(storage: sockaddr_storage, length: socklen_t) {
    var copy = storage
    // The bytes of a sockaddr_storage (128 bytes) always have a base address.
    guard let parsed = withUnsafeBytes(of: &copy, { SocketAddress($0.baseAddress!, length: length) }) else {
      return nil
    }
    self = parsed
  }
}
