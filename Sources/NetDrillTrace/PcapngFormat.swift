/// Block types and option codes from the pcapng specification
/// (draft-ietf-opsawg-pcapng), shared by ``PcapngWriter`` and ``TraceReader``.
enum PcapngFormat {
  static let sectionHeaderBlock: UInt32 = 0x0A0D_0D0A
  static let interfaceDescriptionBlock: UInt32 = 0x0000_0001
  static let obsoletePacketBlock: UInt32 = 0x0000_0002
  static let simplePacketBlock: UInt32 = 0x0000_0003
  static let interfaceStatisticsBlock: UInt32 = 0x0000_0005
  static let enhancedPacketBlock: UInt32 = 0x0000_0006
  /// Custom block whose contents may be copied by editors that do not understand it.
  static let customBlockCopiable: UInt32 = 0x0000_0BAD
  /// Custom block that editors must drop when they change the file.
  static let customBlockNoCopy: UInt32 = 0x4000_0BAD

  static let byteOrderMagic: UInt32 = 0x1A2B_3C4D

  /// A block type in words, for messages: `enhanced packet block (type 0x00000006)`.
  static func blockName(_ type: UInt32) -> String {
    let digits = String(type, radix: 16)
    let hex = "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    let name: String
    switch type {
    case sectionHeaderBlock: name = "section header block"
    case interfaceDescriptionBlock: name = "interface description block"
    case obsoletePacketBlock: name = "packet block"
    case simplePacketBlock: name = "simple packet block"
    case interfaceStatisticsBlock: name = "interface statistics block"
    case enhancedPacketBlock: name = "enhanced packet block"
    case customBlockCopiable, customBlockNoCopy: name = "custom block"
    default: name = "block"
    }
    return "\(name) (type \(hex))"
  }

  static let optEndOfOptions: UInt16 = 0
  static let optComment: UInt16 = 1
  static let shbHardware: UInt16 = 2
  static let shbOS: UInt16 = 3
  static let shbUserApplication: UInt16 = 4
  static let ifName: UInt16 = 2
  static let ifDescription: UInt16 = 3
  static let ifTimestampResolution: UInt16 = 9
  static let ifTimestampOffset: UInt16 = 14
  static let isbIfReceived: UInt16 = 4
  static let isbIfDropped: UInt16 = 5

  /// Largest block either side accepts. Real packets are at most 256 KiB;
  /// a bigger length field is almost always corruption, and refusing it
  /// keeps a bad length from turning into a huge allocation.
  static let maximumBlockLength = 128 * 1024 * 1024

  /// The manifest payload inside netdrill's custom block starts with this.
  static let manifestMagic: [UInt8] = Array("NDM1".utf8)
}
