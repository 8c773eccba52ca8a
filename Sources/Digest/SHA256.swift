import CCrypto
import Foundation

/// Incremental SHA-256 over OpenSSL's EVP interface. One hasher is used by one
/// thread at a time.
public final class SHA256Hasher {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL could not allocate a digest context") }
        self.context = context
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    public func update(_ data: Data) { data.withUnsafeBytes { update($0) } }
    public func update(_ string: String) { update(Data(string.utf8)) }

    /// The digest as 64 lower-case hex characters. The hasher is spent afterwards.
    public func finalizeHex() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return Hex.encode(digest)
    }
}

public enum SHA256 {
    public static func hex(_ data: Data) -> String {
        let hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalizeHex()
    }

    public static func hex(_ string: String) -> String { hex(Data(string.utf8)) }

    /// Hashes a file in 1 MiB chunks, never holding it whole.
    public static func hex(fileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        let hasher = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
        }
        return hasher.finalizeHex()
    }

    public static func isValidHex(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Cryptographically secure random bytes (OpenSSL's CSPRNG).
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&buffer, Int32(count)) == 1 else {
            // The system generator failing is not recoverable for a token issuer.
            fatalError("OpenSSL RAND_bytes failed")
        }
        return buffer
    }

    public static func hex(bytes count: Int) -> String { Hex.encode(bytes(count)) }
}

/// HMAC-SHA256 (RFC 2104) through OpenSSL's one-shot `HMAC`.
public enum HMACSHA256 {
    /// The MAC of `message` under `key`, as lower-case hex.
    public static func hex(key: Data, message: Data) -> String {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                _ = HMAC(
                    EVP_sha256(), k.baseAddress, Int32(k.count), m.bindMemory(to: UInt8.self).baseAddress, m.count,
                    &out, &length)
            }
        }
        return out.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
