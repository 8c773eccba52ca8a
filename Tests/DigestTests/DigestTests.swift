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

@Suite struct HMACTests {
    /// RFC 4231 test cases 1 and 2.
    @Test func matchesRFC4231() {
        #expect(
            HMACSHA256.hex(key: Data(repeating: 0x0b, count: 20), message: Data("Hi There".utf8))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            HMACSHA256.hex(key: Data("Jefe".utf8), message: Data("what do ya want for nothing?".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
