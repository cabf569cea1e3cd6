import NetDrillSockets

// The typed readers `ScenarioDecoder` is built from. Each one reports a
// problem at the value's own position and path and returns nil, so the
// decoder can carry on and find every problem in one pass.
extension ScenarioDecoder {
  // MARK: JSON types

  /// An object's members after reporting the keys not in `allowed` (with the
  /// nearest allowed key as a suggestion); nil if the value is not an object.
  func object(_ node: Node, allowed: [String], context: String) -> Fields? {
    guard case .object(let members) = node.value.content else {
      report(node, "expected an object, found \(node.value.kindDescription)")
      return nil
    }
    var hadUnknownKeys = false
    for member in members where !allowed.contains(member.key) {
      report(
        member.keyPosition, JSONPath.appending(node.path, key: member.key),
        "unknown key \(JSONPath.quoted(member.key)) in \(context)",
        suggestion: ScenarioError.nearest(member.key, in: allowed))
      hadUnknownKeys = true
    }
    return Fields(node: node, members: members, hadUnknownKeys: hadUnknownKeys)
  }

  func string(_ node: Node, what: String = "a string") -> String? {
    guard case .string(let text) = node.value.content else {
      report(node, "expected \(what), found \(node.value.kindDescription)")
      return nil
    }
    return text
  }

  func bool(_ node: Node) -> Bool? {
    guard case .bool(let value) = node.value.content else {
      report(node, "expected true or false, found \(node.value.kindDescription)")
      return nil
    }
    return value
  }

  /// An integer written without fraction or exponent, within `range`.
  func integer(_ node: Node, _ range: ClosedRange<Int>) -> Int? {
    guard case .number(let number) = node.value.content else {
      report(node, "expected an integer, found \(node.value.kindDescription)")
      return nil
    }
    guard number.isIntegerLiteral else {
      report(node, "expected an integer, found \(number.text)")
      return nil
    }
    guard let exact = number.integer, let value = Int(exactly: exact), range.contains(value) else {
      report(node, rangeMessage(range, found: number.text))
      return nil
    }
    return value
  }

  private func rangeMessage(_ range: ClosedRange<Int>, found: String) -> String {
    if range.upperBound == Int.max { return "must be \(range.lowerBound) or more, found \(found)" }
    return "must be between \(range.lowerBound) and \(range.upperBound), found \(found)"
  }

  /// A pattern seed: any integer from 0 to 2^64-1.
  func seed(_ node: Node) -> UInt64? {
    guard case .number(let number) = node.value.content, number.isIntegerLiteral else {
      report(node, "expected an integer seed, found \(node.value.kindDescription)")
      return nil
    }
    guard let value = number.unsignedInteger else {
      report(node, "a seed must be between 0 and \(UInt64.max), found \(number.text)")
      return nil
    }
    return value
  }

  /// An array's elements with their paths; `count` bounds the length.
  func array(_ node: Node, count: ClosedRange<Int>? = nil) -> [Node]? {
    guard case .array(let elements) = node.value.content else {
      report(node, "expected an array, found \(node.value.kindDescription)")
      return nil
    }
    if let count, !count.contains(elements.count) {
      report(node, "must have between \(count.lowerBound) and \(count.upperBound) elements, found \(elements.count)")
      return nil
    }
    return elements.enumerated().map { Node($0.element, path: JSONPath.appending(node.path, index: $0.offset)) }
  }

  func duration(_ node: Node) -> Duration? {
    guard let text = string(node, what: "a duration like \"20ms\"") else { return nil }
    guard let duration = DurationText.parse(text) else {
      report(
        node,
        "expected a duration like \"20ms\", \"1.5s\" or \"500us\" (units ns, us, ms, s, m), found \(JSONPath.quoted(text))"
      )
      return nil
    }
    return duration
  }

  /// The bound on a blocking call: at least 1 µs, because the kernel reads a
  /// zero SO_RCVTIMEO/SO_SNDTIMEO (what anything shorter becomes) as "wait forever".
  func timeout(_ node: Node) -> Duration? {
    guard let value = duration(node) else { return nil }
    guard value >= .microseconds(1) else {
      guard case .string(let text) = node.value.content else { return nil }
      report(
        node,
        "a timeout must be at least 1us (the kernel reads a zero timeout as \"wait forever\"), found \(JSONPath.quoted(text))"
      )
      return nil
    }
    return value
  }

  // MARK: Words

  /// One word of an enumeration (`"udp"`, `"MSG_PEEK"`), with a suggestion for a typo.
  func word<Word: RawRepresentable & CaseIterable>(_ node: Node, as type: Word.Type, what: String) -> Word?
  where Word.RawValue == String {
    guard let text = oneOf(node, Word.allCases.map(\.rawValue), what: what) else { return nil }
    return Word(rawValue: text)
  }

  /// An array of enumeration words; nil if any element is wrong (each is reported).
  func words<Word: RawRepresentable & CaseIterable>(_ node: Node, as type: Word.Type, what: String) -> [Word]?
  where Word.RawValue == String {
    guard let elements = array(node) else { return nil }
    let words = elements.compactMap { word($0, as: type, what: what) }
    return words.count == elements.count ? words : nil
  }

  /// A string that must be one of `choices`.
  func oneOf(_ node: Node, _ choices: [String], what: String) -> String? {
    guard let text = string(node, what: "a \(what) name") else { return nil }
    guard choices.contains(text) else {
      // A suggestion says enough; otherwise list the choices when they are few.
      let suggestion = ScenarioError.nearest(text, in: choices)
      let listed = suggestion == nil && choices.count <= 8 ? " (one of \(choices.joined(separator: ", ")))" : ""
      report(node, "unknown \(what) \(JSONPath.quoted(text))\(listed)", suggestion: suggestion)
      return nil
    }
    return text
  }

  /// An unknown errno in a step's `"error"`. A word about timing out gets
  /// EAGAIN, not the nearest spelling (ETIMEDOUT): a call that netdrill's
  /// bound (or SO_RCVTIMEO/SO_SNDTIMEO) stops fails with EAGAIN — EINPROGRESS
  /// for a TCP connect — and the outcome says `timed out`; ETIMEDOUT is a TCP
  /// connection's own retransmission or keepalive timeout.
  func reportUnknownExpectedErrno(_ node: Node, _ text: String) {
    let squeezed = text.uppercased().filter(\.isLetter)
    if ["TIMEOUT", "TIMEDOUT", "TIMED", "EXPIRED", "DEADLINE"].contains(where: squeezed.contains) {
      report(
        node,
        "unknown errno \(JSONPath.quoted(text)): a call stopped at its time bound fails with EAGAIN (EINPROGRESS for a TCP connect), reported as \"timed out\" (expect it with \"timed_out\": true); ETIMEDOUT is only a TCP connection's own timeout",
        suggestion: "EAGAIN")
      return
    }
    report(
      node, "unknown errno \(JSONPath.quoted(text))",
      suggestion: ScenarioError.nearest(text, in: Errno.allNames + [ScenarioVocabulary.succeedsWord]))
  }

  // MARK: Payloads

  /// A payload: a string (text), or an object with exactly one of `text`,
  /// `hex`, `base64`, `pattern` (with optional `seed`) or `zeros`.
  /// `allowing` names keys an object form may carry besides its encoding (`echo` when sending).
  func payload(_ node: Node, allowing extraKeys: [String] = []) -> Payload? {
    switch node.value.content {
    case .string(let text):
      return checkedSize(node, text.utf8.count) ? .text(text) : nil
    case .object:
      return payloadObject(node, allowing: extraKeys)
    default:
      report(
        node,
        "expected a payload (a string, or an object with text, hex, base64, pattern or zeros), found \(node.value.kindDescription)"
      )
      return nil
    }
  }

  private func payloadObject(_ node: Node, allowing extraKeys: [String]) -> Payload? {
    guard let fields = object(node, allowed: ScenarioVocabulary.payloadKeys + extraKeys, context: "a payload") else {
      return nil
    }
    let encodings = fields.members.filter { ScenarioVocabulary.payloadEncodings.contains($0.key) }
    if encodings.count > 1 {
      report(
        encodings[1].keyPosition, JSONPath.appending(node.path, key: encodings[1].key),
        "a payload has exactly one encoding, but this one has both \(JSONPath.quoted(encodings[0].key)) and \(JSONPath.quoted(encodings[1].key))"
      )
      return nil
    }
    guard let encoding = encodings.first, let body = fields[encoding.key] else {
      if !fields.hadUnknownKeys {
        report(
          node, "a payload object needs one of \"text\", \"hex\", \"base64\", \"pattern\", \"zeros\" or \"sequence\"")
      }
      return nil
    }
    if encoding.key != "pattern", encoding.key != "sequence", let seedPosition = fields.keyPosition("seed") {
      report(
        seedPosition, JSONPath.appending(node.path, key: "seed"),
        "\"seed\" applies only to \"pattern\" and \"sequence\"")
      return nil
    }
    let sizes = 0...ScenarioVocabulary.maximumPayloadSize
    switch encoding.key {
    case "text":
      guard let text = string(body), checkedSize(body, text.utf8.count) else { return nil }
      return .text(text)
    case "hex", "base64":
      guard let text = string(body) else { return nil }
      do {
        let bytes = encoding.key == "hex" ? try ValueSyntax.hexBytes(text) : try ValueSyntax.base64Bytes(text)
        guard checkedSize(body, bytes.count) else { return nil }
        return encoding.key == "hex" ? .hex(bytes) : .base64(bytes)
      } catch {
        report(body, error.message)
        return nil
      }
    case "pattern":
      guard let size = integer(body, sizes) else { return nil }
      let patternSeed = fields["seed"].map { self.seed($0) } ?? defaults.seed
      return patternSeed.map { .pattern(size: size, seed: $0) }
    case "sequence":
      // Room for the number first: a shorter datagram could not carry it.
      guard let size = integer(body, SequencePayload.numberSize...ScenarioVocabulary.maximumPayloadSize) else {
        return nil
      }
      let fillSeed = fields["seed"].map { self.seed($0) } ?? defaults.seed
      return fillSeed.map { .sequence(size: size, seed: $0) }
    default:
      return integer(body, sizes).map { .zeros($0) }
    }
  }

  private func checkedSize(_ node: Node, _ size: Int) -> Bool {
    guard size <= ScenarioVocabulary.maximumPayloadSize else {
      report(node, "payload of \(size) bytes is larger than the limit of \(ScenarioVocabulary.maximumPayloadSize)")
      return false
    }
    return true
  }

  // MARK: Socket options

  /// An option named by a string value (`"option": "SO_RCVBUF"`).
  func optionName(_ node: Node, toSet: Bool) -> SocketOptionName? {
    guard let name = string(node, what: "an option name") else { return nil }
    return optionName(name, at: node.position, path: node.path, toSet: toSet)
  }

  /// An option named by `name`, which must be settable when `toSet`.
  func optionName(_ name: String, at position: JSONPosition, path: String, toSet: Bool) -> SocketOptionName? {
    guard let option = SocketOptionName(name: name) else {
      report(
        position, path, "unknown socket option \(JSONPath.quoted(name))",
        suggestion: ScenarioError.nearest(name, in: SocketOptionName.all.map(\.name)))
      return nil
    }
    if toSet, !option.settable {
      report(position, path, "\(name) can only be read (getsockopt), not set")
      return nil
    }
    return option
  }

  /// A value that fits the option's kind. `isExpectation` allows what only
  /// getsockopt can give (SO_ERROR's errno).
  func optionValue(_ node: Node, for option: SocketOptionName, isExpectation: Bool) -> OptionValue? {
    let content = node.value.content
    let found = node.value.kindDescription
    switch option.kind {
    case .boolean:
      switch content {
      case .bool(let flag): return .integer(flag ? 1 : 0)
      case .number(let number) where number.integer == 0 || number.integer == 1:
        return .integer(Int(number.integer ?? 0))
      case .number(let number):
        report(node, "\(option.name) takes true/false or 0/1, found \(number.text)")
      default:
        report(node, "\(option.name) takes true/false or 0/1, found \(found)")
      }
      return nil
    case .integer:
      switch content {
      case .bool(let flag): return .integer(flag ? 1 : 0)
      case .number: return integer(node, Int(Int32.min)...Int(Int32.max)).map { .integer($0) }
      case .string(let text) where !option.symbols.isEmpty:
        if let value = option.symbols[text] { return .integer(value) }
        let symbols = option.symbols.keys.sorted()
        let suggestion = ScenarioError.nearest(text, in: symbols)
        let listed = suggestion == nil ? " (one of \(symbols.joined(separator: ", ")) or a number)" : ""
        report(node, "unknown value \(JSONPath.quoted(text)) for \(option.name)\(listed)", suggestion: suggestion)
      default:
        report(node, "\(option.name) takes an integer, found \(found)")
      }
      return nil
    case .linger:
      return lingerValue(node, option: option)
    case .interface:
      guard let text = string(node, what: "an interface name for \(option.name)") else { return nil }
      guard isInterfaceName(text) else {
        report(node, "\(JSONPath.quoted(text)) is not an interface name (1 to 15 characters, like \"eth0\")")
        return nil
      }
      return .text(text)
    case .ipv4Address:
      guard let text = string(node, what: "an IPv4 address for \(option.name)") else { return nil }
      guard ValueSyntax.isIPv4Literal(text) else {
        report(node, "\(option.name) takes an IPv4 address like \"10.0.0.1\", found \(JSONPath.quoted(text))")
        return nil
      }
      return .text(text)
    case .duration:
      return duration(node).map { .duration($0) }
    case .errno:
      guard isExpectation else {
        report(node, "\(option.name) can only be read (getsockopt), not set")
        return nil
      }
      switch content {
      case .number(let number) where number.integer == 0:
        return .errno(nil)
      case .string(let text):
        if let errno = Errno(name: text) { return .errno(errno) }
        report(
          node, "unknown errno \(JSONPath.quoted(text))", suggestion: ScenarioError.nearest(text, in: Errno.allNames))
      default:
        report(node, "\(option.name) is an errno name (\"ECONNREFUSED\") or 0, found \(found)")
      }
      return nil
    }
  }

  private func lingerValue(_ node: Node, option: SocketOptionName) -> OptionValue? {
    guard case .object = node.value.content else {
      report(node, "\(option.name) takes {\"onoff\": 1, \"linger\": SECONDS}, found \(node.value.kindDescription)")
      return nil
    }
    guard let fields = object(node, allowed: ScenarioVocabulary.lingerKeys, context: option.name) else { return nil }
    for key in ScenarioVocabulary.lingerKeys where !fields.has(key) {
      report(node, "\(option.name) needs \(JSONPath.quoted(key))")
    }
    var onoff: Bool?
    if let onoffNode = fields["onoff"] {
      switch onoffNode.value.content {
      case .bool(let flag): onoff = flag
      case .number(let number) where number.integer == 0 || number.integer == 1: onoff = number.integer == 1
      default: report(onoffNode, "\"onoff\" takes true/false or 0/1, found \(onoffNode.value.kindDescription)")
      }
    }
    let seconds = fields["linger"].flatMap { integer($0, 0...Int(Int32.max)) }
    guard let onoff, let seconds else { return nil }
    return .linger(onoff: onoff, seconds: seconds)
  }
}
