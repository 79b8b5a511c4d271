import ClusterCertificates
import Foundation
import JSON
import Testing
import TestSupport

@Suite struct ShortIDTests {
    @Test func generatedIDsLookLikeMagnums() {
        let ids = (0..<200).map { _ in ShortID.generate() }
        for id in ids {
            #expect(id.count == 12)
            #expect(id.allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) })
        }
        #expect(Set(ids).count == ids.count)
    }

    @Test func refusesNonVersion4UUIDs() async throws {
        let v1 = try #require(UUID(uuidString: "c232ab00-9414-11ec-b3c8-9e6bdeced846"))
        #expect(ShortID.id(from: v1) == nil)
    }

    @Test func passphrasesAreShortIDsAndNeverPrinted() {
        let passphrase = KeyPassphrase.generate()
        #expect(passphrase.secret.count == 12)
        for text in ["\(passphrase)", String(reflecting: passphrase), "\([passphrase])"] {
            #expect(!text.contains(passphrase.secret))
        }
        var dumped = ""
        dump(passphrase, to: &dumped)
        #expect(!dumped.contains(passphrase.secret))
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func sameIDsAsMagnumsShortID() async throws {
        let uuids = (0..<40).map { _ in UUID() } + [try #require(UUID(uuidString: "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"))]
        let answers = try await MagnumX509Peer.run([["op": "short_id", "uuids": .array(uuids.map { .string($0.uuidString.lowercased()) })]])
        let theirs = try #require(answers[0].arrayValue).map { $0.stringValue }
        #expect(theirs == uuids.map { ShortID.id(from: $0) })
        #expect(theirs.last == "wv2r2ugh6sug")
    }
}
