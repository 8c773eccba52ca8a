import Foundation
import Synchronization
import Postgres
import Telemetry
import Testing
import TestSupport

@Suite struct PoolTests {
    @Test func poolSurvivesAServerRestart() throws {
        let cluster = try ScratchCluster()
        let pool = PostgresPool(
            configuration: cluster.configuration, options: .init(maxConnections: 2),
            logger: Logger(label: "test", level: .error))
        #expect(try pool.query("SELECT 41 + 1").first?.get(0) == 42)
        try cluster.stop()
        let whileDown = #expect(throws: PostgresError.self) { try pool.query("SELECT 1") }
        #expect(whileDown?.isConnectionError == true)
        try cluster.start()
        #expect(try pool.query("SELECT 7").first?.get(0) == 7)
        pool.close()
    }

    @Test func poolReplacesAConnectionTheServerTerminated() throws {
        let database = try TestDatabase(migrated: false, maxConnections: 1)
        let pid: Int32 = try #require(try database.pool.query("SELECT pg_backend_pid()").first).get(0)
        let admin = try database.connect()
        try admin.query("SELECT pg_terminate_backend(\(pid))")
        // The server ends the session asynchronously: a query racing the goodbye may fail
        // once; the pool must then replace the connection rather than keep lending it.
        var pidAfter: Int32?
        var failures = 0
        while pidAfter == nil, failures < 2 {
            do { pidAfter = try database.pool.query("SELECT pg_backend_pid()").first?.get(0) } catch { failures += 1 }
        }
        #expect(failures <= 1)
        #expect(pidAfter != nil && pidAfter != pid)
    }

    @Test func exhaustedPoolTimesOutWithAClearError() throws {
        let database = try TestDatabase(migrated: false)
        let pool = PostgresPool(
            configuration: database.configuration,
            options: .init(maxConnections: 1, acquireTimeout: .milliseconds(200)),
            logger: Logger(label: "test", level: .error))
        try pool.withConnection { _ in
            let error = #expect(throws: PostgresError.self) { try pool.query("SELECT 1") }
            #expect(error?.code == .poolTimeout)
        }
        #expect(try pool.query("SELECT 1").first?.get(0) == 1)
        pool.close()
    }

    @Test func aTransactionLeftOpenIsRolledBackBeforeReuse() throws {
        let database = try TestDatabase(migrated: false, maxConnections: 1)
        try database.pool.query("CREATE TABLE t (x int)")
        try database.pool.withConnection { connection in
            try connection.execute("BEGIN")
            try connection.query("INSERT INTO t VALUES (1)")
        }
        #expect(try database.pool.query("SELECT count(*) FROM t").first?.get(0) == 0)
    }

    @Test func concurrentBorrowersNeverShareAConnection() throws {
        let database = try TestDatabase(migrated: false, maxConnections: 4)
        try database.pool.query("CREATE TABLE hits (n int)")
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            for j in 0..<25 {
                _ = try? database.pool.withTransaction { connection in
                    try connection.query("INSERT INTO hits VALUES (\(i * 100 + j))")
                }
            }
        }
        #expect(try database.pool.query("SELECT count(DISTINCT n) FROM hits").first?.get(0) == 400)
        #expect(database.pool.statistics.open <= 4)
    }

    @Test func connectingToNothingFailsClearlyWithoutThePassword() throws {
        let configuration = PostgresConfiguration(
            url: "postgresql://steward:s3cret-pass@127.0.0.1:1/none", connectTimeoutSeconds: 1)
        let error = #expect(throws: PostgresError.self) { _ = try PostgresConnection(configuration: configuration) }
        #expect(error?.code == .connectionFailed)
        #expect(error?.description.contains("s3cret-pass") == false)
    }

    /// Two transactions locking two rows in opposite orders: PostgreSQL aborts one as
    /// the deadlock victim; the retrying transaction runs it again and both commit.
    @Test func aDeadlockVictimIsRunAgain() throws {
        let database = try TestDatabase(migrated: false, maxConnections: 2)
        try database.pool.query("CREATE TABLE pair (id int PRIMARY KEY, n int NOT NULL)")
        try database.pool.query("INSERT INTO pair VALUES (1, 0), (2, 0)")
        let firstLocked = DispatchSemaphore(value: 0), secondLocked = DispatchSemaphore(value: 0)
        let attempts = Mutex([0, 0])
        let done = DispatchGroup()
        func writer(
            _ index: Int, first: Int, then second: Int, signal: DispatchSemaphore, await other: DispatchSemaphore
        ) {
            done.enter()
            Thread {
                defer { done.leave() }
                _ = try? database.pool.withRetryingTransaction { c in
                    let attempt = attempts.withLock {
                        $0[index] += 1
                        return $0[index]
                    }
                    try c.query("UPDATE pair SET n = n + 1 WHERE id = \(first)")
                    if attempt == 1 {
                        signal.signal()
                        other.wait()
                    }
                    try c.query("UPDATE pair SET n = n + 1 WHERE id = \(second)")
                }
            }.start()
        }
        writer(0, first: 1, then: 2, signal: firstLocked, await: secondLocked)
        writer(1, first: 2, then: 1, signal: secondLocked, await: firstLocked)
        done.wait()
        let counts = try database.pool.query("SELECT n FROM pair ORDER BY id").map { try $0.get(0, as: Int.self) }
        #expect(counts == [2, 2])
        #expect(attempts.withLock { $0.reduce(0, +) } == 3)
    }
}
