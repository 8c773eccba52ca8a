import Foundation

public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let GET = HTTPMethod(rawValue: "GET")
    public static let HEAD = HTTPMethod(rawValue: "HEAD")
    public static let POST = HTTPMethod(rawValue: "POST")
    public static let PUT = HTTPMethod(rawValue: "PUT")
    public static let PATCH = HTTPMethod(rawValue: "PATCH")
    public static let DELETE = HTTPMethod(rawValue: "DELETE")
    public static let OPTIONS = HTTPMethod(rawValue: "OPTIONS")

    public var description: String { rawValue }
    /// Safe to send twice: what retries may repeat.
    public var isIdempotent: Bool { [.GET, .HEAD, .PUT, .DELETE, .OPTIONS].contains(self) }
}

/// Header fields in order, looked up without regard to case.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    public subscript(name: String) -> String? {
        fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    public mutating func set(_ name: String, _ value: String) {
        fields.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        fields.append((name, value))
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }
}

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
        HTTPError(status: 405, code: "method_not_allowed",
                  message: "\(method) is not allowed here; use \(allowed.map(\.rawValue).sorted().joined(separator: ", "))",
                  headers: ["Allow": allowed.map(\.rawValue).sorted().joined(separator: ", ")])
    }
    public static func conflict(_ message: String, code: String = "conflict") -> HTTPError {
        HTTPError(status: 409, code: code, message: message)
    }
    public static func payloadTooLarge(limit: Int) -> HTTPError {
        HTTPError(status: 413, code: "payload_too_large", message: "the request body exceeds the limit of \(limit) bytes")
    }
    public static func unprocessable(_ message: String, code: String = "unprocessable") -> HTTPError {
        HTTPError(status: 422, code: code, message: message)
    }
    public static func unavailable(_ message: String, retryAfterSeconds: Int) -> HTTPError {
        HTTPError(status: 503, code: "unavailable", message: message, headers: ["Retry-After": String(retryAfterSeconds)])
    }
    public static let internalError = HTTPError(status: 500, code: "internal", message: "internal error")
}

public struct Request: Sendable {
    public let method: HTTPMethod
    /// The path without the query string, percent-decoded.
    public let path: String
    public let query: [String: String]
    public let headers: HTTPHeaders
    public let body: Data
    /// For routes that stream their body to disk: the file holding it. The handler
    /// may move it; whatever is left is deleted after the response.
    public let bodyFile: URL?
    public internal(set) var pathParameters: [String: String] = [:]
    /// The route pattern that matched, e.g. `/api/v1/runs/{id}` (a low-cardinality label).
    public internal(set) var route: String = ""
    public let requestID: String
    /// When the server began receiving it (its headers were in): latencies count from here.
    public internal(set) var received: ContinuousClock.Instant = .now

    public init(method: HTTPMethod, path: String, query: [String: String] = [:], headers: HTTPHeaders = HTTPHeaders(),
                body: Data = Data(), bodyFile: URL? = nil, requestID: String = RequestID.make()) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.bodyFile = bodyFile
        self.requestID = requestID
    }

    /// The token of an `Authorization: Bearer ...` header.
    public var bearerToken: String? {
        guard let value = headers["Authorization"] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    public func parameter(_ name: String) throws(HTTPError) -> String {
        guard let value = pathParameters[name] else { throw .badRequest("missing path parameter \(name)") }
        return value
    }

    /// The body decoded as JSON; a clear 400 naming the field when it does not fit.
    public func json<T: Decodable>(_ type: T.Type = T.self) throws(HTTPError) -> T {
        try JSON.decode(type, from: body.isEmpty ? Data("{}".utf8) : body)
    }

    /// An integer query parameter within bounds, or the default when absent.
    public func queryInt(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(HTTPError) -> Int {
        guard let text = query[name] else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw .badRequest("query parameter \(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}

public struct Response: Sendable {
    public enum Body: Sendable {
        case bytes(Data)
        /// Sent from disk without reading it into memory.
        case file(path: String, size: Int)
    }

    public var status: Int
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: Body = .bytes(Data())) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json<T: Encodable>(_ value: T, status: Int = 200) -> Response {
        do {
            return Response(status: status, headers: ["Content-Type": "application/json"], body: .bytes(try JSON.encoder.encode(value)))
        } catch {
            return Response(status: 500, headers: ["Content-Type": "application/json"],
                            body: .bytes(Data(#"{"error":{"code":"internal","message":"response encoding failed"}}"#.utf8)))
        }
    }

    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: ["Content-Type": contentType], body: .bytes(Data(text.utf8)))
    }

    public static func empty(status: Int = 204) -> Response { Response(status: status) }

    /// Steward's error shape: `{"error": {"code": "...", "message": "..."}}`.
    public static func error(_ error: HTTPError) -> Response {
        struct Envelope: Encodable {
            struct Detail: Encodable { let code: String; let message: String }
            let error: Detail
        }
        var response = Response.json(Envelope(error: .init(code: error.code, message: error.message)), status: error.status)
        for (name, value) in error.headers { response.headers.set(name, value) }
        return response
    }
}

public enum RequestID {
    /// A caller's `X-Request-Id` when it is short and plain; otherwise a new random one.
    public static func accept(_ incoming: String?) -> String {
        if let incoming, (1...128).contains(incoming.utf8.count),
           incoming.utf8.allSatisfy({ isAllowed($0) }) {
            return incoming
        }
        return make()
    }

    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    private static func isAllowed(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x2D || c == 0x5F || c == 0x2E
    }
}
