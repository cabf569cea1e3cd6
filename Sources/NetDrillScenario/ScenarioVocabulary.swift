import NetDrillSockets

/// The words of the scenario format (keys, verbs, enumerations, limits).
///
/// `ScenarioParser` accepts exactly these and `ScenarioSchema` describes
/// exactly these, so the parser and the published schema cannot drift apart.
/// Enumerations that the model already defines (`SendCall`, `MessageFlag`,
/// `Errno.allNames`, `SocketOptionName.all`, ...) are used from there.
enum ScenarioVocabulary {
  static let versionKey = "netdrill"
  static let topLevelKeys = [
    versionKey, "name", "description", "defaults", "hosts", "links", "routes", "faults", "programs", "sockets", "steps",
    "expect_packets", "requires",
  ]
  /// What a scenario may declare it needs (`"requires"`); `{"program": NAME}` names a program on PATH.
  static let requirementWords = Requirement.Kind.words
  static let requirementProgramKey = "program"
  static let requiredTopLevelKeys = [versionKey, "name", "steps"]
  static let defaultsKeys = ["timeout", "seed"]
  static let socketKeys = ["type", "family", "host", "options", "nonblocking", "cloexec", "deferred"]

  // The simulated network.
  static let hostKeys = ["forwarding"]
  static let linkKeys = ["name", "hosts", "ipv4", "ipv6", "mtu"]
  static let routeKeys = ["host", "to", "via"]
  static let faultActionKeys = ["drop", "reject", "loss", "rate", "delay"]
  static let faultKeys = ["host", "link", "direction", "protocol", "port", "active"] + faultActionKeys
  static let lossKeys = ["every", "percent"]
  static let rateKeys = ["rate", "burst", "latency"]
  static let rejectKinds = ["host-unreachable", "port-unreachable", "net-unreachable", "admin-prohibited"]
  static let faultProtocols = ["udp", "tcp", "icmp"]
  static let programKeys = ["host", "command", "env", "cwd", "ready", "ready_timeout", "stop_grace", "deferred"]
  static let readyKeys = ["udp_port", "tcp_port", "output"]
  static let requiredSocketKeys = ["type"]
  static let lingerKeys = ["onoff", "linger"]

  /// The one-of keys of a payload object; `seed` may accompany `pattern` only.
  static let payloadEncodings = ["text", "hex", "base64", "pattern", "zeros", "sequence"]
  static let payloadKeys = payloadEncodings + ["seed"]
  /// A sent payload's ranges copied from the datagram last received (`EchoRange`).
  static let echoKey = "echo"
  static let echoRangeKeys = ["from", "to", "length"]
  static let maximumEchoRanges = 16
  /// Largest payload, in bytes, for any encoding.
  static let maximumPayloadSize = 1_048_576

  /// Step keys every socket verb takes besides its own.
  static let commonStepKeys = ["expect", "timeout", "note", "id"]
  /// A step that makes no socket call (`wait`, a fault, a link) has nothing to
  /// bound or check: only a note. (`stop` also takes `expect`: see `VerbSpec.allowedKeys`.)
  static let waitStepKeys = ["note", "id"]

  static let expectKeys = [
    "returns", "error", "data", "from", "flags", "value", "address", "port", "revents", "extended_error",
    "messages", "control", "timed_out", "elapsed", "total",
  ]
  /// A number's range or set: `{"min": 1, "max": 31}`, `{"one_of": [0, 5]}`.
  static let numberSetKeys = ["min", "max", "one_of"]
  /// Most values in a `one_of` (or errnos in an `error` list).
  static let maximumOneOf = 64
  static let elapsedKeys = ["min", "max", "about", "tolerance", "since"]
  static let totalKeys = ["with", "returns"]
  /// `"error": "none"`: the call must succeed.
  static let succeedsWord = "none"
  static let extendedErrorKeys = ["errno", "origin", "type", "code", "info", "data", "offender"]
  /// `SO_EE_ORIGIN_*` as written in scenarios (or as a number, 0 to 255).
  static let errorOrigins = ExtendedError.originNames.sorted { $0.key < $1.key }.map(\.value)

  /// The fields of IP_PKTINFO / IPV6_PKTINFO.
  static let packetInfoKeys = ["addr", "spec_dst", "ifindex", "interface"]
  /// An expected control message's value when only its presence matters.
  static let controlPresence = ["present", "absent"]
  /// recvmsg's `msg_controllen` unless `control_size` says otherwise; the largest allowed.
  static let defaultControlSize = 512
  static let maximumControlSize = 65536

  static let packetKinds = ["udp", "tcp", "icmp"]
  /// The object form of `expect_packets` (see `PacketMatch`).
  static let packetMatchModes = ["in_order", "exactly"]
  static let udpPacketKeys = ["from", "to"]
  static let tcpPacketKeys = ["from", "to", "flags"]
  static let tcpFlags = ["SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR"]
  static let icmpErrors = [
    "port-unreachable", "host-unreachable", "net-unreachable", "admin-prohibited", "frag-needed",
    "time-exceeded", "protocol-unreachable",
  ]

  /// Socket names, accept `as` names and `remember` names.
  static let namePattern = "^[A-Za-z_][A-Za-z0-9_.-]*$"
  static let closedPortWord = "$closed"

  /// Largest `count`/`messages` of sendmmsg and recvmmsg (the kernel's UIO_MAXIOV).
  static let maximumBatch = 1024
  static let defaultReceiveSize = 65536
  static let defaultBacklog = 16
  static let defaultPollEvents: [PollEvent] = [.POLLIN]

  /// Every verb, in the order a reader meets them.
  static let verbs: [VerbSpec] = makeVerbs()

  /// How the verb written as `name` is used; nil when `name` is no verb.
  static func verb(named name: String) -> VerbSpec? { verbs.first { $0.name == name } }

  /// Every key some verb takes besides its verb key, for "does not apply" hints.
  static var allVerbFieldKeys: [String] {
    var seen: Set<String> = []
    return verbs.flatMap { $0.fields.map(\.key) }.filter { seen.insert($0).inserted }
  }

  /// Settable options: the ones a declaration's `options` and `setsockopt` may name.
  static var settableOptions: [SocketOptionName] { SocketOptionName.all.filter(\.settable) }

  private static func makeVerbs() -> [VerbSpec] {
    let call = ["returns", "error", "timed_out", "elapsed", "total"]
    // socket() and accept() return a new descriptor, whose number depends on what
    // else the process has open: netdrill does not report it, so only the errno is checked.
    let newDescriptor = ["error", "timed_out", "elapsed"]
    var verbs: [VerbSpec] = [
      VerbSpec(.socket, expect: newDescriptor),
      VerbSpec(.bind, fields: [.init("address", .address)], expect: call),
      VerbSpec(.listen, fields: [.init("backlog", .backlog)], expect: call),
      VerbSpec(.connect, fields: [.init("to", .address, required: true)], expect: call),
      VerbSpec(.accept, fields: [.init("as", .newName, required: true)], expect: newDescriptor + ["from"]),
      VerbSpec(.disconnect, expect: call),
      VerbSpec(.shutdown, fields: [.init("how", .shutdownHow)], expect: call),
      VerbSpec(.close, expect: call),
    ]
    for sendCall in SendCall.allCases {
      let flags = StepField("flags", .messageFlags)
      let data = StepField("data", sendCall == .sendmmsg ? .payload : .sentPayload, required: sendCall != .sendmmsg)
      let fields: [StepField]
      switch sendCall {
      case .write: fields = [data]
      case .send: fields = [data, flags]
      case .sendto: fields = [data, .init("to", .address, required: true), flags]
      case .sendmsg: fields = [data, .init("to", .address), flags, .init("control", .controlMessages)]
      case .sendmmsg:
        fields = [data, .init("count", .batchCount), .init("messages", .payloads), .init("to", .address), flags]
      }
      verbs.append(VerbSpec(Verb(sendCall), fields: fields, expect: call))
    }
    for receiveCall in ReceiveCall.allCases {
      let size = StepField("size", .bufferSize)
      let flags = StepField("flags", .messageFlags)
      // The sender of the (first) datagram, kept as an address for later steps.
      let remember = StepField("remember", .newName)
      let fields: [StepField]
      let expect: [String]
      switch receiveCall {
      case .read:
        fields = [size]
        expect = call + ["data"]
      case .recv:
        fields = [size, flags]
        expect = call + ["data"]
      case .recvfrom:
        fields = [size, flags, remember]
        expect = call + ["data", "from"]
      case .recvmsg:
        fields = [size, flags, .init("control_size", .controlSize), remember]
        expect = call + ["data", "from", "flags", "extended_error", "control"]
      case .recvmmsg:
        fields = [size, .init("count", .batchCount), flags, remember]
        expect = call + ["data", "from", "flags", "extended_error", "messages"]
      }
      verbs.append(VerbSpec(Verb(receiveCall), fields: fields, expect: expect))
    }
    verbs += [
      VerbSpec(
        .setsockopt,
        fields: [
          .init("option", .settableOptionName, required: true), .init("value", .optionValue, required: true),
        ],
        expect: call),
      VerbSpec(.getsockopt, fields: [.init("option", .optionName, required: true)], expect: call + ["value"]),
      VerbSpec(.getsockname, fields: [.init("remember", .newName)], expect: call + ["address", "port"]),
      VerbSpec(.getpeername, fields: [.init("remember", .newName)], expect: call + ["address", "port"]),
      VerbSpec(
        .join, fields: [.init("group", .ipLiteral, required: true), .init("interface", .multicastInterface)],
        expect: call),
      VerbSpec(
        .leave, fields: [.init("group", .ipLiteral, required: true), .init("interface", .multicastInterface)],
        expect: call),
      VerbSpec(.poll, fields: [.init("events", .pollEvents)], expect: call + ["revents"]),
      VerbSpec(
        .fcntl, fields: [.init("set", .statusFlags), .init("clear", .statusFlags)], expect: call + ["value"]),
      VerbSpec(.wait, subject: .duration, expect: []),
      VerbSpec(.enable, subject: .fault, expect: []),
      VerbSpec(.disable, subject: .fault, expect: []),
      VerbSpec(.linkDown, subject: .link, fields: [.init("host", .hostName)], expect: []),
      VerbSpec(.linkUp, subject: .link, fields: [.init("host", .hostName)], expect: []),
      VerbSpec(.setMTU, subject: .link, fields: [.init("mtu", .mtu, required: true)], expect: []),
      VerbSpec(.start, subject: .program, expect: []),
      // `data` on stop: the program's standard output, all of it, byte for byte.
      VerbSpec(.stop, subject: .program, expect: ["returns", "data"]),
      VerbSpec(.inject, subject: .injection, fields: injectFields, expect: []),
      VerbSpec(.repetition, subject: .repetition, expect: repetitionExpectKeys),
      VerbSpec(.receiveInBackground, subject: .backgroundReceiver, expect: []),
      VerbSpec(.collect, subject: .backgroundReceiver, expect: receiverExpectKeys),
    ]
    return verbs
  }
}

/// How one verb is written: what its value names, the keys it takes, and
/// which `expect` keys make sense for it.
struct VerbSpec: Sendable {
  enum Subject: Sendable {
    /// The verb's value is a socket name.
    case socket
    /// The verb's value is a duration (`wait`).
    case duration
    /// The verb's value names a declared fault, link or program.
    case fault, link, program
    /// The verb's value is the kind of packet to inject (`udp`, `icmp`, `tcp`).
    case injection
    /// `repeat`: its value says how often (see `ScenarioDecoder+Repeat.swift`).
    case repetition
    /// `receive_in_background` and `collect`: a socket, decoded apart (see `ScenarioDecoder+Background.swift`).
    case backgroundReceiver
  }

  let verb: Verb
  let subject: Subject
  let fields: [StepField]
  /// Keys of `expect` this verb can be checked with.
  let expectKeys: [String]

  /// The verb's key as written in scenarios.
  var name: String { verb.rawValue }

  init(_ verb: Verb, subject: Subject = .socket, fields: [StepField] = [], expect: [String]) {
    self.verb = verb
    self.subject = subject
    self.fields = fields
    self.expectKeys = expect
  }

  /// The step keys besides the verb: its own fields, then the common ones.
  var allowedKeys: [String] {
    if subject == .repetition { return ScenarioVocabulary.repetitionStepKeys }
    if verb == .receiveInBackground { return ScenarioVocabulary.backgroundReceiveKeys }
    if verb == .collect { return ScenarioVocabulary.collectKeys }
    return fields.map(\.key)
      + (subject == .socket
        ? ScenarioVocabulary.commonStepKeys
        : subject == .program
          ? ["expect", "note", "id"] + (verb == .stop ? ["timeout"] : []) : ScenarioVocabulary.waitStepKeys)
  }
}

/// One verb-specific key of a step and the shape of its value.
struct StepField: Sendable {
  enum Kind: Sendable {
    /// `sentPayload`: a payload that may copy bytes from the datagram last received (`echo`).
    case address, payload, sentPayload, payloads, messageFlags, batchCount, bufferSize, backlog, newName
    /// `settableOptionName`: setsockopt names only options the kernel lets one set.
    case optionName, settableOptionName, optionValue, shutdownHow, ipLiteral, multicastInterface, pollEvents
    case hostName, mtu
    /// `inject`: an ICMP error name, TCP flags, a step number, a sequence offset, a window.
    case icmpError, tcpFlags, stepNumber, sequenceOffset, window
    /// fcntl's `set`/`clear`: `FileStatusFlag` names.
    case statusFlags
    /// sendmsg's `control` and recvmsg's `control_size`.
    case controlMessages, controlSize
  }

  let key: String
  let kind: Kind
  let required: Bool

  init(_ key: String, _ kind: Kind, required: Bool = false) {
    self.key = key
    self.kind = kind
    self.required = required
  }
}
