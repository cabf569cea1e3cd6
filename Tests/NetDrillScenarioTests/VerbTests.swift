import Testing

@testable import NetDrillScenario

/// Every `Verb` is described once in the vocabulary (the parser and the
/// schema read it), and a decoded step names its verb by the key it was written with.
@Suite("Verbs")
struct VerbTests {
  @Test func theVocabularyDescribesEveryVerbOnceInOrder() {
    #expect(ScenarioVocabulary.verbs.map(\.verb) == Verb.allCases)
    for verb in Verb.allCases {
      #expect(ScenarioVocabulary.verb(named: verb.rawValue)?.verb == verb)
    }
  }

  @Test func aVerbIsWrittenAsItsKey() {
    #expect("\(Verb.linkDown)" == "link_down")
    #expect(Verb.setMTU.rawValue == "set_mtu")
    #expect(Verb(SendCall.sendmmsg) == .sendmmsg && Verb.sendmmsg.sendCall == .sendmmsg)
    #expect(Verb(ReceiveCall.recvfrom) == .recvfrom && Verb.recvfrom.receiveCall == .recvfrom)
    #expect(Verb.poll.sendCall == nil && Verb.poll.receiveCall == nil)
  }

  @Test func decodedStepsNameTheVerbTheyWereWrittenWith() throws {
    let text = """
      {"netdrill": 1, "name": "verbs",
       "hosts": {"a": {}, "b": {}}, "links": [{"name": "ab", "hosts": ["a", "b"]}],
       "faults": {"f": {"host": "a", "drop": true}},
       "sockets": {"c": {"type": "udp", "host": "a"}},
       "steps": [
         {"bind": "c"}, {"getsockname": "c"}, {"sendto": "c", "data": "x", "to": "10.0.0.2:9"},
         {"recvfrom": "c"}, {"link_down": "ab"}, {"link_up": "ab"}, {"set_mtu": "ab", "mtu": 1280},
         {"enable": "f"}, {"disable": "f"}, {"wait": "1ms"}, {"close": "c"}
       ]}
      """
    let scenario = try ScenarioParser.parse(data: Array(text.utf8), file: "verbs.json")
    #expect(
      scenario.steps.map(\.action.verb) == [
        .bind, .getsockname, .sendto, .recvfrom, .linkDown, .linkUp, .setMTU, .enable, .disable, .wait, .close,
      ])
  }
}
