import CNetDrillLinux
import Glibc
import NetDrillScenario
import NetDrillSockets

/// Converts option values between the scenario's words and the bytes
/// setsockopt(2)/getsockopt(2) exchange.
enum OptionCodec {
  static func encode(_ value: OptionValue, kind: SocketOptionValueKind) -> [UInt8] {
    switch value {
    case .integer(let number):
      return bytes(of: Int32(clamping: number))
    case .linger(let onoff, let seconds):
      return bytes(of: linger(l_onoff: onoff ? 1 : 0, l_linger: Int32(clamping: seconds)))
    case .text(let text):
      if kind == .ipv4Address {
        var address = in_addr()
        _ = inet_pton(AF_INET, text, &address)
        return bytes(of: address)
      }
      if kind == .interface, text.isEmpty { return [] }
      // SO_BINDTODEVICE and IPV6_MULTICAST_IF take a name; the latter wants an index.
      return Array(text.utf8) + [0]
    case .duration(let duration):
      let nanoseconds = duration.nanoseconds
      return bytes(
        of: timeval(tv_sec: Int(nanoseconds / 1_000_000_000), tv_usec: Int(nanoseconds % 1_000_000_000 / 1000)))
    case .errno(let errno):
      return bytes(of: errno?.rawValue ?? 0)
    }
  }

  static func decode(_ raw: [UInt8], kind: SocketOptionValueKind) -> OptionValue {
    switch kind {
    case .integer, .boolean:
      return .integer(Int(load(Int32.self, from: raw) ?? 0))
    case .errno:
      let value = load(Int32.self, from: raw) ?? 0
      return .errno(value == 0 ? nil : Errno(rawValue: value))
    case .linger:
      let value = load(linger.self, from: raw) ?? linger()
      return .linger(onoff: value.l_onoff != 0, seconds: Int(value.l_linger))
    case .interface:
      return .text(String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self))
    case .ipv4Address:
      guard raw.count >= 4 else { return .text("") }
      return .text(SocketAddress(family: .ipv4, addressBytes: Array(raw.prefix(4)), port: 0).ipText)
    case .duration:
      let value = load(timeval.self, from: raw) ?? timeval()
      return .duration(.seconds(value.tv_sec) + .microseconds(value.tv_usec))
    }
  }

  private static func bytes<T>(of value: T) -> [UInt8] {
    withUnsafeBytes(of: value) { Array($0) }
  }

  private static func load<T>(_ type: T.Type, from raw: [UInt8]) -> T? {
    guard raw.count >= MemoryLayout<T>.size else { return nil }
    return raw.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
  }
}

/// A multicast membership request (ip(7) ip_mreqn, ipv6(7) ipv6_mreq).
struct MembershipRequest {
  let family: SocketAddress.Family
  let group: [UInt8]
  let interfaceAddress: [UInt8]
  let interfaceIndex: Int32

  init?(group: String, interface: String?, family: SocketAddress.Family) {
    guard let groupAddress = SocketAddress(ip: group, port: 0), groupAddress.family == family else { return nil }
    self.family = family
    self.group = groupAddress.addressBytes
    var addressBytes: [UInt8] = [0, 0, 0, 0]
    var index: Int32 = 0
    if let interface {
      if let address = SocketAddress(ip: interface, port: 0), address.family == .ipv4 {
        addressBytes = address.addressBytes
      } else {
        index = Int32(if_nametoindex(interface))
        guard index != 0 else { return nil }
      }
    }
    self.interfaceAddress = addressBytes
    self.interfaceIndex = index
  }

  func apply(to socket: Socket, joining: Bool) -> Result<Void, Errno> {
    switch family {
    case .ipv4:
      var request = ip_mreqn()
      withUnsafeMutableBytes(of: &request.imr_multiaddr) { $0.copyBytes(from: group) }
      withUnsafeMutableBytes(of: &request.imr_address) { $0.copyBytes(from: interfaceAddress) }
      request.imr_ifindex = interfaceIndex
      return socket.setOption(
        level: Int32(IPPROTO_IP), name: joining ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, value: request)
    case .ipv6:
      var request = ipv6_mreq()
      withUnsafeMutableBytes(of: &request.ipv6mr_multiaddr) { $0.copyBytes(from: group) }
      request.ipv6mr_interface = UInt32(interfaceIndex)
      return socket.setOption(
        level: Int32(IPPROTO_IPV6), name: joining ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, value: request)
    }
  }
}
