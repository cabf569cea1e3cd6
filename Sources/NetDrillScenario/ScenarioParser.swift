import Glibc
import NetDrillSockets

/// Reads a scenario file (format `"netdrill": 1`) into a validated `Scenario`.
///
/// Checks, in this order: the JSON syntax, the format version, then the
/// whole document — unknown keys (with the nearest valid one suggested),
/// value types and ranges, and references (every socket a step names exists
/// by then, every address name was defined by an earlier step, `quotes`
/// points back at an earlier packet). Every problem found is reported, each
/// with file, line:column and JSON path, sorted by position in the file.
public enum ScenarioParser {
  /// Scenario files larger than this are refused before parsing: a scenario
  /// is a hand-written file, and this keeps a wrong path from eating memory.
  public static let maximumFileSize = 16 * 1024 * 1024

  /// Parses scenario text. `file` is used in messages and kept as `Scenario.sourcePath`.
  /// - Throws: `ScenarioErrors` with at least one error.
  public static func parse(data: [UInt8], file: String?) throws(ScenarioErrors) -> Scenario {
    let root: JSONValue
    do {
      root = try JSONValue.parse(data)
    } catch {
      throw ScenarioErrors([
        ScenarioError(file: file, at: error.position, path: error.path, message: error.message)
      ])
    }
    let decoder = ScenarioDecoder(file: file)
    let scenario = decoder.decodeScenario(root)
    if let scenario, decoder.errors.isEmpty { return scenario }
    // Each part of the document is checked in its own pass (sockets, steps,
    // packets), so sort to print problems in file order.
    let sorted = decoder.errors.enumerated().sorted {
      ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
    }.map(\.element)
    throw ScenarioErrors(sorted.isEmpty ? [decoder.internalError()] : sorted)
  }

  /// Reads and parses the scenario file at `path`. A file that cannot be read
  /// is reported as a `ScenarioError` (line 0) like any other problem.
  /// - Throws: `ScenarioErrors` with at least one error.
  public static func parse(file path: String) throws(ScenarioErrors) -> Scenario {
    let bytes = try readSource(file: path)
    return try parse(data: bytes, file: path)
  }

  /// The bytes of the scenario file at `path`, which must be a regular file:
  /// a FIFO or a device would block `open(2)` or `read(2)` forever, or never
  /// end. Problems are reported like any other (line 0, path `$`).
  /// - Throws: `ScenarioErrors` with one error.
  public static func readSource(file path: String) throws(ScenarioErrors) -> [UInt8] {
    func failure(_ message: String) -> ScenarioErrors {
      ScenarioErrors([ScenarioError(file: path, line: 0, column: 0, path: JSONPath.root, message: message)])
    }
    // A NUL would silently cut the C path short and open some other file.
    guard !path.isEmpty, !path.utf8.contains(0) else { throw failure("not a valid file path") }
    let opened: (descriptor: FileDescriptor, size: UInt64)
    do {
      opened = try FileDescriptor.openRegularFile(path)
    } catch {
      switch error {
      case .cannotOpen(let error): throw failure("cannot open the scenario: \(error.message) (\(error.name))")
      case .cannotStat(let error): throw failure("cannot read the scenario: \(error.message) (\(error.name))")
      case .notRegular(let kind): throw failure("expected a regular file with a scenario, found \(kind)")
      }
    }
    defer { opened.descriptor.close() }
    let bytes: [UInt8]?
    do {
      bytes = try opened.descriptor.readToEnd(limit: maximumFileSize)
    } catch {
      throw failure("cannot read the scenario: \(error.message) (\(error.name))")
    }
    guard let bytes else {
      throw failure("the file is larger than \(maximumFileSize / 1024 / 1024) MiB; is it really a scenario?")
    }
    return bytes
  }
}

/// A JSON value and its path, the unit the decoder works on.
struct Node {
  let value: JSONValue
  let path: String
  var position: JSONPosition { value.position }

  init(_ value: JSONValue, path: String) {
    self.value = value
    self.path = path
  }
}

/// The members of a JSON object, looked up by key, with their paths.
struct Fields {
  let node: Node
  let members: [JSONMember]
  /// True when some keys were rejected as unknown (used to avoid piling a
  /// "missing key" error on top of a misspelled one).
  let hadUnknownKeys: Bool

  subscript(key: String) -> Node? {
    guard let member = members.first(where: { $0.key == key }) else { return nil }
    return Node(member.value, path: JSONPath.appending(node.path, key: key))
  }

  func has(_ key: String) -> Bool { members.contains { $0.key == key } }

  func keyPosition(_ key: String) -> JSONPosition? { members.first { $0.key == key }?.keyPosition }
}

/// Turns the positioned JSON tree into the model, collecting every problem.
///
/// A class so the many small decoding helpers can share the error list and
/// the names in scope without threading `inout` through each of them. Used
/// by one parse on one thread, never shared.
final class ScenarioDecoder {
  let file: String?
  private(set) var errors: [ScenarioError] = []
  private(set) var defaults = ScenarioDefaults()

  /// What the steps so far know about a socket name.
  private struct SocketInfo {
    var kind: SocketKind?
    var family: AddressFamily?
    var deferred: Bool
    /// Where the name was introduced (`$.sockets.client`, `$.steps[4]`).
    var definedAt: String
    var isAccepted: Bool
  }

  /// Socket names in scope, in the order they appeared (for suggestions).
  private var sockets: [String: SocketInfo] = [:]
  private var socketOrder: [String] = []
  /// Deferred sockets a `socket` step has created so far.
  private var createdDeferred: Set<String> = []
  /// `remember` names in scope → the step that defined them.
  private var remembered: [String: String] = [:]
  private var rememberedOrder: [String] = []
  /// Names introduced by any step (accept `as`, `remember`) → that step's
  /// path, found before decoding so "used before defined" can say where.
  private var laterAccepts: [String: String] = [:]
  private var laterRemembers: [String: String] = [:]
  /// Names the simulated network declares, for references from sockets and steps.
  private var hostNames: [String] = []
  private var linkNames: [String] = []
  private var faultNames: [String] = []
  private var programNames: [String] = []

  init(file: String?) {
    self.file = file
  }

  // MARK: Reporting

  func report(_ position: JSONPosition, _ path: String, _ message: String, suggestion: String? = nil) {
    errors.append(ScenarioError(file: file, at: position, path: path, message: message, suggestion: suggestion))
  }

  func report(_ node: Node, _ message: String, suggestion: String? = nil) {
    report(node.position, node.path, message, suggestion: suggestion)
  }

  /// Only reached if decoding failed without saying why — a bug in netdrill,
  /// reported as such rather than returning a half-built scenario.
  func internalError() -> ScenarioError {
    ScenarioError(
      file: file, line: 1, column: 1, path: JSONPath.root,
      message: "the scenario could not be read, but no reason was recorded (a netdrill bug; please report it)")
  }

  // MARK: Top level

  func decodeScenario(_ root: JSONValue) -> Scenario? {
    let rootNode = Node(root, path: JSONPath.root)
    guard case .object(let members) = root.content else {
      report(rootNode, "a scenario is a JSON object, found \(root.kindDescription)")
      return nil
    }
    // The version comes first: a file of another format version may mean
    // different things by the same keys, so nothing else is worth reporting.
    guard checkVersion(members, root: rootNode) else { return nil }

    let top = object(rootNode, allowed: ScenarioVocabulary.topLevelKeys, context: "the scenario")
    guard let top else { return nil }
    for key in ScenarioVocabulary.requiredTopLevelKeys where !top.has(key) {
      report(rootNode, "missing required key \(JSONPath.quoted(key))")
    }
    let name = top["name"].flatMap { string($0) } ?? ""
    let description = top["description"].flatMap { string($0) } ?? ""
    // Defaults first whatever the key order: payloads need the default seed.
    if let node = top["defaults"] { decodeDefaults(node) }
    // The network before sockets and steps, which refer to its names.
    let hosts = top["hosts"].map { decodeHosts($0) } ?? []
    hostNames = hosts.map(\.name)
    let links = top["links"].map { decodeLinks($0, hosts: hostNames) } ?? []
    linkNames = links.map(\.name)
    let routes = top["routes"].map { decodeRoutes($0, hosts: hostNames) } ?? []
    let faults = top["faults"].map { decodeFaults($0, hosts: hostNames, links: links) } ?? []
    faultNames = faults.map(\.name)
    let programs = top["programs"].map { decodePrograms($0, hosts: hostNames) } ?? []
    programNames = programs.map(\.name)
    let declarations = top["sockets"].map { decodeSockets($0) } ?? []
    var steps: [Step] = []
    if let node = top["steps"], let elements = array(node) {
      findNamesDefinedBySteps(elements)
      for (index, element) in elements.enumerated() {
        if let step = decodeStep(element, index: index) { steps.append(step) }
      }
    }
    let (packets, packetMatch) = top["expect_packets"].map { decodeExpectedPackets($0) } ?? ([], .inOrder)
    let requirements = top["requires"].map { decodeRequirements($0) } ?? []
    guard errors.isEmpty else { return nil }
    return Scenario(
      name: name, description: description, defaults: defaults, sockets: declarations, steps: steps,
      expectedPackets: packets, packetMatch: packetMatch, requirements: requirements,
      topology: hosts.isEmpty ? nil : Topology(hosts: hosts, links: links, routes: routes), faults: faults,
      programs: programs, sourcePath: file)
  }

  private func checkVersion(_ members: [JSONMember], root: Node) -> Bool {
    let key = ScenarioVocabulary.versionKey
    guard let member = members.first(where: { $0.key == key }) else {
      report(root, "missing \"\(key)\": \(Scenario.formatVersion) version key")
      return false
    }
    let node = Node(member.value, path: JSONPath.appending(root.path, key: key))
    guard case .number(let number) = member.value.content, number.isIntegerLiteral else {
      report(
        node,
        "expected the format version as an integer (\"\(key)\": \(Scenario.formatVersion)), found \(member.value.kindDescription)"
      )
      return false
    }
    guard number.integer == Int64(Scenario.formatVersion) else {
      report(
        node, "unsupported format version \(number.text) (this netdrill reads \(Scenario.formatVersion))")
      return false
    }
    return true
  }

  private func decodeDefaults(_ node: Node) {
    guard let fields = object(node, allowed: ScenarioVocabulary.defaultsKeys, context: "defaults") else { return }
    if let timeoutNode = fields["timeout"], let timeout = timeout(timeoutNode) { defaults.timeout = timeout }
    if let seedNode = fields["seed"], let seed = seed(seedNode) { defaults.seed = seed }
  }

  // MARK: Sockets

  private func decodeSockets(_ node: Node) -> [SocketDeclaration] {
    guard case .object(let members) = node.value.content else {
      report(
        node,
        "expected an object of named sockets like {\"client\": {\"type\": \"udp\"}}, found \(node.value.kindDescription)"
      )
      return []
    }
    var declarations: [SocketDeclaration] = []
    for member in members {
      let path = JSONPath.appending(node.path, key: member.key)
      checkNewName(member.key, at: member.keyPosition, path: path, what: "socket name")
      let declaration = decodeSocketDeclaration(
        Node(member.value, path: path), name: member.key, keyPosition: member.keyPosition)
      // Known even when its declaration is broken, so steps using it do not
      // each add an "unknown socket" error on top.
      addSocket(
        member.key,
        SocketInfo(
          kind: declaration?.kind, family: declaration?.family, deferred: declaration?.deferred ?? false,
          definedAt: path, isAccepted: false))
      if let declaration { declarations.append(declaration) }
    }
    return declarations
  }

  private func decodeSocketDeclaration(_ node: Node, name: String, keyPosition: JSONPosition) -> SocketDeclaration? {
    guard let fields = object(node, allowed: ScenarioVocabulary.socketKeys, context: "a socket declaration") else {
      return nil
    }
    let errorsBefore = errors.count
    for key in ScenarioVocabulary.requiredSocketKeys where !fields.has(key) {
      report(node, "a socket declaration needs \(JSONPath.quoted(key)): \"udp\" or \"tcp\"")
    }
    let kind = fields["type"].flatMap { word($0, as: SocketKind.self, what: "socket type") }
    let family = fields["family"].flatMap { word($0, as: AddressFamily.self, what: "address family") }
    let options = fields["options"].map { decodeOptionSettings($0) } ?? []
    let nonBlocking = fields["nonblocking"].flatMap { bool($0) } ?? false
    let closeOnExec = fields["cloexec"].flatMap { bool($0) } ?? false
    let deferred = fields["deferred"].flatMap { bool($0) } ?? false
    let host = fields["host"].flatMap { hostName($0, known: hostNames) }
    guard errors.count == errorsBefore, let kind else { return nil }
    return SocketDeclaration(
      name: name, kind: kind, family: family ?? .ipv4, options: options, nonBlocking: nonBlocking,
      closeOnExec: closeOnExec, deferred: deferred, host: host,
      location: ScenarioLocation(line: keyPosition.line, column: keyPosition.column, path: node.path))
  }

  private func decodeOptionSettings(_ node: Node) -> [OptionSetting] {
    guard case .object(let members) = node.value.content else {
      report(node, "expected an object of options like {\"SO_REUSEADDR\": true}, found \(node.value.kindDescription)")
      return []
    }
    var settings: [OptionSetting] = []
    for member in members {
      let path = JSONPath.appending(node.path, key: member.key)
      guard let option = optionName(member.key, at: member.keyPosition, path: path, toSet: true) else { continue }
      if let value = optionValue(Node(member.value, path: path), for: option, isExpectation: false) {
        settings.append(OptionSetting(option: option, value: value))
      }
    }
    return settings
  }

  private func addSocket(_ name: String, _ info: SocketInfo) {
    if sockets[name] == nil { socketOrder.append(name) }
    sockets[name] = info
  }

  // MARK: Steps

  /// Records every accept `as` and `remember` name before the steps are
  /// decoded, so a name used too early can be told apart from a typo.
  private func findNamesDefinedBySteps(_ elements: [Node]) {
    for element in elements {
      guard case .object(let members) = element.value.content else { continue }
      for member in members {
        guard case .string(let name) = member.value.content else { continue }
        if member.key == "as", laterAccepts[name] == nil { laterAccepts[name] = element.path }
        if member.key == "remember", laterRemembers[name] == nil { laterRemembers[name] = element.path }
      }
    }
  }

  private func decodeStep(_ node: Node, index: Int) -> Step? {
    guard case .object(let members) = node.value.content else {
      report(
        node,
        "expected a step object like {\"send\": \"client\", \"data\": \"hello\"}, found \(node.value.kindDescription)")
      return nil
    }
    let verbMembers = members.filter { ScenarioVocabulary.verb(named: $0.key) != nil }
    if verbMembers.count > 1 {
      let second = verbMembers[1]
      report(
        second.keyPosition, JSONPath.appending(node.path, key: second.key),
        "a step has exactly one verb, but this one has both \(JSONPath.quoted(verbMembers[0].key)) and \(JSONPath.quoted(second.key))"
      )
      return nil
    }
    guard let verbMember = verbMembers.first, let spec = ScenarioVocabulary.verb(named: verbMember.key) else {
      reportStepWithoutVerb(node, members)
      return nil
    }
    checkStepKeys(node, members, spec: spec)
    let fields = Fields(node: node, members: members, hadUnknownKeys: false)
    let errorsBefore = errors.count
    for field in spec.fields where field.required && !fields.has(field.key) {
      report(node, "a \(spec.name) step needs \(JSONPath.quoted(field.key))")
    }
    let subject = Node(verbMember.value, path: JSONPath.appending(node.path, key: spec.name))
    var introduces: (name: String, info: SocketInfo?)?
    let action = decodeAction(spec, subject: subject, fields: fields, step: node, introduces: &introduces)
    let timeout = fields["timeout"].flatMap { self.timeout($0) }
    let note = fields["note"].flatMap { string($0) }
    let expect = fields["expect"].flatMap { decodeExpect($0, spec: spec, action: action) }
    // A name a step introduces is usable from the next step on.
    if let introduces {
      if let info = introduces.info {
        addSocket(introduces.name, info)
      } else if remembered[introduces.name] == nil {
        remembered[introduces.name] = node.path
        rememberedOrder.append(introduces.name)
      }
    }
    guard errors.count == errorsBefore, let action else { return nil }
    return Step(
      index: index, action: action, expect: expect, timeout: timeout, note: note,
      location: ScenarioLocation(line: node.position.line, column: node.position.column, path: node.path))
  }

  private func reportStepWithoutVerb(_ node: Node, _ members: [JSONMember]) {
    let verbNames = ScenarioVocabulary.verbs.map(\.name)
    let known = Set(ScenarioVocabulary.commonStepKeys + ScenarioVocabulary.allVerbFieldKeys)
    var reported = false
    // A misspelled verb is the likely cause: say so at the key itself.
    for member in members where !known.contains(member.key) {
      report(
        member.keyPosition, JSONPath.appending(node.path, key: member.key),
        "unknown key \(JSONPath.quoted(member.key)) in a step",
        suggestion: ScenarioError.nearest(member.key, in: verbNames + Array(known)))
      reported = true
    }
    if !reported {
      report(node, "a step needs one verb key: \(verbNames.joined(separator: ", "))")
    }
  }

  private func checkStepKeys(_ node: Node, _ members: [JSONMember], spec: VerbSpec) {
    let allowed = spec.allowedKeys
    for member in members where member.key != spec.name && !allowed.contains(member.key) {
      let path = JSONPath.appending(node.path, key: member.key)
      let quotedKey = JSONPath.quoted(member.key)
      if spec.subject != .socket, ScenarioVocabulary.commonStepKeys.contains(member.key) {
        report(member.keyPosition, path, "a \(spec.name) step makes no call, so it takes no \(quotedKey)")
        continue
      }
      let users = ScenarioVocabulary.verbs.filter { $0.fields.contains { $0.key == member.key } }.map(\.name)
      if !users.isEmpty {
        report(
          member.keyPosition, path,
          "\(quotedKey) does not apply to \(spec.name) (it is used by \(users.joined(separator: ", ")))")
      } else {
        report(
          member.keyPosition, path, "unknown key \(quotedKey) in a \(spec.name) step",
          suggestion: ScenarioError.nearest(member.key, in: allowed))
      }
    }
  }

  private func decodeAction(
    _ spec: VerbSpec, subject: Node, fields: Fields, step: Node, introduces: inout (name: String, info: SocketInfo?)?
  ) -> Action? {
    switch spec.subject {
    case .duration:
      return duration(subject).map { .wait($0) }
    case .fault:
      return declared(subject, in: faultNames, what: "fault", key: "faults").map {
        spec.name == "enable" ? .enableFault($0) : .disableFault($0)
      }
    case .program:
      return declared(subject, in: programNames, what: "program", key: "programs").map { .stopProgram($0) }
    case .link:
      let errorsBefore = errors.count
      let link = declared(subject, in: linkNames, what: "link", key: "links")
      let host = fields["host"].flatMap { hostName($0, known: hostNames) }
      let mtu = fields["mtu"].flatMap { integer($0, 68...65535) }
      guard errors.count == errorsBefore, let link else { return nil }
      if spec.name == "set_mtu" { return mtu.map { .setMTU(link, mtu: $0) } }
      return .linkState(link, host: host, up: spec.name == "link_up")
    case .socket:
      break
    }
    let errorsBefore = errors.count
    let socket = socketReference(subject, verb: spec.name)
    let info = socket.flatMap { sockets[$0] }
    var action: Action?

    switch spec.name {
    case "socket":
      if let socket, let info {
        if info.isAccepted {
          report(
            subject, "\(JSONPath.quoted(socket)) is an accepted connection; a socket step creates only deferred sockets"
          )
        } else if !info.deferred {
          report(
            subject,
            "socket \(JSONPath.quoted(socket)) is created before the first step; declare it with \"deferred\": true to create it with a socket step"
          )
        }
        createdDeferred.insert(socket)
        action = .socket(socket)
      }
    case "close":
      action = socket.map { .close($0) }
    case "disconnect":
      action = socket.map { .disconnect($0) }
    case "bind":
      let address = fields["address"].flatMap { self.address($0) }
      action = socket.map { .bind($0, address: address) }
    case "connect":
      if let socket, let target = fields["to"].flatMap({ address($0) }) { action = .connect(socket, to: target) }
    case "listen":
      let backlog = fields["backlog"].flatMap { integer($0, 0...Int(Int32.max)) } ?? ScenarioVocabulary.defaultBacklog
      action = socket.map { .listen($0, backlog: backlog) }
    case "accept":
      if let node = fields["as"], let name = newName(node, what: "name for the accepted socket") {
        introduces = (
          name,
          SocketInfo(kind: info?.kind, family: info?.family, deferred: false, definedAt: step.path, isAccepted: true)
        )
        action = socket.map { .accept($0, as: name) }
      }
    case "shutdown":
      let how = fields["how"].flatMap { word($0, as: ShutdownHow.self, what: "shutdown direction") } ?? .both
      action = socket.map { .shutdown($0, how: how) }
    case "setsockopt":
      if let optionNode = fields["option"], let option = optionName(optionNode, toSet: true),
        let valueNode = fields["value"], let value = optionValue(valueNode, for: option, isExpectation: false),
        let socket
      {
        action = .setsockopt(socket, OptionSetting(option: option, value: value))
      }
    case "getsockopt":
      if let optionNode = fields["option"], let option = optionName(optionNode, toSet: false), let socket {
        action = .getsockopt(socket, option)
      }
    case "getsockname", "getpeername":
      var remember: String?
      if let node = fields["remember"], let name = newName(node, what: "remembered name") {
        remember = name
        introduces = (name, nil)
      }
      if let socket {
        action =
          spec.name == "getsockname"
          ? .getsockname(socket, remember: remember) : .getpeername(socket, remember: remember)
      }
    case "join", "leave":
      let group = fields["group"].flatMap { multicastGroup($0) }
      let interface = fields["interface"].flatMap { multicastInterface($0, family: info?.family) }
      if let socket, let group {
        action =
          spec.name == "join"
          ? .join(socket, group: group, interface: interface) : .leave(socket, group: group, interface: interface)
      }
    case "poll":
      let events =
        fields["events"].flatMap { words($0, as: PollEvent.self, what: "poll event") }
        ?? ScenarioVocabulary.defaultPollEvents
      action = socket.map { .poll($0, events: events) }
    default:
      if let call = SendCall(rawValue: spec.name) {
        action = socket.flatMap { decodeSend(call, socket: $0, fields: fields, step: step) }
      } else if let call = ReceiveCall(rawValue: spec.name) {
        action = socket.flatMap { decodeReceive(call, socket: $0, fields: fields) }
      } else {
        report(subject, "the verb \(JSONPath.quoted(spec.name)) is known but not implemented (a netdrill bug)")
      }
    }
    return errors.count == errorsBefore ? action : nil
  }

  private func decodeSend(_ call: SendCall, socket: String, fields: Fields, step: Node) -> Action? {
    let flags = fields["flags"].flatMap { words($0, as: MessageFlag.self, what: "message flag") } ?? []
    let target = fields["to"].flatMap { address($0) }
    var messages: [Payload]?
    if call == .sendmmsg {
      messages = decodeBatch(fields, step: step)
    } else if let node = fields["data"], let data = payload(node) {
      messages = [data]
    }
    // No "control" is no control messages; a wrong one (nil) is reported already.
    let control: [ControlEntry]? = fields["control"].map { controlEntries($0, sending: true) } ?? []
    guard let messages, let control else { return nil }
    return .send(SendStep(call: call, socket: socket, to: target, messages: messages, flags: flags, control: control))
  }

  /// sendmmsg's datagrams: `data` repeated `count` times, or `messages`.
  private func decodeBatch(_ fields: Fields, step: Node) -> [Payload]? {
    let batch = 1...ScenarioVocabulary.maximumBatch
    switch (fields["data"], fields["messages"]) {
    case (let data?, nil):
      let count = fields["count"].flatMap { integer($0, batch) } ?? 1
      return payload(data).map { Array(repeating: $0, count: count) }
    case (nil, let list?):
      if let countPosition = fields.keyPosition("count") {
        report(
          countPosition, JSONPath.appending(step.path, key: "count"),
          "\"count\" repeats \"data\"; with \"messages\" every datagram is listed")
      }
      guard let elements = array(list, count: batch) else { return nil }
      let payloads = elements.compactMap { payload($0) }
      return payloads.count == elements.count ? payloads : nil
    case (_?, let list?):
      report(list, "give either \"data\" (with an optional \"count\") or \"messages\", not both")
      return nil
    case (nil, nil):
      report(step, "a sendmmsg step needs \"data\" (with an optional \"count\") or \"messages\"")
      return nil
    }
  }

  private func decodeReceive(_ call: ReceiveCall, socket: String, fields: Fields) -> Action? {
    let size =
      fields["size"].flatMap { integer($0, 0...ScenarioVocabulary.maximumPayloadSize) }
      ?? ScenarioVocabulary.defaultReceiveSize
    let count = fields["count"].flatMap { integer($0, 1...ScenarioVocabulary.maximumBatch) } ?? 1
    let flags = fields["flags"].flatMap { words($0, as: MessageFlag.self, what: "message flag") } ?? []
    let controlSize =
      fields["control_size"].flatMap { integer($0, 0...ScenarioVocabulary.maximumControlSize) }
      ?? ScenarioVocabulary.defaultControlSize
    return .receive(
      ReceiveStep(call: call, socket: socket, size: size, count: count, flags: flags, controlSize: controlSize))
  }

  // MARK: Names

  /// The socket a step acts on: it must be declared, or accepted by an
  /// earlier step, and if deferred, created by an earlier socket step.
  private func socketReference(_ node: Node, verb: String) -> String? {
    guard let name = string(node, what: "a socket name") else { return nil }
    if let info = sockets[name] {
      if info.deferred, !createdDeferred.contains(name), verb != "socket" {
        report(
          node,
          "socket \(JSONPath.quoted(name)) is deferred and not created yet: add {\"socket\": \(JSONPath.quoted(name))} before this step"
        )
        return nil
      }
      return name
    }
    if remembered[name] != nil || laterRemembers[name] != nil {
      report(node, "\(JSONPath.quoted(name)) is a remembered address, not a socket")
    } else if let definedAt = laterAccepts[name] {
      report(node, "socket \(JSONPath.quoted(name)) does not exist yet: it is accepted at \(definedAt)")
    } else {
      report(
        node, "unknown socket \(JSONPath.quoted(name)); declare it in \"sockets\"",
        suggestion: ScenarioError.nearest(name, in: socketOrder))
    }
    return nil
  }

  /// A name a step introduces (accept `as`, `remember`): well formed and not
  /// already taken by a socket or another remembered address.
  private func newName(_ node: Node, what: String) -> String? {
    guard let name = string(node, what: "a name") else { return nil }
    guard checkNewName(name, at: node.position, path: node.path, what: what) else { return nil }
    if let info = sockets[name] {
      report(node, "\(JSONPath.quoted(name)) is already a socket (introduced at \(info.definedAt))")
      return nil
    }
    if let definedAt = remembered[name] {
      report(node, "\(JSONPath.quoted(name)) is already a remembered address (from \(definedAt))")
      return nil
    }
    return name
  }

  @discardableResult
  private func checkNewName(_ name: String, at position: JSONPosition, path: String, what: String) -> Bool {
    if ScenarioVocabulary.verb(named: name) != nil {
      report(position, path, "\(JSONPath.quoted(name)) is a verb and cannot be a \(what)")
      return false
    }
    if name == ScenarioVocabulary.closedPortWord {
      report(position, path, "\"$closed\" is reserved for the closed port and cannot be a \(what)")
      return false
    }
    guard ValueSyntax.isName(name) else {
      report(
        position, path,
        "\(JSONPath.quoted(name)) is not a valid \(what): use letters, digits, '_', '.' and '-', starting with a letter or '_'"
      )
      return false
    }
    return true
  }

  /// A name the scenario declared under `key` (a fault, link or program).
  private func declared(_ node: Node, in names: [String], what: String, key: String) -> String? {
    guard let name = string(node, what: "a \(what) name") else { return nil }
    guard names.contains(name) else {
      report(
        node, "unknown \(what) \(JSONPath.quoted(name)); declare it in \(JSONPath.quoted(key))",
        suggestion: ScenarioError.nearest(name, in: names))
      return nil
    }
    return name
  }

  // MARK: Addresses

  /// An address; a name in it must be a socket or an address remembered by
  /// an earlier step.
  func address(_ node: Node) -> AddressSpec? {
    guard let text = string(node, what: "an address") else { return nil }
    let spec: AddressSpec
    do {
      spec = try ValueSyntax.address(text)
    } catch {
      report(node, error.message)
      return nil
    }
    guard case .named(let name) = spec else { return spec }
    if sockets[name] != nil || remembered[name] != nil { return spec }
    if let definedAt = laterRemembers[name] ?? laterAccepts[name] {
      report(node, "\(JSONPath.quoted(name)) is used before it is defined (at \(definedAt))")
    } else {
      report(
        node, "unknown name \(JSONPath.quoted(name)) in an address: not a socket or a remembered address",
        suggestion: ScenarioError.nearest(name, in: socketOrder + rememberedOrder))
    }
    return nil
  }

  private func multicastGroup(_ node: Node) -> String? {
    guard let text = string(node, what: "a group address") else { return nil }
    guard ValueSyntax.isIPv4Literal(text) || ValueSyntax.isIPv6Literal(text) else {
      report(
        node, "expected a multicast group address like \"239.1.2.3\" or \"ff02::1:3\", found \(JSONPath.quoted(text))")
      return nil
    }
    return text
  }

  /// IPv4 membership names the interface by address (`ip_mreqn`), IPv6 by
  /// name (`ipv6_mreq` takes an index); with the family unknown either reads.
  private func multicastInterface(_ node: Node, family: AddressFamily?) -> String? {
    guard let text = string(node, what: "an interface") else { return nil }
    switch family {
    case .ipv4 where !ValueSyntax.isIPv4Literal(text):
      report(
        node, "an IPv4 socket names the interface by its IPv4 address (\"10.0.0.1\"), found \(JSONPath.quoted(text))")
      return nil
    case .ipv6 where !isInterfaceName(text):
      report(node, "an IPv6 socket names the interface by name (\"eth0\"), found \(JSONPath.quoted(text))")
      return nil
    case nil where !ValueSyntax.isIPv4Literal(text) && !isInterfaceName(text):
      report(node, "expected an interface address or name, found \(JSONPath.quoted(text))")
      return nil
    default:
      return text
    }
  }

  /// Linux interface names: 1 to 15 bytes (IFNAMSIZ - 1), no '/', no whitespace.
  func isInterfaceName(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    return (1...15).contains(bytes.count) && !bytes.contains { $0 <= 0x20 || $0 == UInt8(ascii: "/") || $0 >= 0x7F }
  }

  // MARK: Expectations

  private func decodeExpect(_ node: Node, spec: VerbSpec, action: Action?) -> StepExpectation? {
    guard let fields = object(node, allowed: ScenarioVocabulary.expectKeys, context: "expect") else { return nil }
    for member in fields.members where ScenarioVocabulary.expectKeys.contains(member.key) {
      guard !spec.expectKeys.contains(member.key) else { continue }
      if member.key == "returns", ["socket", "accept"].contains(spec.name) {
        report(
          member.keyPosition, JSONPath.appending(node.path, key: member.key),
          "\(spec.name)() returns a new descriptor, whose number netdrill does not report (it depends on what else is open): check \"error\": \"none\" instead"
        )
        continue
      }
      let users = ScenarioVocabulary.verbs.filter { $0.expectKeys.contains(member.key) }.map(\.name)
      report(
        member.keyPosition, JSONPath.appending(node.path, key: member.key),
        "\(JSONPath.quoted(member.key)) cannot be checked on a \(spec.name) step (it applies to \(users.joined(separator: ", ")))"
      )
    }
    func field(_ key: String) -> Node? { spec.expectKeys.contains(key) ? fields[key] : nil }

    var expectation = StepExpectation()
    if let returnsNode = field("returns") {
      if case .number(let number) = returnsNode.value.content, let value = number.integer, value < 0 {
        report(returnsNode, "a failing call is written \"error\": \"E...\", not as a return of \(value)")
      } else {
        expectation.returns = integer(returnsNode, 0...Int.max)
      }
    }
    if let errorNode = field("error"), let text = string(errorNode, what: "an errno name") {
      if text == ScenarioVocabulary.succeedsWord {
        expectation.succeeds = true
      } else if let errno = Errno(name: text) {
        expectation.error = errno
      } else {
        reportUnknownExpectedErrno(errorNode, text)
      }
      if fields.has("returns") {
        report(
          errorNode,
          text == ScenarioVocabulary.succeedsWord
            ? "\"returns\" already means the call succeeds; drop \"error\": \"none\""
            : "\"returns\" and \"error\" cannot both be given: a call that fails returns no value")
      }
    }
    expectation.data = field("data").flatMap { payload($0) }
    expectation.from = field("from").flatMap { address($0) }
    expectation.flags = field("flags").flatMap { words($0, as: MessageFlag.self, what: "message flag") }
    if let valueNode = field("value"), case .getsockopt(_, let option)? = action {
      expectation.value = optionValue(valueNode, for: option, isExpectation: true)
    }
    expectation.address = field("address").flatMap { address($0) }
    expectation.port = field("port").flatMap { integer($0, 0...65535) }
    expectation.revents = field("revents").flatMap { words($0, as: PollEvent.self, what: "poll event") }
    if let node = field("extended_error") {
      expectation.extendedError = extendedError(node)
      if case .receive(let receive)? = action, !receive.flags.contains(.MSG_ERRQUEUE) {
        report(
          node, "the extended error is read only with MSG_ERRQUEUE: add \"flags\": [\"MSG_ERRQUEUE\"] to the step")
      }
    }
    expectation.control = field("control").flatMap { controlEntries($0, sending: false) }
    if let node = field("messages"), let elements = array(node) {
      let payloads = elements.compactMap { payload($0) }
      if payloads.count == elements.count { expectation.messages = payloads }
      if case .receive(let receive)? = action, elements.count > receive.count {
        report(
          node,
          "expects \(elements.count) messages, but this \(receive.call.rawValue) receives at most \"count\": \(receive.count)"
        )
      }
    }
    return expectation
  }

  private func extendedError(_ node: Node) -> ExtendedErrorExpectation? {
    guard let fields = object(node, allowed: ScenarioVocabulary.extendedErrorKeys, context: "extended_error") else {
      return nil
    }
    var result = ExtendedErrorExpectation()
    if let errnoNode = fields["errno"], let text = string(errnoNode, what: "an errno name") {
      result.errno = Errno(name: text)
      if result.errno == nil {
        report(
          errnoNode, "unknown errno \(JSONPath.quoted(text))",
          suggestion: ScenarioError.nearest(text, in: Errno.allNames))
      }
    }
    result.origin = fields["origin"].flatMap { errorOrigin($0) }
    result.type = fields["type"].flatMap { integer($0, 0...255) }
    result.code = fields["code"].flatMap { integer($0, 0...255) }
    result.info = fields["info"].flatMap { integer($0, 0...Int(UInt32.max)) }
    result.data = fields["data"].flatMap { integer($0, 0...Int(UInt32.max)) }
    if let offenderNode = fields["offender"], let text = string(offenderNode, what: "an IP address") {
      if ValueSyntax.isIPv4Literal(text) || ValueSyntax.isIPv6Literal(text) {
        result.offender = text
      } else {
        report(offenderNode, "expected an IP address like \"10.0.0.1\" or \"fd00::1\", found \(JSONPath.quoted(text))")
      }
    }
    return result
  }

  // MARK: Requirements

  /// `["root", "netem", "ipv6", {"program": "python3"}]`.
  private func decodeRequirements(_ node: Node) -> [Requirement] {
    guard let items = array(node) else { return [] }
    return items.compactMap { item -> Requirement? in
      let location = ScenarioLocation(line: item.position.line, column: item.position.column, path: item.path)
      if case .object = item.value.content {
        let key = ScenarioVocabulary.requirementProgramKey
        guard let fields = object(item, allowed: [key], context: "a requirement"),
          let programNode = fields[key], let program = string(programNode, what: "a program name")
        else {
          if case .object(let members) = item.value.content, members.isEmpty {
            report(item, "a program requirement is written {\"program\": \"NAME\"}")
          }
          return nil
        }
        guard !program.isEmpty, !program.utf8.contains(0) else {
          report(programNode, "expected a program name or path, found \(JSONPath.quoted(program))")
          return nil
        }
        return Requirement(kind: .program(program), location: location)
      }
      guard let word = oneOf(item, ScenarioVocabulary.requirementWords, what: "requirement") else { return nil }
      switch word {
      case "root": return Requirement(kind: .root, location: location)
      case "netem": return Requirement(kind: .netem, location: location)
      default: return Requirement(kind: .ipv6, location: location)
      }
    }
  }

  /// SO_EE_ORIGIN_* by name (`"icmp"`) or number (`2`); a wrong one lists every name.
  private func errorOrigin(_ node: Node) -> String? {
    let names = ScenarioVocabulary.errorOrigins
    switch node.value.content {
    case .number:
      return integer(node, 0...255).map { ExtendedError.originName(UInt8($0)) }
    case .string(let text):
      if names.contains(text) { return text }
      report(
        node,
        "unknown error origin \(JSONPath.quoted(text)) (one of \(names.joined(separator: ", ")), or a number 0 to 255)",
        suggestion: ScenarioError.nearest(text, in: names))
      return nil
    default:
      report(
        node,
        "expected an error origin (one of \(names.joined(separator: ", ")), or a number 0 to 255), found \(node.value.kindDescription)"
      )
      return nil
    }
  }

  // MARK: Expected packets

  /// `[...]` (in order, others allowed), `{"in_order": [...]}` or `{"exactly": [...]}`.
  private func decodeExpectedPackets(_ node: Node) -> ([PacketExpectation], PacketMatch) {
    guard case .object = node.value.content else { return (decodePackets(node), .inOrder) }
    let modes = ScenarioVocabulary.packetMatchModes
    guard let fields = object(node, allowed: modes, context: "expected packets") else { return ([], .inOrder) }
    guard fields.members.count == 1, let member = fields.members.first, let mode = PacketMatch(rawValue: member.key)
    else {
      if !fields.hadUnknownKeys {
        report(
          node,
          "expected packets are a list, or an object with exactly one of \"in_order\" (others allowed) or \"exactly\" (nothing else)"
        )
      }
      return ([], .inOrder)
    }
    return (fields[member.key].map { decodePackets($0) } ?? [], mode)
  }

  private func decodePackets(_ node: Node) -> [PacketExpectation] {
    guard let items = array(node) else { return [] }
    var packets: [PacketExpectation] = []
    // The kind of each item by index, for checking what `quotes` points at.
    var kinds: [String?] = []
    for (index, item) in items.enumerated() {
      let (kind, packet) = decodePacket(item, index: index, earlierKinds: kinds)
      kinds.append(kind)
      if let packet { packets.append(packet) }
    }
    return packets
  }

  private func decodePacket(_ node: Node, index: Int, earlierKinds: [String?]) -> (String?, PacketExpectation?) {
    let allowed = ScenarioVocabulary.packetKinds + ["quotes"]
    guard let fields = object(node, allowed: allowed, context: "an expected packet") else { return (nil, nil) }
    let kindMembers = fields.members.filter { ScenarioVocabulary.packetKinds.contains($0.key) }
    if kindMembers.count > 1 {
      report(
        kindMembers[1].keyPosition, JSONPath.appending(node.path, key: kindMembers[1].key),
        "an expected packet is one of udp, tcp or icmp, but this one has both \(JSONPath.quoted(kindMembers[0].key)) and \(JSONPath.quoted(kindMembers[1].key))"
      )
      return (nil, nil)
    }
    guard let kindMember = kindMembers.first, let body = fields[kindMember.key] else {
      if !fields.hadUnknownKeys { report(node, "an expected packet needs one of \"udp\", \"tcp\" or \"icmp\"") }
      return (nil, nil)
    }
    let errorsBefore = errors.count
    var kind: PacketExpectation.Kind?
    switch kindMember.key {
    case "udp":
      if let parts = object(body, allowed: ScenarioVocabulary.udpPacketKeys, context: "a udp packet") {
        kind = .udp(from: parts["from"].flatMap { address($0) }, to: parts["to"].flatMap { address($0) })
      }
    case "tcp":
      if let parts = object(body, allowed: ScenarioVocabulary.tcpPacketKeys, context: "a tcp packet") {
        let flags = parts["flags"].flatMap { tcpFlags($0) }
        kind = .tcp(from: parts["from"].flatMap { address($0) }, to: parts["to"].flatMap { address($0) }, flags: flags)
      }
    default:
      kind = oneOf(body, ScenarioVocabulary.icmpErrors, what: "ICMP error").map { .icmp($0) }
    }
    var quotes: Int?
    if let quotesNode = fields["quotes"] {
      quotes = quotedIndex(quotesNode, kind: kindMember.key, index: index, earlierKinds: earlierKinds)
    }
    guard errors.count == errorsBefore, let kind else { return (kindMember.key, nil) }
    let location = ScenarioLocation(line: node.position.line, column: node.position.column, path: node.path)
    return (kindMember.key, PacketExpectation(kind: kind, quotes: quotes, location: location))
  }

  private func quotedIndex(_ node: Node, kind: String, index: Int, earlierKinds: [String?]) -> Int? {
    guard kind == "icmp" else {
      report(node, "\"quotes\" applies only to icmp packets (an ICMP error quotes the packet that caused it)")
      return nil
    }
    guard let quoted = integer(node, 0...Int.max) else { return nil }
    guard quoted < index else {
      report(
        node,
        index == 0
          ? "the first expected packet has no earlier packet to quote"
          : "\"quotes\": \(quoted) must name an earlier expected packet (0 to \(index - 1))")
      return nil
    }
    if earlierKinds.indices.contains(quoted), earlierKinds[quoted] == "icmp" {
      report(
        node,
        "packet \(quoted) is an ICMP error itself, and ICMP errors are never sent about ICMP errors (RFC 1122 3.2.2)")
      return nil
    }
    return quoted
  }

  private func tcpFlags(_ node: Node) -> [String]? {
    guard let elements = array(node) else { return nil }
    let flags = elements.compactMap { oneOf($0, ScenarioVocabulary.tcpFlags, what: "TCP flag") }
    return flags.count == elements.count ? flags : nil
  }
}
