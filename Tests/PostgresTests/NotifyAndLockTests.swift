import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct NotifyAndLockTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase(migrated: false) }

    @Test func listenReceivesNotify() throws {
        let listener = try database.connect()
        try listener.listen("rollout events")
        try database.pool.withConnection { try $0.notify("rollout events", payload: "step 2 {\"weight\": 25}") }
        let notification = try #require(try listener.nextNotification(timeout: .seconds(5)))
        #expect(notification.channel == "rollout events")
        #expect(notification.payload == "step 2 {\"weight\": 25}")
    }

    @Test func nothingArrivesOnASilentChannel() throws {
        let listener = try database.connect()
        try listener.listen("quiet")
        #expect(try listener.nextNotification(timeout: .milliseconds(100)) == nil)
    }

    @Test func advisoryLockIsExclusiveAcrossConnections() throws {
        let first = try database.connect()
        let second = try database.connect()
        let key = PostgresConnection.advisoryKey("leader-\(database.name)")
        #expect(try first.tryAdvisoryLock(key))
        #expect(try second.tryAdvisoryLock(key) == false)
        #expect(try first.advisoryUnlock(key))
        #expect(try second.tryAdvisoryLock(key))
    }

    @Test func advisoryLockIsReleasedWhenItsConnectionCloses() throws {
        let key = PostgresConnection.advisoryKey("leader-close-\(database.name)")
        var holder: PostgresConnection? = try database.connect()
        #expect(try holder!.tryAdvisoryLock(key))
        let other = try database.connect()
        #expect(try other.tryAdvisoryLock(key) == false)
        holder = nil
        // The server releases the lock when it sees the session end; wait for that.
        var acquired = false
        for _ in 0..<200 where !acquired {
            acquired = try other.tryAdvisoryLock(key)
            if !acquired { usleep(10_000) }
        }
        #expect(acquired)
    }
}
