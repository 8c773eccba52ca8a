/// A failure talking to PostgreSQL. `description` carries the server's primary
/// message and SQLSTATE but never bound parameter values or the server's DETAIL
/// (which can echo row values); `detail` keeps that for callers who want it.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case connectionFailed = "connection_failed"
        case connectionLost = "connection_lost"
        case queryFailed = "query_failed"
        case invalidParameter = "invalid_parameter"
        case decodingFailed = "decoding_failed"
        case copyFailed = "copy_failed"
        case poolTimeout = "pool_timeout"
        case poolClosed = "pool_closed"
    }

    public let code: Code
    /// The five-character SQLSTATE when the server sent one.
    public let sqlState: String?
    public let message: String
    public let detail: String?
    /// The constraint a violation names, when the server said.
    public let constraint: String?

    public init(code: Code, sqlState: String? = nil, message: String, detail: String? = nil, constraint: String? = nil)
    {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
    }

    public var description: String {
        if let sqlState { return "postgres \(code.rawValue) [\(sqlState)]: \(message)" }
        return "postgres \(code.rawValue): \(message)"
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
    public var isCheckViolation: Bool { sqlState == "23514" }
    public var isSerializationFailure: Bool { sqlState == "40001" || sqlState == "40P01" }
    /// The connection is gone: retrying on a fresh connection may succeed.
    public var isConnectionError: Bool {
        code == .connectionFailed || code == .connectionLost || (sqlState?.hasPrefix("08") ?? false)
            || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
    }
}
