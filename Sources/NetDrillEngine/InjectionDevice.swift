import CNetDrillLinux
import Glibc
import NetDrillSystem

/// Delivers crafted IP packets to the host whose network namespace the
/// calling thread is in, as if they had arrived from the wire.
///
/// A packet socket (AF_PACKET, SOCK_DGRAM) transmits each packet on the
/// host's loopback interface; loopback's transmit hands every frame straight
/// to the receive path (loopback_xmit → netif_rx), so the kernel receives it
/// on `lo` like any packet from a peer: IP checks, routing, socket lookup,
/// ICMP error handling. Loopback exists in every namespace, reaches the
/// addresses the one-host scenario uses (127.0.0.1 and ::1 — a TUN device
/// could not deliver to ::1, which IPv6 accepts on loopback only), needs no
/// new interface (so captures of other scenarios do not change), and the
/// capture already records what arrives there.
///
/// An injected packet has no route cached from its sending side (real
/// loopback traffic does), so IPv4's input checks apply to it. Three
/// per-namespace sysctls let it through, written when the device is opened:
/// `lo.route_localnet` (a 127.0.0.0/8 destination or source arriving without
/// a route is a martian otherwise), `lo.accept_local` (a source that is one
/// of the host's own addresses, e.g. an ICMP error "from" 127.0.0.1), and
/// `rp_filter` 0 on `lo` and `all` (the kernel uses the larger of the two; a
/// pretend peer such as 192.0.2.7 has no route back through `lo`).
final class InjectionDevice {
  private let descriptor: Int32
  private let loopbackIndex: Int32

  /// Opens the device in the calling thread's network namespace.
  init() throws(RunError) {
    for (path, value) in Self.sysctls {
      do {
        let file = try FileDescriptor.open(path, .writeExisting)
        defer { file.close() }
        try file.writeAll(Array(value.utf8))
      } catch {
        throw .environment("inject: cannot write \(value) to \(path): \(error)")
      }
    }
    let index = nd_interface_index("lo")
    guard index != 0 else { throw .environment("inject: this host has no loopback interface") }
    loopbackIndex = Int32(index)
    // Protocol 0: the socket only transmits, it never receives a copy of anything.
    switch syscall({ Glibc.socket(AF_PACKET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }) {
    case .success(let fd): descriptor = fd
    case .failure(let errno): throw .environment("inject: socket(AF_PACKET) failed: \(errno.name) (needs CAP_NET_RAW)")
    }
  }

  deinit { closeDescriptor(descriptor) }

  static let sysctls = [
    ("/proc/sys/net/ipv4/conf/lo/route_localnet", "1"),
    ("/proc/sys/net/ipv4/conf/lo/accept_local", "1"),
    ("/proc/sys/net/ipv4/conf/lo/rp_filter", "0"),
    ("/proc/sys/net/ipv4/conf/all/rp_filter", "0"),
  ]

  /// Hands one IPv4 or IPv6 packet to the receive path of `lo`; the kernel
  /// adds the (all-zero) Ethernet header loopback frames carry.
  func deliver(_ packet: [UInt8]) -> Result<Int, Errno> {
    let etherType: UInt16 = packet.first.map { $0 >> 4 == 6 } == true ? 0x86DD : 0x0800
    let address = Self.linkLayerAddress(interface: loopbackIndex, etherType: etherType)
    return packet.withUnsafeBytes { bytes in
      address.withUnsafeBytes { raw in
        syscall {
          Glibc.sendto(
            descriptor, bytes.baseAddress, bytes.count, 0, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self),
            socklen_t(raw.count))
        }.map { Int($0) }
      }
    }
  }

  /// A `struct sockaddr_ll` (packet(7)), laid out by hand because Glibc's
  /// module does not export <netpacket/packet.h>: family, protocol (network
  /// order), ifindex, hatype, pkttype, halen 6, an all-zero hardware address.
  static func linkLayerAddress(interface: Int32, etherType: UInt16) -> [UInt8] {
    var bytes = withUnsafeBytes(of: UInt16(AF_PACKET)) { Array($0) }
    bytes += [UInt8(etherType >> 8), UInt8(etherType & 0xFF)]
    bytes += withUnsafeBytes(of: interface) { Array($0) }
    bytes += [0, 0, 0, 6] + [UInt8](repeating: 0, count: 8)
    return bytes
  }
}
