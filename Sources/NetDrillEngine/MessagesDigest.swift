/// The recvmmsg messages an outcome does not keep one by one: how many, their
/// bytes, and a digest of them, so a trace's manifest stays the same size
/// however many datagrams a scenario receives, and a diff still sees any
/// change in them.
///
/// An outcome keeps its first ``keptMessages`` messages whole (payload,
/// source, flags); the rest are folded in here. The digest is 64-bit FNV-1a
/// over each message's return value, flags, payload (its hex text) and source name (the
/// scenario's name for the sender, never its concrete address: an ephemeral
/// port changes every run). It detects change, it is no defence against
/// someone forging a trace (nothing in a trace is; see "Untrusted traces").
public struct MessagesDigest: Sendable, Codable, Equatable, CustomStringConvertible {
  /// Messages kept whole in ``StepOutcome/messages`` before the rest are digested.
  public static let keptMessages = 16

  public var count: Int
  /// Payload bytes of the digested messages.
  public var bytes: Int
  /// 16 hex digits.
  public var digest: String

  public init(count: Int, bytes: Int, digest: String) {
    self.count = count
    self.bytes = bytes
    self.digest = digest
  }

  /// The digest of `messages`, in order.
  init(_ messages: ArraySlice<MessageOutcome>) {
    var hash = StableHash()
    var bytes = 0
    for message in messages {
      hash.add(UInt64(bitPattern: Int64(message.returned)))
      hash.add(message.flags.joined(separator: "|"))
      hash.add(message.fromName ?? "")
      // The payload as its canonical hex text (two lowercase digits a byte):
      // the same bytes always give the same text, and nothing is decoded again.
      hash.add(message.data.hex)
      bytes += message.data.count
    }
    self.init(count: messages.count, bytes: bytes, digest: hash.hex)
  }

  /// `1008 more messages, 64512 bytes, digest 9ae16a3b2f90404f`.
  public var description: String { "\(count) more messages, \(bytes) bytes, digest \(digest)" }
}

extension StepOutcome {
  /// Keeps the first ``MessagesDigest/keptMessages`` recvmmsg messages and
  /// folds the rest into ``moreMessages``. Called once the step's
  /// expectations have been checked against every message.
  mutating func boundMessages() {
    guard let all = messages, all.count > MessagesDigest.keptMessages else { return }
    moreMessages = MessagesDigest(all[MessagesDigest.keptMessages...])
    messages = Array(all.prefix(MessagesDigest.keptMessages))
  }
}

/// 64-bit FNV-1a (http://www.isthe.com/chongo/tech/comp/fnv/): a few lines,
/// fast and stable across runs and machines, unlike `Hasher`, whose seed
/// changes every process.
struct StableHash {
  private var state: UInt64 = 0xcbf2_9ce4_8422_2325

  mutating func add(_ bytes: some Sequence<UInt8>) {
    for byte in bytes {
      state ^= UInt64(byte)
      state &*= 0x100_0000_01b3
    }
  }

  mutating func add(_ value: UInt64) {
    withUnsafeBytes(of: value.littleEndian) { add($0) }
  }

  mutating func add(_ text: String) {
    add(UInt64(text.utf8.count))
    add(text.utf8)
  }

  var hex: String {
    let digits = String(state, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}
