import Foundation

/// Console URLs built from values: each path segment and query value percent-encoded, so a
/// name with `/`, `?`, `#` or `..` in it stays one segment and can never leave the console.
public enum Link {
    private static let segmentAllowed: CharacterSet = {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~@")
        return allowed
    }()

    /// `/a/b/c`, each segment encoded.
    public static func path(_ segments: any CustomStringConvertible...) -> String {
        "/" + segments.map { encode($0.description) }.joined(separator: "/")
    }

    /// `path?name=value&...`, values encoded; nil values left out.
    public static func query(_ path: String, _ items: [(String, String?)]) -> String {
        let pairs = items.compactMap { name, value in value.map { "\(encode(name))=\(encode($0))" } }
        return pairs.isEmpty ? path : path + "?" + pairs.joined(separator: "&")
    }

    public static func encode(_ text: String) -> String {
        // Only ASCII letters and digits pass: `alphanumerics` holds other scripts' letters too.
        var encoded = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, segmentAllowed.contains(scalar) {
                encoded.unicodeScalars.append(scalar)
            } else {
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }

    /// Where to go after signing in: a path on this site only (never `//host` or a scheme).
    public static func localPath(_ candidate: String?) -> String {
        guard let candidate, candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.hasPrefix("/\\"),
            !candidate.contains(where: { $0.isNewline || $0 == "\0" })
        else { return "/" }
        return candidate
    }
}
