import Testing
@testable import ClusterCertificates

@Suite struct PEMBlockTests {
    @Test func readsBlocksAmongOtherTextLikeOpenSSL() async throws {
        let text = "junk before\r\n-----BEGIN A-----\r\nAAEC\r\nAw==\r\n-----END A-----\nmiddle\n-----BEGIN B-----\nBAU=\n-----END B-----\n"
        let blocks = PEMBlock.blocks(in: text)
        #expect(blocks.map(\.label) == ["A", "B"])
        #expect(blocks[0].der == [0, 1, 2, 3])
        #expect(PEMBlock.first(in: text, labels: ["B"])?.der == [4, 5])
    }

    @Test func keepsLegacyEncryptionHeaders() async throws {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00FF\n\nAAEC\n-----END RSA PRIVATE KEY-----\n"
        let block = try #require(PEMBlock.blocks(in: text).first)
        #expect(block.headers.map(\.name) == ["Proc-Type", "DEK-Info"])
        #expect(block.headers[1].value == "AES-256-CBC,00FF")
        #expect(block.der == [0, 1, 2])
    }

    @Test func brokenBlocksAreNotRead() {
        #expect(PEMBlock.blocks(in: "-----BEGIN A-----\nAAEC\n").isEmpty)
        #expect(PEMBlock.blocks(in: "-----BEGIN A-----\nAAEC\n-----END B-----\n").isEmpty)
        #expect(PEMBlock.blocks(in: "-----BEGIN A-----\n%%%%\n-----END A-----\n").isEmpty)
    }

    @Test func writesSixtyFourColumns() {
        let pem = PEMBlock.encode(label: "CERTIFICATE", der: [UInt8](repeating: 7, count: 100))
        let lines = pem.split(separator: "\n")
        #expect(lines.first == "-----BEGIN CERTIFICATE-----")
        #expect(lines.last == "-----END CERTIFICATE-----")
        #expect(lines[1].count == 64)
        #expect(pem.hasSuffix("\n"))
        #expect(PEMBlock.blocks(in: pem).first?.der == [UInt8](repeating: 7, count: 100))
    }
}
