import HTTPKit
import Postgres

/// What the store refuses, independent of which API asked. Each API view turns
/// it into its own error shape (`{"error": {...}}` or MLflow's `error_code`).
public enum RegistryError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    /// The thing exists already; `existingID` lets idempotent callers carry on.
    case alreadyExists(String, existingID: String?)
    case invalid(String)
    /// A promotion policy that does not parse (the message says where).
    case invalidPolicy(String)
    /// A valid request that conflicts with the current state (e.g. a deleted run).
    case conflict(String)

    public var description: String {
        switch self {
        case .notFound(let message), .alreadyExists(let message, _), .invalid(let message), .invalidPolicy(let message),
            .conflict(let message):
            message
        }
    }

    /// Steward's native API: 404, 409 with the existing id, 400, 409.
    var native: HTTPError {
        switch self {
        case .notFound(let message): .notFound(message)
        case .alreadyExists(let message, let id):
            HTTPError(
                status: 409, code: "already_exists", message: id.map { "\(message) (id \($0))" } ?? message,
                headers: id.map { ["X-Existing-Id": $0] } ?? HTTPHeaders())
        case .invalid(let message): .badRequest(message, code: "invalid_argument")
        case .invalidPolicy(let message): .badRequest(message, code: "invalid_policy")
        case .conflict(let message): .conflict(message)
        }
    }

    /// MLflow's protocol: its error codes and statuses.
    var mlflow: HTTPError {
        switch self {
        case .notFound(let message): HTTPError(status: 404, code: "RESOURCE_DOES_NOT_EXIST", message: message)
        case .alreadyExists(let message, _): HTTPError(status: 400, code: "RESOURCE_ALREADY_EXISTS", message: message)
        case .invalid(let message), .invalidPolicy(let message), .conflict(let message):
            HTTPError(status: 400, code: "INVALID_PARAMETER_VALUE", message: message)
        }
    }
}

extension PostgresError {
    /// A value the database refuses as data (a NUL in text, a number out of
    /// range: SQLSTATE class 22) is the caller's mistake, not a server fault.
    var asInvalidInput: RegistryError? {
        if code == .invalidParameter {
            return .invalid("a value contains a NUL character or cannot be sent to the database")
        }
        if let state = sqlState, state.hasPrefix("22") {
            return .invalid("a value is out of range or malformed: \(message)")
        }
        return nil
    }

    /// The database unreachable, or too busy to answer in time: the caller may retry.
    var asUnavailable: HTTPError? {
        if code == .poolTimeout {
            return .unavailable(
                "the server is busy: no database connection became free in time; retry shortly", retryAfterSeconds: 1)
        }
        if sqlState == "57014" {
            return .unavailable(
                "the database cancelled the query at the statement timeout; retry later or narrow the request",
                retryAfterSeconds: 2)
        }
        if isConnectionError || code == .poolClosed {
            return .unavailable("the database is unreachable; retry shortly", retryAfterSeconds: 2)
        }
        return nil
    }

    /// A unique violation as the store's "already exists".
    func asAlreadyExists(_ message: String) -> any Error {
        isUniqueViolation ? RegistryError.alreadyExists(message, existingID: nil) : self
    }
}
