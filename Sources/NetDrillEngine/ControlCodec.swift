import CNetDrillLinux
import Glibc
import NetDrillScenario
import NetDrillSockets

/// A received control message, decoded by the name the kernel gives it.
public struct ControlOutcome: Sendable, Codable, Equatable, CustomStringConvertible {
  /// `IP_PKTINFO`, `SO_RXQ_OVFL`...; `cmsg level L type T` for one netdrill does not decode.
  public var name: String
  /// The number it carries (SO_RXQ_OVFL's drop count, IP_TTL, IP_TOS...).
  public var value: Int?
  /// IP_PKTINFO / IPV6_PKTINFO: the datagram's destination, the local address
  /// a reply would come from (IPv4), the interface it arrived on.
  public var address: String?
  public var specificDestination: String?
  public var interfaceIndex: Int?
  public var interface: String?

  public var description: String {
    var text = name
    if let value { text += " \(value)" }
    if let address { text += " addr \(address)" }
    if let specificDestination { text += " spec_dst \(specificDestination)" }
    if let interfaceIndex { text += " ifindex \(interfaceIndex)" }
    if let interface { text += " (\(interface))" }
    if value == nil, address == nil, interfaceIndex == nil { text += " present" }
    return text
  }
}

/// Converts control messages between the scenario's names and the bytes of
/// cmsg(3) (ip(7), ipv6(7), socket(7) give each layout).
enum ControlCodec {
  private static let ip = Int32(IPPROTO_IP)
  private static let ipv6 = Int32(IPPROTO_IPV6)

  /// The kernel's level and type for a name.
  static func levelAndType(_ name: ControlMessageName) -> (Int32, Int32) {
    switch name {
    case .SO_RXQ_OVFL: return (SOL_SOCKET, SO_RXQ_OVFL)
    case .SO_TIMESTAMPNS: return (SOL_SOCKET, SO_TIMESTAMPNS)  // SCM_TIMESTAMPNS is the same number
    case .IP_PKTINFO: return (ip, IP_PKTINFO)
    case .IP_TTL: return (ip, IP_TTL)
    case .IP_TOS: return (ip, IP_TOS)
    case .IPV6_PKTINFO: return (ipv6, IPV6_PKTINFO)
    case .IPV6_HOPLIMIT: return (ipv6, IPV6_HOPLIMIT)
    case .IPV6_TCLASS: return (ipv6, IPV6_TCLASS)
    }
  }

  /// A control message to send. `interfaceIndex` resolves an interface name
  /// in the sending socket's namespace (nil when there is no such interface).
  static func encode(_ entry: ControlEntry, interfaceIndex: (String) -> Int32?) -> ControlMessage? {
    let (level, type) = levelAndType(entry.name)
    switch entry.value {
    case .integer(let number):
      return ControlMessage(level: level, type: type, data: bytes(of: Int32(clamping: number)))
    case .packetInfo(let info):
      var index = Int32(clamping: info.interfaceIndex ?? 0)
      if let name = info.interface {
        guard let found = interfaceIndex(name) else { return nil }
        index = found
      }
      if entry.name == .IP_PKTINFO {
        // struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst; struct in_addr ipi_addr; }
        let source = info.specificDestination.flatMap { SocketAddress(ip: $0, port: 0)?.addressBytes } ?? [0, 0, 0, 0]
        return ControlMessage(level: level, type: type, data: bytes(of: index) + source + [0, 0, 0, 0])
      }
      // struct in6_pktinfo { struct in6_addr ipi6_addr; unsigned int ipi6_ifindex; }
      let source =
        info.address.flatMap { SocketAddress(ip: $0, port: 0)?.addressBytes } ?? [UInt8](repeating: 0, count: 16)
      return ControlMessage(level: level, type: type, data: source + bytes(of: index))
    case .present, .absent:
      return nil
    }
  }

  /// Received control messages by name; IP_RECVERR's is left to `extended_error`.
  static func decode(_ messages: [ControlMessage]) -> [ControlOutcome] {
    messages.compactMap { message in
      if (message.level == ip && message.type == IP_RECVERR) || (message.level == ipv6 && message.type == IPV6_RECVERR)
      {
        return nil
      }
      guard let name = ControlMessageName.allCases.first(where: { levelAndType($0) == (message.level, message.type) })
      else {
        return ControlOutcome(name: "cmsg level \(message.level) type \(message.type)")
      }
      var outcome = ControlOutcome(name: name.rawValue)
      let data = message.data
      switch name {
      case .SO_TIMESTAMPNS:
        break  // a time: present, its value differs in every run
      case .SO_RXQ_OVFL:
        outcome.value = load(UInt32.self, data).map(Int.init)
      case .IP_TOS:
        // The kernel writes IP_TOS as one byte (ip_cmsg_recv_tos), the others as an int.
        outcome.value = data.first.map(Int.init)
      case .IP_TTL, .IPV6_HOPLIMIT, .IPV6_TCLASS:
        outcome.value = load(Int32.self, data).map(Int.init)
      case .IP_PKTINFO:
        guard data.count >= 12 else { break }
        let index = load(Int32.self, data) ?? 0
        outcome.interfaceIndex = Int(index)
        outcome.interface = interfaceName(index)
        outcome.specificDestination = ipText(Array(data[4..<8]))
        outcome.address = ipText(Array(data[8..<12]))
      case .IPV6_PKTINFO:
        guard data.count >= 20 else { break }
        let index = load(Int32.self, Array(data[16..<20])) ?? 0
        outcome.address = ipText(Array(data[0..<16]))
        outcome.interfaceIndex = Int(index)
        outcome.interface = interfaceName(index)
      }
      return outcome
    }
  }

  /// The interface's name in the calling thread's namespace (the socket's).
  private static func interfaceName(_ index: Int32) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
    guard index > 0, if_indextoname(UInt32(index), &buffer) != nil else { return nil }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  private static func ipText(_ bytes: [UInt8]) -> String {
    SocketAddress(family: bytes.count == 4 ? .ipv4 : .ipv6, addressBytes: bytes, port: 0).ipText
  }

  private static func bytes<T>(of value: T) -> [UInt8] {
    withUnsafeBytes(of: value) { Array($0) }
  }

  private static func load<T>(_ type: T.Type, _ raw: [UInt8]) -> T? {
    guard raw.count >= MemoryLayout<T>.size else { return nil }
    return raw.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
  }
}
