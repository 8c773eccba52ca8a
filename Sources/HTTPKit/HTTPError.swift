import Foundation

/// An error a handler throws to answer with a status and a JSON error body.
/// `message` is shown to the client: it must never carry secrets. Messages often
/// quote the input they refuse, so one is cut at `maxMessageLength` characters: an
/// error body never echoes unbounded input.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public let status: Int
    public let code: String
    public let message: String
    public var headers: HTTPHeaders

    public static let maxMessageLength = 1000

    public init(status: Int, code: String, message: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.code = code
        self.message = Self.bounded(message)
        self.headers = headers
    }

    static func bounded(_ message: String) -> String {
        guard message.utf8.count > maxMessageLength else { return message }
        let kept = message.prefix(maxMessageLength)
        return "\(kept)… (\(message.count - kept.count) more characters)"
    }

    public var description: String { "HTTP \(status) \(code): \(message)" }

    public static func badRequest(_ message: String, code: String = "bad_request") -> HTTPError {
        HTTPError(status: 400, code: code, message: message)
    }
    public static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(status: 401, code: "unauthorized", message: message, headers: ["WWW-Authenticate": "Bearer"])
    }
    public static func forbidden(_ message: String) -> HTTPError {
        HTTPError(status: 403, code: "forbidden", message: message)
    }
    public static func notFound(_ message: String, code: String = "not_found") -> HTTPError {
        HTTPError(status: 404, code: code, message: message)
    }
    public static func methodNotAllowed(_ method: HTTPMethod, allowed: [HTTPMethod]) -> HTTPError {
        HTTPError(
            status: 405, code: "method_not_allowed",
            message: "\(method) is not allowed here; use \(allowed.map(\.rawValue).sorted().joined(separator: ", "))",
            headers: ["Allow": allowed.map(\.rawValue).sorted().joined(separator: ", ")])
    }
    public static func conflict(_ message: String, code: String = "conflict") -> HTTPError {
        HTTPError(status: 409, code: code, message: message)
    }
    public static func payloadTooLarge(limit: Int) -> HTTPError {
        HTTPError(
            status: 413, code: "payload_too_large", message: "the request body exceeds the limit of \(limit) bytes")
    }
    public static func unprocessable(_ message: String, code: String = "unprocessable") -> HTTPError {
        HTTPError(status: 422, code: code, message: message)
    }
    public static func unavailable(_ message: String, retryAfterSeconds: Int) -> HTTPError {
        HTTPError(
            status: 503, code: "unavailable", message: message, headers: ["Retry-After": String(retryAfterSeconds)])
    }
    public static let internalError = HTTPError(status: 500, code: "internal", message: "internal error")
}
