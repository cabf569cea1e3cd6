import Foundation
import NetDrillEngine
import NetDrillTrace

/// Rewrites a netdrill trace record by record, for mutation tests: each
/// packet's bytes and the manifest can be changed on the way through.
enum TraceMutation {
  /// - Parameters:
  ///   - packet: returns the new bytes (nil drops the packet); gets the packet's index.
  ///   - manifest: changes the manifest.
  ///   - interface: changes an interface's description (its name or link type).
  ///   - timestampShift: added to every packet's timestamp.
  static func rewrite(
    _ input: String, to output: String, packet: (Int, [UInt8]) -> [UInt8]? = { $1 },
    manifest: (inout TraceManifest) -> Void = { _ in }, interface: (inout TraceInterfaceInfo) -> Void = { _ in },
    timestampShift: UInt64 = 0
  ) throws {
    let reader = try TraceReader(path: input)
    let writer = try PcapngWriter(
      path: output, application: "mutation test", hardware: nil, os: nil, sectionComment: nil)
    var index = 0
    while let record = try reader.next() {
      switch record {
      case .interface(var info):
        interface(&info)
        _ = try writer.addInterface(
          name: info.name ?? "if", linkType: info.linkType, snapLength: info.snapLength, description: info.description)
      case .packet(let original):
        defer { index += 1 }
        guard let bytes = packet(index, original.data) else { continue }
        try writer.writePacket(
          interface: original.interfaceID, timestampNanoseconds: original.timestampNanoseconds + timestampShift,
          originalLength: UInt32(bytes.count), data: bytes, comment: original.comment)
      case .manifest(let bytes, _):
        var decoded = try TraceManifest.decode(bytes)
        manifest(&decoded)
        try writer.writeManifest(try decoded.encoded())
      default:
        break
      }
    }
    try writer.commit()
  }

  /// Offsets in an Ethernet + IPv4 frame.
  static let ipOffset = 14

  /// Recomputes the IPv4 header checksum after a change.
  static func fixIPv4Checksum(_ frame: inout [UInt8]) {
    let start = ipOffset
    let length = Int(frame[start] & 0x0f) * 4
    frame[start + 10] = 0
    frame[start + 11] = 0
    var sum: UInt32 = 0
    for i in stride(from: start, to: start + length, by: 2) { sum += UInt32(frame[i]) << 8 | UInt32(frame[i + 1]) }
    while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
    let checksum = ~UInt16(sum)
    frame[start + 10] = UInt8(checksum >> 8)
    frame[start + 11] = UInt8(checksum & 0xff)
  }

  static func transportOffset(_ frame: [UInt8]) -> Int {
    ipOffset + Int(frame[ipOffset] & 0x0f) * 4
  }

  static func isUDP(_ frame: [UInt8]) -> Bool { frame.count > 34 && frame[12] == 0x08 && frame[23] == 17 }
  static func isICMP(_ frame: [UInt8]) -> Bool { frame.count > 34 && frame[12] == 0x08 && frame[23] == 1 }
}

/// Byte-level edits of Ethernet frames (netdrill captures loopback as Ethernet
/// with zero MACs), for the diff field table's mutation tests. Each edit keeps
/// the frame decodable and fixes lengths and the IPv4 header checksum when the
/// field under test is not one of them.
enum FrameEdit {
  static let ip = TraceMutation.ipOffset

  static func isIPv4(_ frame: [UInt8]) -> Bool { frame.count > 34 && frame[12] == 0x08 && frame[13] == 0x00 }
  static func isIPv6(_ frame: [UInt8]) -> Bool { frame.count > 54 && frame[12] == 0x86 && frame[13] == 0xdd }
  static func isTCP(_ frame: [UInt8]) -> Bool { isIPv4(frame) && frame[23] == 6 }
  static func isIPv6UDP(_ frame: [UInt8]) -> Bool { isIPv6(frame) && frame[ip + 6] == 17 }
  static func isICMPv6Error(_ frame: [UInt8]) -> Bool { isIPv6(frame) && frame[ip + 6] == 58 && frame[ip + 40] < 128 }

  static func u16(_ frame: [UInt8], _ offset: Int) -> UInt16 { UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1]) }
  static func u32(_ frame: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(u16(frame, offset)) << 16 | UInt32(u16(frame, offset + 2))
  }
  static func put16(_ frame: inout [UInt8], _ offset: Int, _ value: UInt16) {
    frame[offset] = UInt8(value >> 8)
    frame[offset + 1] = UInt8(value & 0xff)
  }
  static func put32(_ frame: inout [UInt8], _ offset: Int, _ value: UInt32) {
    put16(&frame, offset, UInt16(value >> 16))
    put16(&frame, offset + 2, UInt16(value & 0xffff))
  }

  /// Inserts bytes into an IPv4 header (as options): IHL and total length follow.
  static func insertIPv4Options(_ frame: inout [UInt8], _ options: [UInt8]) {
    let headerLength = Int(frame[ip] & 0x0f) * 4
    frame.insert(contentsOf: options, at: ip + headerLength)
    frame[ip] = 0x40 | UInt8((headerLength + options.count) / 4)
    put16(&frame, ip + 2, u16(frame, ip + 2) + UInt16(options.count))
    TraceMutation.fixIPv4Checksum(&frame)
  }

  /// Appends bytes after an IPv4 packet's end and counts them in the total length (not in UDP's).
  static func growIPv4(_ frame: inout [UInt8], by count: Int) {
    frame += [UInt8](repeating: 0, count: count)
    put16(&frame, ip + 2, u16(frame, ip + 2) + UInt16(count))
    TraceMutation.fixIPv4Checksum(&frame)
  }

  /// Inserts an IPv6 extension header (`header[0]` is overwritten with the old next header).
  static func insertIPv6Extension(_ frame: inout [UInt8], type: UInt8, _ header: [UInt8]) {
    var header = header
    header[0] = frame[ip + 6]
    frame[ip + 6] = type
    frame.insert(contentsOf: header, at: ip + 40)
    put16(&frame, ip + 4, u16(frame, ip + 4) + UInt16(header.count))
  }

  /// Replaces a TCP segment's options; data offset and IPv4 total length follow.
  static func replaceTCPOptions(_ frame: inout [UInt8], _ options: [UInt8]) {
    let tcp = TraceMutation.transportOffset(frame)
    let headerLength = Int(frame[tcp + 12] >> 4) * 4
    frame.replaceSubrange((tcp + 20)..<(tcp + headerLength), with: options)
    frame[tcp + 12] = UInt8((20 + options.count) / 4) << 4 | (frame[tcp + 12] & 0x0f)
    put16(&frame, ip + 2, UInt16(frame.count - ip))
    TraceMutation.fixIPv4Checksum(&frame)
  }

  /// The offset of the TCP option of `kind` in a segment, if it has one.
  static func tcpOption(_ frame: [UInt8], kind: UInt8) -> Int? {
    let tcp = TraceMutation.transportOffset(frame)
    var offset = tcp + 20
    let end = tcp + Int(frame[tcp + 12] >> 4) * 4
    while offset < end {
      if frame[offset] == kind { return offset }
      if frame[offset] <= 1 { offset += 1 } else { offset += Int(frame[offset + 1]) }
    }
    return nil
  }

  /// The Ethernet frame as a Linux cooked v2 (SLL2) frame of the same packet.
  static func sll2(_ frame: [UInt8], interfaceIndex: UInt32 = 1, packetType: UInt8 = 0) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: 20)
    header[0] = frame[12]
    header[1] = frame[13]
    put32(&header, 4, interfaceIndex)
    put16(&header, 8, 1)  // ARPHRD_ETHER
    header[10] = packetType
    header[11] = 6
    header.replaceSubrange(12..<18, with: frame[6..<12])
    return header + frame[14...]
  }

  /// A UDP/IPv4 frame turned into an ICMP echo request with the same payload.
  static func echoRequest(_ frame: [UInt8], identifier: UInt16, sequence: UInt16) -> [UInt8] {
    var frame = frame
    let transport = TraceMutation.transportOffset(frame)
    frame[ip + 9] = 1
    TraceMutation.fixIPv4Checksum(&frame)
    frame[transport] = 8
    frame[transport + 1] = 0
    put16(&frame, transport + 2, 0)
    put16(&frame, transport + 4, identifier)
    put16(&frame, transport + 6, sequence)
    return frame
  }
}
