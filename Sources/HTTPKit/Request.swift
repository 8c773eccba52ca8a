import Foundation

public struct Request: Sendable {
    public let method: HTTPMethod
    /// The path without the query string, percent-decoded.
    public let path: String
    /// The first value of each query parameter.
    public let query: [String: String]
    /// Every value of each query parameter, in order (`run_ids=a&run_ids=b`).
    public let queryValues: [String: [String]]
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

    public init(
        method: HTTPMethod, path: String, query: [String: String] = [:], queryValues: [String: [String]]? = nil,
        headers: HTTPHeaders = HTTPHeaders(), body: Data = Data(), bodyFile: URL? = nil,
        requestID: String = RequestID.make()
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.queryValues = queryValues ?? query.mapValues { [$0] }
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

public enum RequestID {
    /// A caller's `X-Request-Id` when it is short and plain; otherwise a new random one.
    public static func accept(_ incoming: String?) -> String {
        if let incoming, (1...128).contains(incoming.utf8.count),
            incoming.utf8.allSatisfy({ isAllowed($0) })
        {
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
        (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x2D || c == 0x5F
            || c == 0x2E
    }
}
