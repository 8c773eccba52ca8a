import Foundation

/// One numbered schema change: `NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// A fingerprint of the SQL, so an applied migration that was edited afterwards is noticed.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case badFileName(String)
    case duplicateVersion(Int)
    case databaseNewerThanCode(databaseVersion: Int, knownVersion: Int)
    case editedAfterApply(version: Int, name: String)

    public var description: String {
        switch self {
        case .badFileName(let name):
            "migration file \(name) is not named NNNN_name.sql"
        case .duplicateVersion(let version):
            "two migrations have version \(version)"
        case .databaseNewerThanCode(let databaseVersion, let knownVersion):
            "the database schema is at version \(databaseVersion) but this build knows only up to \(knownVersion); "
                + "run a newer build"
        case .editedAfterApply(let version, let name):
            "migration \(version) (\(name)) was changed after it was applied; add a new migration instead"
        }
    }
}

/// Applies numbered migrations in order, each in its own transaction together
/// with its record in the bookkeeping table. Concurrent migrators (several
/// replicas starting at once) take turns through an advisory lock.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    public let table: String

    public init(migrations: [Migration], table: String = "public.steward_schema_migrations") throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.version == b.version {
            throw MigrationError.duplicateVersion(a.version)
        }
        self.migrations = sorted
        self.table = table
    }

    /// Reads `NNNN_name.sql` files from a directory.
    public static func load(directory: URL) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return try names.filter { $0.hasSuffix(".sql") }.map { file in
            let stem = String(file.dropLast(4))
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]) else {
                throw MigrationError.badFileName(file)
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            return Migration(version: version, name: String(parts[1]), sql: sql)
        }
    }

    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Brings the database up to the latest version. Returns the migrations applied now.
    @discardableResult
    public func migrate(_ connection: PostgresConnection) throws -> [Migration] {
        let lockKey = PostgresConnection.advisoryKey("steward.migrations")
        try connection.advisoryLock(lockKey)
        defer { _ = try? connection.advisoryUnlock(lockKey) }
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS \(table) (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let applied = try appliedVersions(connection)
        if let newest = applied.keys.max(), newest > latestVersion {
            throw MigrationError.databaseNewerThanCode(databaseVersion: newest, knownVersion: latestVersion)
        }
        for migration in migrations {
            if let checksum = applied[migration.version], checksum != migration.checksum {
                throw MigrationError.editedAfterApply(version: migration.version, name: migration.name)
            }
        }
        var done: [Migration] = []
        for migration in migrations where applied[migration.version] == nil {
            try connection.withTransaction {
                // A migration may rewrite a large table: no statement timeout for it.
                try connection.execute("SET LOCAL statement_timeout = 0")
                try connection.execute(migration.sql)
                try connection.query(
                    """
                    INSERT INTO \(raw: table) (version, name, checksum) VALUES (\(migration.version),
                        \(migration.name), \(migration.checksum))
                    """
                )
            }
            done.append(migration)
        }
        return done
    }

    /// The highest applied version, or 0 for an empty database.
    public func currentVersion(_ connection: PostgresConnection) throws -> Int {
        let exists: Bool = try connection.query("SELECT to_regclass(\(table)) IS NOT NULL").first?.get(0) ?? false
        guard exists else { return 0 }
        return try appliedVersions(connection).keys.max() ?? 0
    }

    private func appliedVersions(_ connection: PostgresConnection) throws -> [Int: String] {
        var versions: [Int: String] = [:]
        for row in try connection.query("SELECT version, checksum FROM \(raw: table)") {
            versions[try row.get(0)] = try row.get(1)
        }
        return versions
    }
}
