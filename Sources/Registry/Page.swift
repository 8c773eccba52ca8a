import Foundation

/// A page of results and the token for the next one (nil at the end).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextPageToken: String?
}

/// Offset-based page tokens, opaque to callers.
enum PageToken {
    static func decode(_ token: String?) throws(RegistryError) -> Int {
        guard let token, !token.isEmpty else { return 0 }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("o:"), let offset = Int(text.dropFirst(2)), offset >= 0
        else {
            throw .invalid("invalid page_token")
        }
        return offset
    }

    static func next(offset: Int, returned: Int, limit: Int) -> String? {
        returned < limit ? nil : Data("o:\(offset + returned)".utf8).base64EncodedString()
    }
}
