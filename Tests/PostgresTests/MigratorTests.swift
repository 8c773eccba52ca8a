import Foundation
import Postgres
import Schema
import Testing
import TestSupport

@Suite struct MigratorTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase(migrated: false) }

    let first = Migration(version: 1, name: "create", sql: "CREATE TABLE a (x int); CREATE TABLE b (y int);")
    let second = Migration(version: 2, name: "add", sql: "ALTER TABLE a ADD COLUMN z text;")

    @Test func appliesInOrderOnceAndRecordsEach() throws {
        let connection = try database.connect()
        let migrator = try Migrator(migrations: [second, first])
        #expect(try migrator.migrate(connection).map(\.version) == [1, 2])
        #expect(try migrator.migrate(connection).isEmpty)
        #expect(try migrator.currentVersion(connection) == 2)
        try connection.query("INSERT INTO a (x, z) VALUES (1, 'ok')")
    }

    @Test func aFailingMigrationLeavesNoTrace() throws {
        let connection = try database.connect()
        let broken = Migration(version: 2, name: "broken", sql: "CREATE TABLE c (x int); SELECT no_such_function();")
        let migrator = try Migrator(migrations: [first, broken])
        #expect(throws: PostgresError.self) { try migrator.migrate(connection) }
        #expect(try migrator.currentVersion(connection) == 1)
        #expect(try connection.query("SELECT to_regclass('c') IS NULL").first?.get(0) == true)
    }

    @Test func refusesADatabaseNewerThanTheCode() throws {
        let connection = try database.connect()
        try Migrator(migrations: [first, second]).migrate(connection)
        #expect(throws: MigrationError.databaseNewerThanCode(databaseVersion: 2, knownVersion: 1)) {
            try Migrator(migrations: [first]).migrate(connection)
        }
    }

    @Test func refusesAMigrationEditedAfterItWasApplied() throws {
        let connection = try database.connect()
        try Migrator(migrations: [first]).migrate(connection)
        let edited = Migration(version: 1, name: "create", sql: "CREATE TABLE a (x bigint);")
        #expect(throws: MigrationError.editedAfterApply(version: 1, name: "create")) {
            try Migrator(migrations: [edited]).migrate(connection)
        }
    }

    @Test func stewardsOwnMigrationsApplyToAnEmptyDatabase() throws {
        let connection = try database.connect()
        let migrator = try Schema.migrator()
        #expect(try migrator.migrate(connection).count == migrator.migrations.count)
        #expect(try migrator.currentVersion(connection) == migrator.latestVersion)
    }

    /// Migration 0010 traded the metric history's per-row foreign key for a trigger on runs:
    /// deleting a run must still delete its history (and only its history).
    @Test func deletingARunStillDeletesItsMetricHistory() throws {
        let connection = try database.connect()
        _ = try Schema.migrator().migrate(connection)
        try connection.execute(
            """
            INSERT INTO steward.experiments (id, name, creation_time, last_update_time) VALUES (900, 'cascade', 0, 0);
            INSERT INTO steward.runs (id, experiment_id, status, start_time, artifact_uri)
                VALUES ('gone', 900, 'RUNNING', 0, ''), ('kept', 900, 'RUNNING', 0, '');
            INSERT INTO steward.metrics (run_id, key, value, step, timestamp)
                SELECT r, 'loss', g, g, g FROM unnest(ARRAY['gone', 'kept']) AS r, generate_series(1, 5) AS g;
            DELETE FROM steward.runs WHERE id = 'gone';
            """)
        let left = try connection.query("SELECT run_id, count(*)::int AS n FROM steward.metrics GROUP BY run_id")
        #expect(left.count == 1)
        #expect(try left[0].get("run_id") == "kept")
        #expect(try left[0].get("n") == 5)
    }
}
