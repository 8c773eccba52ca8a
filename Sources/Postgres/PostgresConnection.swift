import CLibPQ
import Foundation

/// One libpq connection (`PGconn`). Not thread-safe: a connection is used by one
/// thread at a time, which the pool guarantees by lending it to one caller.
/// Every statement with values goes through `query(_:_:)`, which binds them as
/// parameters; SQL is never assembled from data.
public final class PostgresConnection {
    let handle: OpaquePointer
    public let configuration: PostgresConfiguration
    /// Statements prepared on this connection by `query(_:_:prepared:)`: SQL text -> name.
    private var statements: [String: String] = [:]
    public static let preparedLimit = 64

    public init(configuration: PostgresConfiguration) throws {
        self.configuration = configuration
        let keywords = ["dbname", "application_name", "connect_timeout", "options"]
        let values = [
            configuration.url, configuration.applicationName, String(configuration.connectTimeoutSeconds),
            configuration.options
        ]
        let conn = CStrings.withArray(keywords) { keywordPointers in
            CStrings.withArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let conn else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = Self.connectionMessage(conn)
            PQfinish(conn)
            throw PostgresError(
                code: .connectionFailed,
                message: "cannot connect to \(configuration.redactedURL): \(message)")
        }
        self.handle = conn
    }

    deinit { PQfinish(handle) }

    /// The server process serving this connection (what `pg_terminate_backend` takes).
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Whether the connection can still be used, checked without a round trip:
    /// a connection whose server went away has a readable socket (the server's
    /// goodbye or EOF), which `PQconsumeInput` turns into a bad status.
    public var isHealthy: Bool {
        guard PQstatus(handle) == CONNECTION_OK else { return false }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) > 0 {
            if PQconsumeInput(handle) == 0 { return false }
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Whether a transaction is open (or failed and not yet rolled back).
    public var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Runs one statement with its parameters (`$1`, `$2`, ...). Callers build statements
    /// as `SQL` (values can only be binds there); this is what runs them.
    @discardableResult
    func query(text sql: String, binds: [any PostgresEncodable], prepared: Bool) throws -> PostgresRows {
        let texts = try binds.enumerated().map { index, bind -> String? in
            let text = bind.postgresText
            if let text, text.utf8.contains(0) {
                throw PostgresError(
                    code: .invalidParameter,
                    message: "parameter $\(index + 1) contains a NUL character, which PostgreSQL text cannot hold")
            }
            return text
        }
        if prepared {
            let name = try statement(for: sql, parameters: texts.count)
            let result = CStrings.withOptionalArray(texts) { values in
                PQexecPrepared(handle, name, Int32(texts.count), values, nil, nil, 0)
            }
            return try PostgresRows(checking: result, connection: self)
        }
        let result = CStrings.withOptionalArray(texts) { values in
            PQexecParams(handle, sql, Int32(texts.count), nil, values, nil, nil, 0)
        }
        return try PostgresRows(checking: result, connection: self)
    }

    /// The name `sql` is prepared under on this connection, preparing it first if needed.
    private func statement(for sql: String, parameters: Int) throws -> String {
        if let name = statements[sql] { return name }
        if statements.count >= Self.preparedLimit {
            try execute("DEALLOCATE ALL")
            statements.removeAll()
        }
        let name = "steward_\(statements.count + 1)"
        _ = try PostgresRows(checking: PQprepare(handle, name, sql, Int32(parameters), nil), connection: self)
        statements[sql] = name
        return name
    }

    /// Runs one or more statements without parameters (migrations, DDL).
    public func execute(_ sql: String) throws {
        _ = try PostgresRows(checking: PQexec(handle, sql), connection: self)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when
    /// it throws. Nested calls use a savepoint.
    public func withTransaction<T>(_ body: () throws -> T) throws -> T {
        let nested = isInTransaction
        let savepoint = "steward_sp_\(UInt32.random(in: 0...UInt32.max))"
        try execute(nested ? "SAVEPOINT \(savepoint)" : "BEGIN")
        do {
            let value = try body()
            try execute(nested ? "RELEASE SAVEPOINT \(savepoint)" : "COMMIT")
            return value
        } catch {
            if PQstatus(handle) == CONNECTION_OK {
                try? execute(nested ? "ROLLBACK TO SAVEPOINT \(savepoint)" : "ROLLBACK")
            }
            throw error
        }
    }

    func lastError(code: PostgresError.Code) -> PostgresError {
        let lost = PQstatus(handle) != CONNECTION_OK
        return PostgresError(code: lost ? .connectionLost : code, message: Self.connectionMessage(handle))
    }

    static func connectionMessage(_ conn: OpaquePointer) -> String {
        guard let raw = PQerrorMessage(conn) else { return "unknown error" }
        let text = String(cString: raw).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "unknown error" : text.replacingOccurrences(of: "\n", with: " ")
    }

    /// Quotes an identifier (a channel name for LISTEN) the way the server requires.
    func escapeIdentifier(_ name: String) throws -> String {
        guard let escaped = PQescapeIdentifier(handle, name, name.utf8.count) else {
            throw lastError(code: .invalidParameter)
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }
}

/// C string arrays that live exactly as long as the call that needs them.
enum CStrings {
    static func withArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { strdup($0) } + [nil]
        defer { copies.forEach { free($0) } }
        let constant = copies.map { UnsafePointer($0) }
        return constant.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    static func withOptionalArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        if strings.isEmpty { return body(nil) }
        let copies = strings.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        let constant = copies.map { UnsafePointer($0) }
        return constant.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
