import Foundation
import NetDrillTrace
import Testing

/// The capture fixtures that `show`, `import`, `run` and `replay` are tested
/// on (``CaptureImportTests/captures()``, ``TraceEngineTests/captureFixtures()``)
/// hold every kind of test data issue 10 names, so "every fixture passes"
/// means every kind passes: a fixture removed or replaced by a narrower one
/// fails here, not silently.
@Suite("Capture fixtures cover the test data replay promises")
struct CaptureFixtureCoverageTests {
  /// What one fixture holds.
  struct Contents {
    var format: TraceFormat?
    var linkTypes: Set<LinkType> = []
    var networks: Set<String> = []
    var transports: Set<String> = []
    /// A UDP answer that came from another port than its request went to, to the request's port (TFTP).
    var answersFromAnotherPort = false
  }

  static func contents(_ path: String) throws -> Contents {
    var contents = Contents()
    var requests: [(source: UInt16, destination: UInt16)] = []
    let reader = try TraceReader(path: path)
    while let record = try reader.next() {
      switch record {
      case .section(let section): contents.format = section.format
      case .interface(let info): contents.linkTypes.insert(info.linkType)
      case .packet(let packet):
        let decoded = PacketDecoder.decode(packet)
        switch decoded.network {
        case .ipv4: contents.networks.insert("IPv4")
        case .ipv6: contents.networks.insert("IPv6")
        default: break
        }
        if let udp = decoded.udp {
          contents.transports.insert("UDP")
          // An answer to an earlier datagram's source port, from a port that datagram was not sent to.
          if requests.contains(where: { $0.source == udp.destinationPort && $0.destination != udp.sourcePort }) {
            contents.answersFromAnotherPort = true
          }
          requests.append((udp.sourcePort, udp.destinationPort))
        }
        if decoded.tcp != nil { contents.transports.insert("TCP") }
        if decoded.icmp?.quoted != nil { contents.transports.insert("ICMP error") }
      default: break
      }
    }
    return contents
  }

  @Test(
    "the replayed fixtures cover pcap and pcapng; Ethernet, SLL, SLL2, raw IP, NULL; IPv4 and IPv6; TFTP-style answers")
  func replayedFixturesCoverTheIssue() throws {
    let paths = CaptureImportTests.captures()
    // show's fixture list is the same files.
    #expect(Set(TraceEngineTests.captureFixtures()) == Set(paths))
    var all = Contents()
    var formats: Set<TraceFormat> = []
    for path in paths {
      let one = try Self.contents(path)
      if let format = one.format { formats.insert(format) }
      all.linkTypes.formUnion(one.linkTypes)
      all.networks.formUnion(one.networks)
      all.transports.formUnion(one.transports)
      all.answersFromAnotherPort = all.answersFromAnotherPort || one.answersFromAnotherPort
    }
    #expect(formats == [.pcap, .pcapng])
    #expect(all.linkTypes.isSuperset(of: [.ethernet, .linuxSLL, .linuxSLL2, .raw, .null]), "\(all.linkTypes)")
    #expect(all.networks == ["IPv4", "IPv6"])
    #expect(all.transports == ["UDP", "TCP", "ICMP error"])
    #expect(all.answersFromAnotherPort, "no fixture has a server answering from another port (TFTP)")
  }

  @Test("the TFTP fixture is seen as answering from another port; a plain request/answer is not")
  func anotherPortDetection() throws {
    let captures = TraceEngineTests.fixtures.appendingPathComponent("captures")
    #expect(try Self.contents(captures.appendingPathComponent("tftp-ipv4-sll2.pcapng").path).answersFromAnotherPort)
    #expect(!(try Self.contents(captures.appendingPathComponent("dns-ipv4-ethernet.pcap").path).answersFromAnotherPort))
  }
}
