import Foundation
import Postgres
import Schema
import Synchronization
import Telemetry

/// A fresh, migrated database for one test or suite, copied from a template so
/// tests run in parallel without seeing each other's rows. Dropped on deinit.
///
/// The server is `STEWARD_TEST_DATABASE_URL` when set (the test script sets it);
/// otherwise the repository's test cluster, started on first use.
public final class TestDatabase: @unchecked Sendable {
    public let name: String
    public let configuration: PostgresConfiguration
    public let pool: PostgresPool

    public init(migrated: Bool = true, maxConnections: Int = 8) throws {
        let admin = try Self.adminConfiguration()
        name = "t_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20))"
        let connection = try PostgresConnection(configuration: admin)
        if migrated {
            let template = try Self.template(admin: admin)
            try connection.execute("CREATE DATABASE \(name) TEMPLATE \(template)")
        } else {
            try connection.execute("CREATE DATABASE \(name)")
        }
        configuration = admin.withDatabase(name)
        pool = PostgresPool(
            configuration: configuration, options: .init(maxConnections: maxConnections),
            logger: Logger(label: "test", level: .error))
    }

    deinit {
        pool.close()
        if let admin = try? Self.adminConfiguration(), let connection = try? PostgresConnection(configuration: admin) {
            _ = try? connection.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }

    public func connect() throws -> PostgresConnection { try PostgresConnection(configuration: configuration) }

    // MARK: - the server and the template

    private static let admin = Mutex<PostgresConfiguration?>(nil)
    private static let templates = Mutex<[String: String]>([:])

    public static func adminConfiguration() throws -> PostgresConfiguration {
        try admin.withLock { cached in
            if let cached { return cached }
            let url: String
            if let fromEnvironment = TestEnvironment.environment("STEWARD_TEST_DATABASE_URL") {
                url = fromEnvironment
            } else {
                let script = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/pg.sh").path
                let started = try Subprocess.run("/bin/bash", [script, "start", "--test"])
                guard started.status == 0 else {
                    throw TestSupportError("could not start the test PostgreSQL cluster: \(started.stderr)")
                }
                url = try Subprocess.run("/bin/bash", [script, "url", "--test"]).stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let configuration = PostgresConfiguration(url: url, applicationName: "steward-tests")
            cached = configuration
            return configuration
        }
    }

    /// A migrated template database named after the migrations' checksums, so an
    /// edited migration gets a new template. Built once per server, under a lock
    /// so parallel test processes do not race.
    private static func template(admin: PostgresConfiguration) throws -> String {
        let migrator = try Schema.migrator()
        let fingerprint = PostgresConnection.advisoryKey(migrator.migrations.map(\.checksum).joined(separator: ","))
        let name = "steward_template_\(String(UInt64(bitPattern: fingerprint), radix: 16))"
        return try templates.withLock { known in
            if let existing = known[admin.url] { return existing }
            let connection = try PostgresConnection(configuration: admin)
            let lock = PostgresConnection.advisoryKey("steward.test-template")
            try connection.advisoryLock(lock)
            defer { _ = try? connection.advisoryUnlock(lock) }
            let exists = try connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)").count > 0
            if !exists {
                try connection.execute("CREATE DATABASE \(name)_building")
                do {
                    let building = try PostgresConnection(configuration: admin.withDatabase("\(name)_building"))
                    try migrator.migrate(building)
                }
                try connection.execute("ALTER DATABASE \(name)_building RENAME TO \(name)")
            }
            known[admin.url] = name
            return name
        }
    }
}

/// A private PostgreSQL cluster for tests that stop and restart the server.
public final class ScratchCluster: @unchecked Sendable {
    public let directory: URL
    public private(set) var port: Int
    public var url: String { "postgresql://steward@127.0.0.1:\(port)/steward" }
    public var configuration: PostgresConfiguration {
        PostgresConfiguration(url: url, applicationName: "steward-tests")
    }

    /// Ports below Linux's ephemeral range (32768-60999 by default), so no outgoing
    /// connection of a concurrent test holds the port, now or when the cluster restarts.
    /// Another scratch cluster may still have drawn it: the first start tries a few.
    public init() throws {
        directory = try TestEnvironment.temporaryDirectory("steward-pg")
        port = Int.random(in: 20000...32000)
        for attempt in 1...5 {
            do {
                try start()
                return
            } catch _ where attempt < 5 {
                port = Int.random(in: 20000...32000)
            }
        }
    }

    public func start() throws { try pg("start") }
    public func stop() throws { try pg("stop") }

    private func pg(_ command: String) throws {
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/pg.sh").path
        let result = try Subprocess.run("/bin/bash", [script, command, "--dir", directory.path, "--port", String(port)])
        guard result.status == 0 else { throw TestSupportError("pg.sh \(command) failed: \(result.stderr)") }
    }

    deinit {
        try? stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
