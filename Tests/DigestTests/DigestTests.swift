import Foundation
import Testing
import Digest

@Suite struct DigestTests {
    @Test func knownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func streamingEqualsOneShotAndFiles() throws {
        let data = Data((0..<1_000_003).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let hasher = SHA256Hasher()
        var offset = 0
        while offset < data.count {
            let end = min(data.count, offset + 65_537)
            hasher.update(data[offset..<end])
            offset = end
        }
        let streamed = hasher.finalizeHex()
        #expect(streamed == SHA256.hex(data))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try data.write(to: file)
        #expect(try SHA256.hex(fileAt: file.path) == streamed)
        #expect(SHA256.isValidHex(streamed))
        #expect(!SHA256.isValidHex("xyz"))
    }

    @Test func randomTokensAreDistinct() {
        let tokens = Set((0..<100).map { _ in SecureRandom.hex(bytes: 16) })
        #expect(tokens.count == 100)
        #expect(tokens.allSatisfy { $0.count == 32 })
    }
}
