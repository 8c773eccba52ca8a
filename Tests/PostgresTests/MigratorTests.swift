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
}
