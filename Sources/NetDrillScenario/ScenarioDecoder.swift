import NetDrillSockets

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
  struct SocketInfo {
    var kind: SocketKind?
    var family: AddressFamily?
    var deferred: Bool
    /// Where the name was introduced (`$.sockets.client`, `$.steps[4]`).
    var definedAt: String
    var isAccepted: Bool
  }

  /// Socket names in scope, in the order they appeared (for suggestions).
  var sockets: [String: SocketInfo] = [:]
  var socketOrder: [String] = []
  /// Deferred sockets a `socket` step has created so far.
  var createdDeferred: Set<String> = []
  /// `remember` names in scope → the step that defined them.
  var remembered: [String: String] = [:]
  var rememberedOrder: [String] = []
  /// Names introduced by any step (accept `as`, `remember`) → that step's
  /// path, found before decoding so "used before defined" can say where.
  var laterAccepts: [String: String] = [:]
  var laterRemembers: [String: String] = [:]
  /// Names the simulated network declares, for references from sockets and steps.
  var hostNames: [String] = []
  var linkNames: [String] = []
  var faultNames: [String] = []
  var programNames: [String] = []
  /// Programs declared `deferred`, and those a `start` step has started so far.
  var deferredPrograms: Set<String> = []
  var startedPrograms: Set<String> = []
  /// The actions of the steps decoded so far, by index, so an `inject` can
  /// check the step it quotes.
  var decodedActions: [Int: Action] = [:]
  /// Step `id`s decoded so far → the step's path; every step's id, found before decoding.
  var stepIDs: [String: String] = [:]
  var laterStepIDs: [String: String] = [:]
  /// Top-level steps decoded so far: id → index, for `inject`'s `quoting` by id.
  var decodedStepIndices: [String: Int] = [:]
  /// The NAMEs of `$closed.NAME` ports used anywhere.
  var closedPortNames: Set<String> = []
  /// Sockets with a background receiver started and not yet collected → the starting step's path and spec.
  var runningReceivers: [String: (path: String, spec: BackgroundReceiveStep)] = [:]

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
    deferredPrograms = Set(programs.filter(\.deferred).map(\.name))
    let declarations = top["sockets"].map { decodeSockets($0) } ?? []
    var steps: [Step] = []
    if let node = top["steps"], let elements = array(node) {
      findNamesDefinedBySteps(elements)
      findStepIDs(elements)
      for (index, element) in elements.enumerated() {
        if let step = decodeStep(element, index: index) {
          steps.append(step)
          decodedActions[index] = step.action
          if let id = step.id { decodedStepIndices[id] = index }
        }
      }
    }
    let (packets, packetMatch) = top["expect_packets"].map { decodeExpectedPackets($0) } ?? ([], .inOrder)
    let requirements = top["requires"].map { decodeRequirements($0) } ?? []
    guard errors.isEmpty else { return nil }
    var scenario = Scenario(
      name: name, description: description, defaults: defaults, sockets: declarations, steps: steps,
      expectedPackets: packets, packetMatch: packetMatch, requirements: requirements,
      topology: hosts.isEmpty ? nil : Topology(hosts: hosts, links: links, routes: routes), faults: faults,
      programs: programs, sourcePath: file)
    scenario.closedPortNames = closedPortNames.sorted()
    return scenario
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
}
