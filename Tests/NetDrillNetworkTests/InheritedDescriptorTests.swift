import Foundation
import NetDrillNetwork
import NetDrillSockets
import NetDrillTestSupport
import Testing

extension PrivateNetworkTests {
  /// A scenario's sockets are made without SOCK_CLOEXEC unless it asks for it
  /// (the flag is part of the behaviour under test), and so are libpcap's
  /// packet socket and eventfd. A helper program that inherited one would keep
  /// it open: a socket closed by a scenario would stay bound while `ip` or
  /// `nft` runs for another scenario of `check --jobs`, and a datagram sent to
  /// its port would get no ICMP port unreachable.
  @Test("a helper program (ip, nft, tc) gets only stdin, stdout and stderr, not a socket without SOCK_CLOEXEC")
  func helperProgramsInheritNoDescriptors() throws {
    let network = try TopologyTest.build(Self.pair)
    let held = try Socket.open(family: .ipv4, stream: false, closeOnExec: false).get()
    defer { held.close() }
    let listing = try network.run(["ls", "-l", "/proc/self/fd"], in: "a")
    #expect(Self.inheritedDescriptors(listing) == [], "\(listing)")
    #expect(!Self.inheritedDescriptors(listing).contains(held.descriptor))
  }

  /// The descriptors in an `ls -l /proc/self/fd` listing other than 0, 1, 2
  /// and the one `ls` opened on that directory itself.
  static func inheritedDescriptors(_ listing: String) -> [Int32] {
    listing.split(separator: "\n").compactMap { line -> Int32? in
      let parts = line.components(separatedBy: " -> ")
      guard parts.count == 2, let number = parts[0].split(separator: " ").last.flatMap({ Int32($0) }) else {
        return nil
      }
      let target = parts[1]
      let ownDirectory = target.hasPrefix("/proc/") && target.hasSuffix("/fd")
      return number > 2 && !ownDirectory ? number : nil
    }
  }
}
