import JSON
import Replay
import Testing

@Suite struct ReplayNormalizerTests {
    @Test func madeUpIdentifiersBecomeNumberedPlaceholdersAndKnownOnesStay() {
        let known = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"
        let normalizer = ReplayNormalizer(known: [known, "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b"])
        let document: JSONValue = [
            "a": .string("req-11111111-2222-4333-8444-555555555555"),
            "b": .string(known),
            "c": .string("magnum-\(known)-1a2b3c4d"),
            "d": ["x": "11111111-2222-4333-8444-555555555555", "y": "ffffffffffffffffffffffffffffffff", "z": "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b"],
            "e": .string("key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"),
        ]
        let out = normalizer.normalize(document)
        #expect(out["a"] == "req-<uuid:1>")
        #expect(out["b"] == .string(known))
        #expect(out["c"] == .string("magnum-\(known)-1a2b3c4d"))
        #expect(out["d"]?["x"] == "<uuid:1>")
        #expect(out["d"]?["y"] == "<hex:1>")
        #expect(out["d"]?["z"] == "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b")
        #expect(out["e"] == "key:\n<PEM RSA PRIVATE KEY>\n")
    }
}
