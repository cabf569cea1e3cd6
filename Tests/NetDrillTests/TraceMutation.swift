import Foundation
import NetDrillEngine
import NetDrillTrace

/// Rewrites a netdrill trace record by record, for mutation tests: each
/// packet's bytes and the manifest can be changed on the way through.
enum TraceMutation {
  /// - Parameters:
  ///   - packet: returns the new bytes (nil drops the packet); gets the packet's index.
  ///   - manifest: changes the manifest.
  static func rewrite(
    _ input: String, to output: String, packet: (Int, [UInt8]) -> [UInt8]? = { $1 },
    manifest: (inout TraceManifest) -> Void = { _ in }
  ) throws {
    let reader = try TraceReader(path: input)
    let writer = try PcapngWriter(
      path: output, application: "mutation test", hardware: nil, os: nil, sectionComment: nil)
    var index = 0
    while let record = try reader.next() {
      switch record {
      case .interface(let info):
        _ = try writer.addInterface(
          name: info.name ?? "if", linkType: info.linkType, snapLength: info.snapLength, description: info.description)
      case .packet(let original):
        defer { index += 1 }
        guard let bytes = packet(index, original.data) else { continue }
        try writer.writePacket(
          interface: original.interfaceID, timestampNanoseconds: original.timestampNanoseconds,
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
