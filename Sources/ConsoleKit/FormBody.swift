import Foundation
import HTTPKit

/// An `application/x-www-form-urlencoded` body (what a browser's form posts), and the
/// request's cookies.
public struct FormBody: Sendable {
    public let values: [String: String]

    /// The body's fields; the first value of a repeated one. A body that is not UTF-8
    /// or not a form is refused with a 400.
    public init(_ request: Request) throws(HTTPError) {
        guard let text = String(data: request.body, encoding: .utf8) else {
            throw .badRequest("the form is not UTF-8")
        }
        values = try Self.parse(text)
    }

    static func parse(_ text: String) throws(HTTPError) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else {
                throw .badRequest("the form's encoding is malformed")
            }
            if values[name] == nil { values[name] = value }
        }
        return values
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    public subscript(name: String) -> String? { values[name] }

    /// A field the form must have, trimmed; 400 naming it when missing or empty.
    public func required(_ name: String, maxLength: Int = 1000) throws(HTTPError) -> String {
        let value = (values[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw .badRequest("\(name) is required") }
        guard value.count <= maxLength else { throw .badRequest("\(name) is longer than \(maxLength) characters") }
        return value
    }
}

extension Request {
    /// The value of the cookie `name`, if the request sent it.
    public func cookie(_ name: String) -> String? {
        guard let header = headers["Cookie"] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name {
                return pair[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// Whether the browser reached us over TLS (directly or through a proxy that says so).
    public var isSecure: Bool { headers["X-Forwarded-Proto"]?.lowercased() == "https" }
}
