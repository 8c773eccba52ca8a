import Foundation
import Telemetry

/// A bounded pool of connections shared by threads. A caller borrows one
/// connection for the length of a closure; nobody else uses it meanwhile.
///
/// Health: an idle connection is checked before it is lent (no round trip; see
/// `PostgresConnection.isHealthy`), so after a server restart the next caller
/// gets a fresh connection instead of a dead one. A connection returned broken
/// or with a transaction left open is closed rather than reused.
public final class PostgresPool: @unchecked Sendable {
    public struct Options: Sendable {
        public var maxConnections: Int
        public var acquireTimeout: Duration
        public init(maxConnections: Int = 10, acquireTimeout: Duration = .seconds(10)) {
            self.maxConnections = maxConnections
            self.acquireTimeout = acquireTimeout
        }
    }

    public let configuration: PostgresConfiguration
    public let options: Options
    private let logger: Logger
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiting = 0
    private var closed = false
    /// The last failed connection attempt: for a moment after it, callers that need a
    /// new connection fail at once instead of each waiting out a connect timeout
    /// against a database that is down.
    private var lastConnectFailure: (at: ContinuousClock.Instant, error: PostgresError)?
    static let failFastWindow: Duration = .milliseconds(100)

    public init(configuration: PostgresConfiguration, options: Options = Options(), logger: Logger) {
        precondition(options.maxConnections > 0, "a pool needs at least one connection")
        self.configuration = configuration
        self.options = options
        self.logger = logger.labelled("postgres.pool")
    }

    deinit { close() }

    /// Lends a connection to `body` and takes it back afterwards.
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try acquire()
        defer { release(connection) }
        return try body(connection)
    }

    public func withTransaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection { connection in try connection.withTransaction { try body(connection) } }
    }

    /// A transaction that is run again when PostgreSQL aborts it as a deadlock victim
    /// or for a serialization failure (up to `attempts` times, after a short random
    /// pause), so such a conflict between concurrent writers never reaches the caller.
    /// For bodies with no effect outside the database: a retried body runs twice.
    public func withRetryingTransaction<T>(attempts: Int = 5, _ body: (PostgresConnection) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try withTransaction(body)
            } catch let error as PostgresError where error.isSerializationFailure && attempt < attempts {
                usleep(UInt32.random(in: 1_000...(5_000 * UInt32(attempt))))
                attempt += 1
            }
        }
    }

    /// One statement on a connection borrowed for it.
    @discardableResult
    public func query(_ sql: SQL) throws -> PostgresRows {
        try withConnection { try $0.query(sql) }
    }

    /// Closes idle connections and refuses new loans; borrowed ones close when returned.
    public func close() {
        condition.lock()
        closed = true
        let toClose = idle
        idle.removeAll()
        open -= toClose.count
        condition.broadcast()
        condition.unlock()
        _ = toClose
    }

    public struct Statistics: Sendable, Equatable {
        public let open: Int
        public let idle: Int
        public let waiting: Int
    }

    public var statistics: Statistics {
        condition.lock()
        defer { condition.unlock() }
        return Statistics(open: open, idle: idle.count, waiting: waiting)
    }

    private func acquire() throws -> PostgresConnection {
        let deadline = Date().addingTimeInterval(options.acquireTimeout.milliseconds / 1000)
        condition.lock()
        while true {
            if closed {
                condition.unlock()
                throw PostgresError(code: .poolClosed, message: "the connection pool is closed")
            }
            if let connection = idle.popLast() {
                condition.unlock()
                if connection.isHealthy { return connection }
                logger.warning("dropping a broken idle connection")
                condition.lock()
                open -= 1
                continue
            }
            if open < options.maxConnections {
                if let failure = lastConnectFailure, failure.at.duration(to: .now) < Self.failFastWindow {
                    condition.unlock()
                    throw failure.error
                }
                open += 1
                condition.unlock()
                do {
                    let connection = try PostgresConnection(configuration: configuration)
                    condition.lock()
                    lastConnectFailure = nil
                    condition.unlock()
                    return connection
                } catch {
                    condition.lock()
                    open -= 1
                    if let error = error as? PostgresError { lastConnectFailure = (.now, error) }
                    condition.signal()
                    condition.unlock()
                    throw error
                }
            }
            waiting += 1
            let signalled = condition.wait(until: deadline)
            waiting -= 1
            if !signalled, idle.isEmpty, open >= options.maxConnections {
                condition.unlock()
                throw PostgresError(
                    code: .poolTimeout,
                    message:
                        "no database connection free after \(options.acquireTimeout) (\(options.maxConnections) in use)"
                )
            }
        }
    }

    private func release(_ connection: PostgresConnection) {
        var reusable = connection.isHealthy
        if reusable, connection.isInTransaction {
            // A caller left a transaction open; never hand that state to the next one.
            reusable = (try? connection.execute("ROLLBACK")) != nil
        }
        condition.lock()
        if reusable, !closed {
            idle.append(connection)
        } else {
            open -= 1
        }
        condition.signal()
        condition.unlock()
    }
}
