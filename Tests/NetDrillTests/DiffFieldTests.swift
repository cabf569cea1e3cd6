import Foundation
import NetDrillEngine
import NetDrillReplay
import NetDrillTestSupport
import NetDrillTrace
import Testing

/// One change to a golden trace and what `diff` must make of it.
struct FieldMutation {
  var what: String
  /// Under traces/, without the extension.
  var golden: String
  /// Applied to both sides first, when the field needs something the golden lacks (options, a fragment header…).
  var base: TraceEdit?
  var edit: TraceEdit
  var differs: Bool
  /// Text a difference must show (the field's `name=value`), so the right field is proven.
  var shows: String? = nil
  /// Whether `--ignore FIELD` (for a compared field) or `--compare FIELD` (for an ignored one) reverses the verdict:
  /// true when the change touches this field only.
  var flips: Bool = true
}

/// A rewrite of a trace: its packets, manifest, interfaces and timestamps.
struct TraceEdit {
  var packet: (Int, [UInt8]) -> [UInt8]? = { $1 }
  var manifest: (inout TraceManifest) -> Void = { _ in }
  var interface: (inout TraceInterfaceInfo) -> Void = { _ in }
  var timestampShift: UInt64 = 0

  /// Changes the first frame that matches, nothing else.
  static func first(_ matches: @escaping ([UInt8]) -> Bool, _ change: @escaping (inout [UInt8]) -> Void) -> TraceEdit {
    let done = Flag()
    return TraceEdit(packet: { _, bytes in
      guard !done.value, matches(bytes) else { return bytes }
      done.value = true
      var frame = bytes
      change(&frame)
      return frame
    })
  }

  /// Changes every frame that matches.
  static func every(_ matches: @escaping ([UInt8]) -> Bool, _ change: @escaping (inout [UInt8]) -> Void) -> TraceEdit {
    TraceEdit(packet: { _, bytes in
      guard matches(bytes) else { return bytes }
      var frame = bytes
      change(&frame)
      return frame
    })
  }

  func apply(_ input: String, to output: String) throws {
    try TraceMutation.rewrite(
      input, to: output, packet: packet, manifest: manifest, interface: interface, timestampShift: timestampShift)
  }
}

final class Flag {
  var value = false
}

/// The mutations that prove each row of ``DiffField/table``.
enum FieldMutations {
  static let udp = "udp/connected-closed-port"
  static let ipv6 = "ipv6/connected-closed-port"
  static let tcp = "tcp/linger-zero-reset"
  static let network = "network/program-under-test-echo"

  static func path(_ golden: String) -> String {
    TestPaths.packageRoot.appendingPathComponent("traces/\(golden).pcapng").path
  }

  static func frames(_ golden: String) throws -> [[UInt8]] {
    let reader = try TraceReader(path: path(golden))
    var frames: [[UInt8]] = []
    while let record = try reader.next() {
      if case .packet(let packet) = record { frames.append(packet.data) }
    }
    return frames
  }

  static func isUDP(_ frame: [UInt8]) -> Bool { TraceMutation.isUDP(frame) }
  static func isICMP(_ frame: [UInt8]) -> Bool { TraceMutation.isICMP(frame) }
  static func isTCP(_ frame: [UInt8]) -> Bool { FrameEdit.isTCP(frame) }
  static func isV6UDP(_ frame: [UInt8]) -> Bool { FrameEdit.isIPv6UDP(frame) }
  static func isSLL2IPv4(_ frame: [UInt8]) -> Bool { frame.count > 20 && frame[0] == 0x08 && frame[1] == 0x00 }
  static let ip = FrameEdit.ip
  static func transport(_ frame: [UInt8]) -> Int { TraceMutation.transportOffset(frame) }
  static func tcpFlags(_ flags: UInt8) -> ([UInt8]) -> Bool { { isTCP($0) && $0[transport($0) + 13] == flags } }

  /// Edits the first UDP/IPv4 frame and fixes the IPv4 header checksum.
  static func firstUDP(_ change: @escaping (inout [UInt8]) -> Void) -> TraceEdit {
    .first(isUDP) { frame in
      change(&frame)
      TraceMutation.fixIPv4Checksum(&frame)
    }
  }

  static var toSLL2: TraceEdit {
    TraceEdit(
      packet: { _, bytes in FrameEdit.sll2(bytes) }, interface: { $0.linkType = .linuxSLL2 })
  }

  static func cases(_ field: String) throws -> [FieldMutation] {
    switch field {
    // The trace
    case "scenario":
      return [
        .init(
          what: "the embedded scenario changed", golden: udp,
          edit: TraceEdit(manifest: {
            $0.scenarioSource = $0.scenarioSource.replacingOccurrences(
              of: "\"connected-udp-closed-port\"", with: "\"connected-udp-closed-port-2\"")
          }), differs: true, shows: "scenario source")
      ]
    case "interface":
      return [
        .init(
          what: "packets on another interface", golden: udp, edit: TraceEdit(interface: { $0.name = "local/lo2" }),
          differs: true, flips: false)
      ]
    case "timestamp":
      return [
        .init(
          what: "every packet an hour later", golden: udp, edit: TraceEdit(timestampShift: 3_600_000_000_000),
          differs: false, flips: false)
      ]
    case "housekeeping":
      return [
        .init(
          what: "an ARP packet fewer", golden: network,
          edit: TraceEdit(packet: { index, bytes in bytes[12] == 0x08 && bytes[13] == 0x06 && index < 8 ? nil : bytes }
          ),
          differs: false)
      ]
    // Link layer
    case "eth-dst":
      return [
        .init(
          what: "a named host's destination MAC", golden: network, edit: .first(isUDP) { $0[5] ^= 0x01 }, differs: true,
          shows: "eth-dst=02:00:00:00:02:01")
      ]
    case "eth-src":
      return [
        .init(
          what: "a named host's source MAC", golden: network, edit: .first(isUDP) { $0[11] ^= 0x01 }, differs: true,
          shows: "eth-src=02:00:00:00:01:01")
      ]
    case "eth-type":
      return [
        .init(
          what: "an 802.1Q tag", golden: udp,
          edit: .first(isUDP) { $0.insert(contentsOf: [0x81, 0x00, 0x00, 0x05], at: 12) },
          differs: true, shows: "eth-type=0x0800 vlan 5")
      ]
    case "sll-address":
      return [
        .init(
          what: "the cooked link-layer address", golden: udp, base: toSLL2, edit: .first(isSLL2IPv4) { $0[17] = 0x42 },
          differs: true, shows: "sll-address=00:00:00:00:00:42")
      ]
    case "sll-packet-type":
      return [
        .init(
          what: "host → outgoing", golden: udp, base: toSLL2, edit: .first(isSLL2IPv4) { $0[10] = 4 }, differs: true,
          shows: "sll-packet-type=outgoing/1")
      ]
    case "sll-ifindex":
      return [
        .init(
          what: "another interface index", golden: udp, base: toSLL2, edit: .first(isSLL2IPv4) { $0[7] = 9 },
          differs: false)
      ]
    // IPv4
    case "ip-version":
      return [
        .init(
          what: "version 6 in an IPv4 frame", golden: udp, edit: firstUDP { $0[ip] = 0x65 }, differs: true, flips: false
        )
      ]
    case "ip-header-length":
      return [
        .init(
          what: "IHL 5 → 6 (four bytes of options)", golden: udp,
          edit: .first(isUDP) { FrameEdit.insertIPv4Options(&$0, [1, 1, 1, 0]) }, differs: true,
          shows: "ip-header-length=24",
          flips: false)
      ]
    case "ip-tos":
      return [
        .init(
          what: "TOS 0 → 0x10", golden: udp, edit: firstUDP { $0[ip + 1] = 0x10 }, differs: true, shows: "ip-tos=0x10")
      ]
    case "ip-length":
      return [
        .init(
          what: "total length 2 more (trailing bytes)", golden: udp,
          edit: .first(isUDP) { FrameEdit.growIPv4(&$0, by: 2) },
          differs: true, shows: "ip-length=33")
      ]
    case "ip-id":
      return [.init(what: "another IP ID", golden: udp, edit: firstUDP { $0[ip + 4] ^= 0x5a }, differs: false)]
    case "ip-flags":
      return [
        .init(
          what: "DF cleared", golden: udp, edit: firstUDP { $0[ip + 6] &= ~0x40 }, differs: true, shows: "ip-flags=none"
        )
      ]
    case "ip-fragment-offset":
      return [
        .init(what: "fragment offset 8", golden: udp, edit: firstUDP { $0[ip + 7] = 1 }, differs: true, flips: false)
      ]
    case "ip-ttl":
      return [.init(what: "TTL 64 → 1", golden: udp, edit: firstUDP { $0[ip + 8] = 1 }, differs: false)]
    case "ip-protocol":
      return [
        .init(what: "protocol 17 → 136", golden: udp, edit: firstUDP { $0[ip + 9] = 136 }, differs: true, flips: false)
      ]
    case "ip-checksum":
      return [
        .init(what: "a wrong header checksum", golden: udp, edit: .first(isUDP) { $0[ip + 10] ^= 0xff }, differs: false)
      ]
    case "ip-addresses":
      return [
        .init(
          what: "destination 127.0.0.2", golden: udp, edit: firstUDP { $0[ip + 19] = 2 }, differs: true, flips: false)
      ]
    case "ip-options":
      return [
        .init(
          what: "another option byte", golden: udp,
          base: .first(isUDP) { FrameEdit.insertIPv4Options(&$0, [1, 1, 1, 0]) },
          edit: firstUDP { $0[ip + 23] = 1 }, differs: true, shows: "ip-options=01010101")
      ]
    // IPv6
    case "ipv6-traffic-class":
      return [
        .init(
          what: "traffic class 0 → 0x10", golden: ipv6,
          edit: .first(isV6UDP) {
            $0[ip] = 0x61
            $0[ip + 1] &= 0x0f
          }, differs: true, shows: "ipv6-traffic-class=0x10")
      ]
    case "ipv6-flow-label":
      return [
        .init(what: "another flow label", golden: ipv6, edit: .first(isV6UDP) { $0[ip + 3] ^= 0x01 }, differs: false)
      ]
    case "ipv6-payload-length":
      return [
        .init(
          what: "payload length 2 more (trailing bytes)", golden: ipv6,
          edit: .first(isV6UDP) { frame in
            frame += [0, 0]
            FrameEdit.put16(&frame, ip + 4, FrameEdit.u16(frame, ip + 4) + 2)
          }, differs: true, shows: "ipv6-payload-length=16")
      ]
    case "ipv6-next-header":
      return [
        .init(
          what: "a destination options header", golden: ipv6,
          edit: .first(isV6UDP) { FrameEdit.insertIPv6Extension(&$0, type: 60, [0, 0, 1, 4, 0, 0, 0, 0]) },
          differs: true, shows: "ipv6-next-header=60,17", flips: false)
      ]
    case "ipv6-hop-limit":
      return [.init(what: "hop limit 64 → 1", golden: ipv6, edit: .first(isV6UDP) { $0[ip + 7] = 1 }, differs: false)]
    case "ipv6-addresses":
      return [
        .init(
          what: "destination ::2", golden: ipv6, edit: .first(isV6UDP) { $0[ip + 39] = 2 }, differs: true, flips: false)
      ]
    case "ipv6-fragment":
      return [
        .init(
          what: "M flag set", golden: ipv6,
          base: .first(isV6UDP) { FrameEdit.insertIPv6Extension(&$0, type: 44, [0, 0, 0, 0, 0, 0, 0, 1]) },
          edit: .first({ FrameEdit.isIPv6($0) && $0[ip + 6] == 44 }) { $0[ip + 43] |= 1 }, differs: true,
          shows: "ipv6-fragment=0,M")
      ]
    case "ipv6-fragment-id":
      return [
        .init(
          what: "another fragment identification", golden: ipv6,
          base: .first(isV6UDP) { FrameEdit.insertIPv6Extension(&$0, type: 44, [0, 0, 0, 0, 0, 0, 0, 1]) },
          edit: .first({ FrameEdit.isIPv6($0) && $0[ip + 6] == 44 }) { $0[ip + 47] = 2 }, differs: false)
      ]
    // UDP and TCP
    case "ports":
      return [
        .init(
          what: "the ephemeral port renumbered throughout", golden: udp, edit: try ephemeralPortRenumbered(),
          differs: false, flips: false),
        .init(
          what: "a datagram to port 10 instead of $closed", golden: udp,
          edit: .first(isUDP) { FrameEdit.put16(&$0, transport($0) + 2, 10) }, differs: true, flips: false),
      ]
    case "payload-length":
      return [
        .init(
          what: "a datagram one byte longer", golden: udp,
          edit: .first(isUDP) { frame in
            FrameEdit.growIPv4(&frame, by: 1)
            FrameEdit.put16(&frame, transport(frame) + 4, FrameEdit.u16(frame, transport(frame) + 4) + 1)
          }, differs: true, shows: "len=4", flips: false)
      ]
    case "payload":
      return [
        .init(
          what: "a payload byte", golden: udp, edit: .first(isUDP) { $0[transport($0) + 8] ^= 0x20 }, differs: true,
          shows: "payload=4f6e65")
      ]
    case "udp-length":
      return [
        .init(
          what: "UDP length 11 → 10", golden: udp, edit: .first(isUDP) { FrameEdit.put16(&$0, transport($0) + 4, 10) },
          differs: true, shows: "udp-length=10", flips: false)
      ]
    case "udp-checksum":
      return [
        .init(
          what: "a wrong UDP checksum", golden: udp, edit: .first(isUDP) { $0[transport($0) + 6] ^= 0xff },
          differs: false)
      ]
    // TCP
    case "tcp-seq":
      return [
        .init(
          what: "another initial sequence number", golden: tcp, edit: try clientISNShifted(), differs: false,
          flips: false),
        .init(
          what: "data one byte further on", golden: tcp,
          edit: .first(tcpFlags(0x18)) {
            FrameEdit.put32(&$0, transport($0) + 4, FrameEdit.u32($0, transport($0) + 4) &+ 1)
          },
          differs: true, shows: "seq=2"),
      ]
    case "tcp-isn":
      return [.init(what: "another initial sequence number", golden: tcp, edit: try clientISNShifted(), differs: false)]
    case "tcp-data-offset":
      return [
        .init(
          what: "data offset 32 → 28", golden: tcp, edit: .first(tcpFlags(0x10)) { $0[transport($0) + 12] = 0x70 },
          differs: true, shows: "tcp-data-offset=28", flips: false)
      ]
    case "tcp-flags":
      return [
        .init(
          what: "the AE bit set", golden: tcp, edit: .first(tcpFlags(0x18)) { $0[transport($0) + 12] |= 0x01 },
          differs: true, shows: "[PSH,ACK,AE]")
      ]
    case "tcp-window":
      return [
        .init(
          what: "another window", golden: tcp, edit: .first(tcpFlags(0x18)) { $0[transport($0) + 14] ^= 0x01 },
          differs: false)
      ]
    case "tcp-checksum":
      return [
        .init(
          what: "a wrong TCP checksum", golden: tcp, edit: .first(tcpFlags(0x18)) { $0[transport($0) + 16] ^= 0xff },
          differs: false)
      ]
    case "tcp-urgent":
      return [
        .init(
          what: "urgent pointer 0 → 1", golden: tcp, edit: .first(tcpFlags(0x18)) { $0[transport($0) + 19] = 1 },
          differs: true, shows: "tcp-urgent=1")
      ]
    case "tcp-options":
      return [
        .init(
          what: "SACK-permitted replaced by two NOPs", golden: tcp,
          edit: .first(tcpFlags(0x02)) { frame in
            let at = FrameEdit.tcpOption(frame, kind: 4)!
            frame[at] = 1
            frame[at + 1] = 1
          }, differs: true, shows: "tcp-options=mss,nop,nop,ts,nop,wscale")
      ]
    case "tcp-mss":
      return [
        .init(
          what: "MSS 65495 → 1460", golden: tcp,
          edit: .first(tcpFlags(0x02)) { FrameEdit.put16(&$0, FrameEdit.tcpOption($0, kind: 2)! + 2, 1460) },
          differs: true, shows: "tcp-mss=1460")
      ]
    case "tcp-wscale":
      return [
        .init(
          what: "window scale → 7", golden: tcp,
          edit: .first(tcpFlags(0x02)) { $0[FrameEdit.tcpOption($0, kind: 3)! + 2] = 7 },
          differs: true, shows: "tcp-wscale=7")
      ]
    case "tcp-sack":
      let (isn, serverPort) = try clientISNAndServerPort()
      func sack(right: UInt32) -> TraceEdit {
        .first({ isTCP($0) && $0[transport($0) + 13] == 0x10 && FrameEdit.u16($0, transport($0)) == serverPort }) {
          var option: [UInt8] = [1, 1, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0]
          FrameEdit.put32(&option, 4, isn &+ 1)
          FrameEdit.put32(&option, 8, isn &+ right)
          FrameEdit.replaceTCPOptions(&$0, option)
        }
      }
      return [
        .init(
          what: "a SACK block one byte shorter", golden: tcp, base: sack(right: 13), edit: sack(right: 12),
          differs: true,
          shows: "tcp-sack=1-12")
      ]
    case "tcp-timestamps":
      return [
        .init(
          what: "another TSval", golden: tcp,
          edit: .first(tcpFlags(0x10)) { $0[FrameEdit.tcpOption($0, kind: 8)! + 5] ^= 0x01 },
          differs: false)
      ]
    case "tcp-option-data":
      return [
        .init(
          what: "an experimental option's data", golden: tcp,
          base: .first(tcpFlags(0x10)) { frame in
            let at = FrameEdit.tcpOption(frame, kind: 8)!
            frame.replaceSubrange(at..<(at + 10), with: [254, 10, 1, 2, 3, 4, 5, 6, 7, 8])
          },
          edit: .first(tcpFlags(0x10)) { $0[FrameEdit.tcpOption($0, kind: 254)! + 9] = 9 }, differs: true,
          shows: "tcp-option-data=254:0102030405060709")
      ]
    // ICMP and ICMPv6
    case "icmp-type":
      return [
        .init(
          what: "port → host unreachable", golden: udp, edit: .every(isICMP) { $0[transport($0) + 1] = 1 },
          differs: true,
          shows: "host-unreachable", flips: false),
        .init(
          what: "ICMPv6 port → address unreachable", golden: ipv6,
          edit: .first(FrameEdit.isICMPv6Error) { $0[ip + 41] = 3 },
          differs: true, shows: "address-unreachable", flips: false),
      ]
    case "icmp-checksum":
      return [
        .init(
          what: "a wrong ICMP checksum", golden: udp, edit: .first(isICMP) { $0[transport($0) + 2] ^= 0xff },
          differs: false)
      ]
    case "icmp-rest":
      return [
        .init(
          what: "an unused byte set", golden: udp, edit: .first(isICMP) { $0[transport($0) + 4] = 1 }, differs: true,
          shows: "icmp-rest=01000000")
      ]
    case "icmp-echo-id":
      return [
        .init(
          what: "another echo identifier", golden: udp,
          base: .first(isUDP) { $0 = FrameEdit.echoRequest($0, identifier: 1, sequence: 1) },
          edit: .first(isICMP) { $0[transport($0) + 5] = 2 }, differs: false)
      ]
    case "icmp-echo-seq":
      return [
        .init(
          what: "another echo sequence number", golden: udp,
          base: .first(isUDP) { $0 = FrameEdit.echoRequest($0, identifier: 1, sequence: 1) },
          edit: .first(isICMP) { $0[transport($0) + 7] = 2 }, differs: true, shows: "icmp-echo-seq=2")
      ]
    case "quote":
      return [
        .init(
          what: "a byte of the quoted payload", golden: udp,
          edit: .first(isICMP) { $0[transport($0) + 8 + 20 + 8] ^= 0x20 }, differs: true, shows: "quote.payload=4f6e65"),
        .init(
          what: "the quoted IP ID (ignored inside a quote too)", golden: udp,
          edit: .first(isICMP) { $0[transport($0) + 8 + 4] ^= 0x5a }, differs: false, flips: false),
      ]
    default:
      return []
    }
  }

  /// The client's ephemeral port changed in every packet, quote and the manifest's names, as another run would see it.
  static func ephemeralPortRenumbered() throws -> TraceEdit {
    let first = try #require(try frames(udp).first(where: isUDP))
    let oldPort = FrameEdit.u16(first, transport(first))
    let newPort: UInt16 = oldPort == 50_000 ? 50_001 : 50_000
    return TraceEdit(
      packet: { _, bytes in
        var frame = bytes
        if isUDP(frame) {
          FrameEdit.put16(&frame, transport(frame), newPort)
        } else if isICMP(frame) {
          let quoted = transport(frame) + 8 + Int(frame[transport(frame) + 8] & 0x0f) * 4
          FrameEdit.put16(&frame, quoted, newPort)
        }
        return frame
      },
      manifest: { manifest in
        manifest.run.names["127.0.0.1:\(oldPort)"] = nil
        manifest.run.names["127.0.0.1:\(newPort)"] = "client"
      })
  }

  static func clientISNAndServerPort() throws -> (UInt32, UInt16) {
    let syn = try #require(try frames(tcp).first(where: tcpFlags(0x02)))
    return (FrameEdit.u32(syn, transport(syn) + 4), FrameEdit.u16(syn, transport(syn) + 2))
  }

  /// The client's initial sequence number moved, and every seq and ack that follows it.
  static func clientISNShifted() throws -> TraceEdit {
    let (_, serverPort) = try clientISNAndServerPort()
    let shift: UInt32 = 0x1234_5678
    return .every(isTCP) { frame in
      let tcp = transport(frame)
      if FrameEdit.u16(frame, tcp + 2) == serverPort {
        FrameEdit.put32(&frame, tcp + 4, FrameEdit.u32(frame, tcp + 4) &+ shift)
      } else if frame[tcp + 13] & 0x10 != 0 {
        FrameEdit.put32(&frame, tcp + 8, FrameEdit.u32(frame, tcp + 8) &+ shift)
      }
    }
  }
}

@Suite("Diff: the field table, one mutation of a golden trace per row")
struct DiffFieldTableTests {
  @Test("README's \"Comparing runs\" table is the table the code uses")
  func readmeTable() throws {
    let readme = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    #expect(readme.contains(DiffField.markdownTable), "README.md should contain:\n\(DiffField.markdownTable)")
  }

  @Test(
    "a golden trace against itself rewritten unchanged is the same",
    arguments: [
      FieldMutations.udp, FieldMutations.ipv6, FieldMutations.tcp, FieldMutations.network,
    ])
  func unchanged(_ golden: String) throws {
    let copy = temporaryTrace("copy")
    try TraceEdit().apply(FieldMutations.path(golden), to: copy)
    let result = TraceDiff.compare(
      expected: try TraceDocument.load(path: FieldMutations.path(golden)), actual: try TraceDocument.load(path: copy))
    #expect(result.same, "\(result.differences)")
  }

  @Test(
    "each row: a change diff must see (exit 1) or must not (exit 0), and --ignore/--compare turns it",
    arguments: DiffField.table.map(\.name))
  func row(_ name: String) throws {
    let field = try #require(DiffField.byName[name])
    let cases = try FieldMutations.cases(name)
    #expect(!cases.isEmpty, "no mutation proves the row \(name)")
    for mutation in cases {
      let golden = FieldMutations.path(mutation.golden)
      var base = golden
      if let edit = mutation.base {
        base = temporaryTrace("base-\(name)")
        try edit.apply(golden, to: base)
      }
      let mutated = temporaryTrace("mutated-\(name)")
      try mutation.edit.apply(base, to: mutated)

      let result = try Self.compare(base, mutated, .init())
      let report = DiffReport(result: result, style: TextStyle(enabled: false)).text
      #expect(result.same == !mutation.differs, "\(name): \(mutation.what)\n\(report)")
      if let shows = mutation.shows {
        #expect(report.contains(shows), "\(name): \(mutation.what) should show \(shows)\n\(report)")
      }
      let cli = try Command.netdrill(["diff", "--color", "never", base, mutated])
      #expect(
        cli.status == (mutation.differs ? 1 : 0), "\(name): \(mutation.what)\n\(cli.standardOutput)\(cli.standardError)"
      )

      if mutation.flips {
        let flag = field.comparedByDefault ? "--ignore" : "--compare"
        let adjusted =
          field.comparedByDefault ? NormalizationOptions(ignored: [name]) : NormalizationOptions(compared: [name])
        let flipped = try Self.compare(base, mutated, adjusted)
        #expect(
          flipped.same == mutation.differs,
          "\(name) with \(flag): \(mutation.what)\n\(DiffReport(result: flipped, style: TextStyle(enabled: false)).text)"
        )
        let flippedCLI = try Command.netdrill(["diff", "--color", "never", base, mutated, flag, name])
        #expect(flippedCLI.status == (mutation.differs ? 0 : 1), "\(name) with \(flag): \(flippedCLI.standardError)")
      }
    }
  }

  static func compare(_ expected: String, _ actual: String, _ options: NormalizationOptions) throws -> TraceDiffResult {
    TraceDiff.compare(
      expected: try TraceDocument.load(path: expected, options: options),
      actual: try TraceDocument.load(path: actual, options: options), options: DiffOptions(normalization: options))
  }
}

@Suite("Diff: the embedded scenario, kernels, field names")
struct DiffScenarioAndOptionsTests {
  let golden = FieldMutations.path(FieldMutations.udp)

  private func mutated(_ change: @escaping (inout TraceManifest) -> Void) throws -> String {
    let path = temporaryTrace("manifest")
    try TraceEdit(manifest: change).apply(golden, to: path)
    return path
  }

  @Test("a scenario that gained a program is a difference shown as a line diff, in text and JSON, exit 1")
  func scenarioGainedProgram() throws {
    let path = try mutated { manifest in
      manifest.scenarioSource = manifest.scenarioSource.replacingOccurrences(
        of: "  \"sockets\"",
        with: "  \"programs\": {\n    \"echo\": { \"command\": [\"true\"] }\n  },\n  \"sockets\"")
    }
    let result = TraceDiff.compare(
      expected: try TraceDocument.load(path: golden), actual: try TraceDocument.load(path: path))
    let difference = try #require(result.differences.first)
    #expect(result.differences.count == 1)
    #expect(difference.kind == .scenario)
    #expect(difference.lines?.contains("+   \"programs\": {") == true, "\(difference.lines ?? [])")
    #expect(difference.lines?.contains { $0.hasPrefix("@@ -") } == true)
    #expect(difference.lines?.contains { $0.hasPrefix("- ") } == false)

    let cli = try Command.netdrill(["diff", "--color", "never", golden, path])
    #expect(cli.status == 1)
    #expect(cli.standardOutput.contains("embedded scenario"))
    #expect(cli.standardOutput.contains("+     \"echo\": { \"command\": [\"true\"] }"), "\(cli.standardOutput)")
    #expect(cli.standardOutput.contains("1 in the embedded scenario"))

    let json = try Command.netdrill(["diff", "--json", golden, path])
    #expect(json.status == 1)
    let object = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
    let differences = try #require(object?["differences"] as? [[String: Any]])
    #expect(differences.first?["kind"] as? String == "scenario")
    #expect((differences.first?["lines"] as? [String])?.contains("+   \"programs\": {") == true)

    let ignored = try Command.netdrill(["diff", "--color", "never", golden, path, "--ignore", "scenario"])
    #expect(ignored.status == 0, "\(ignored.standardOutput)")
  }

  @Test("traces from different kernel releases: a note, not a difference")
  func kernelNote() throws {
    let path = try mutated { $0.run.environment.kernelRelease = "5.15.0-other" }
    let result = TraceDiff.compare(
      expected: try TraceDocument.load(path: golden), actual: try TraceDocument.load(path: path))
    #expect(result.same)
    #expect(result.notes.count == 1)
    #expect(result.notes.first?.contains("5.15.0-other") == true)
    let cli = try Command.netdrill(["diff", "--color", "never", golden, path])
    #expect(cli.status == 0)
    #expect(cli.standardOutput.contains("note: recorded on different kernels"), "\(cli.standardOutput)")
    #expect(cli.standardOutput.contains("✓ same"))
    let same = try Command.netdrill(["diff", "--color", "never", golden, golden])
    #expect(!same.standardOutput.contains("note:"))
  }

  @Test("the older field names still work: length, ttl, and a name that is not a field is exit 2")
  func legacyNames() throws {
    let longer = temporaryTrace("longer")
    try FieldMutations.firstUDP { frame in
      FrameEdit.growIPv4(&frame, by: 1)
      FrameEdit.put16(&frame, TraceMutation.transportOffset(frame) + 4, 12)
    }.apply(golden, to: longer)
    // Only the lengths changed: the payload bytes are the same, one zero byte more is only in the length.
    #expect(try Command.netdrill(["diff", golden, longer]).status == 1)
    #expect(try Command.netdrill(["diff", golden, longer, "--ignore", "length", "payload"]).status == 0)

    let lowTTL = temporaryTrace("ttl")
    try FieldMutations.firstUDP { $0[FrameEdit.ip + 8] = 1 }.apply(golden, to: lowTTL)
    #expect(try Command.netdrill(["diff", golden, lowTTL]).status == 0)
    #expect(try Command.netdrill(["diff", golden, lowTTL, "--compare", "ttl"]).status == 1)

    let unknown = try Command.netdrill(["diff", golden, golden, "--ignore", "ip-colour"])
    #expect(unknown.status == 2)
    #expect(unknown.standardError.contains("not a field"))
    let fixed = try Command.netdrill(["diff", golden, golden, "--ignore", "ports"])
    #expect(fixed.status == 2)
    #expect(fixed.standardError.contains("identifies a packet"))
  }
}
