import Foundation
import HTTPKit
@testable import Monitor
import Postgres
import Synchronization
import Telemetry
import Testing
import TestSupport

@Suite struct AlertTests {
    @Test func aRuleFiresAfterItsDurationResolvesAndTheWebhookIsRetried() throws {
        let database = try TestDatabase()
        let pool = database.pool
        _ = try pool.query(
            """
            INSERT INTO steward.alert_rules (name, metric, model_name, threshold, for_seconds) VALUES ('drift',
                'input_psi', 'm', 0.25, 600)
            """
        )
        func window(_ at: Date, _ psi: Double) throws {
            _ = try pool.query(
                """
                INSERT INTO steward.drift_windows (window_start, window_end, model_name, model_version, track, feature,
                    method, psi, current_rows)
                VALUES (\(at.addingTimeInterval(-300)), \(at), 'm', '1', 'stable', 'char_length', 'quantile', \(psi),
                    100)
                """)
        }
        let evaluator = AlertEvaluator(pool: pool)
        let start = Date()
        try window(start, 0.4)
        #expect(try evaluator.evaluate(now: start).isEmpty)  // pending, not yet firing
        #expect(try evaluator.evaluate(now: start.addingTimeInterval(601)) == ["drift"])
        #expect(try evaluator.evaluate(now: start.addingTimeInterval(700)).isEmpty)  // still firing: no second notice
        try window(start.addingTimeInterval(900), 0.05)
        #expect(try evaluator.evaluate(now: start.addingTimeInterval(901)) == ["drift"])

        // A receiver that fails once, then accepts.
        let received = Mutex<[String]>([])
        let calls = Atomic<Int>(0)
        var router = Router()
        router.post("/hook") { request in
            if calls.add(1, ordering: .relaxed).newValue == 1 {
                throw HTTPError.unavailable("busy", retryAfterSeconds: 1)
            }
            received.withLock { $0.append(String(decoding: request.body, as: UTF8.self)) }
            return .empty()
        }
        let server = HTTPServer(configuration: .init(), router: router, logger: Logger(label: "hook", level: .error))
        try server.start()
        defer { server.shutdown() }
        let client = HTTPClient(configuration: .init(retry: .none))
        let hook = "http://127.0.0.1:\(server.port)/hook"
        let logger = Logger(label: "t", level: .error)
        // The first attempt failed; the retry is not due yet.
        #expect(try Notifications.deliver(pool: pool, client: client, webhook: hook, now: Date(), logger: logger) == 1)
        #expect(try Notifications.deliver(pool: pool, client: client, webhook: hook, now: Date(), logger: logger) == 0)
        #expect(
            try Notifications.deliver(
                pool: pool, client: client, webhook: hook, now: Date().addingTimeInterval(5), logger: logger) == 1)
        let bodies = received.withLock { $0 }
        #expect(bodies.count == 2)
        let states = bodies.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["state"] as? String
        }
        #expect(Set(states) == ["firing", "resolved"])
        let open: Int = try pool.query("SELECT count(*) AS n FROM steward.alerts WHERE ended_at IS NULL").first!.get(
            "n")
        #expect(open == 0)
    }

    /// A drift episode ends only after the value has stayed under the threshold for
    /// `resolve_after_seconds`: one quiet window between loud ones does not end it.
    /// A silenced rule still opens and resolves its alert, without notifications.
    @Test func anAlertResolvesAfterItsQuietPeriodAndASilenceHoldsBackOnlyNotifications() throws {
        let database = try TestDatabase()
        let pool = database.pool
        _ = try pool.query(
            """
            INSERT INTO steward.alert_rules (name, metric, model_name, threshold, for_seconds, resolve_after_seconds,
                silenced_until)
            VALUES ('drift', 'input_psi', 'm', 0.25, 0, 600, \(Date().addingTimeInterval(7200)))
            """)
        let start = Date()
        func window(at offset: Double, psi: Double) throws {
            _ = try pool.query(
                """
                INSERT INTO steward.drift_windows (window_start, window_end, model_name, model_version, track, feature,
                    method, psi, current_rows)
                VALUES (\(start.addingTimeInterval(offset - 300)), \(start.addingTimeInterval(offset)), 'm', '1',
                    'stable', 'char_length', 'quantile', \(psi), 100)
                """)
        }
        let evaluator = AlertEvaluator(pool: pool)
        func evaluate(at offset: Double) throws -> [String] {
            try evaluator.evaluate(now: start.addingTimeInterval(offset))
        }
        func alert() throws -> (ended: Date?, resolvedValue: Double?) {
            let row = try pool.query("SELECT ended_at, resolved_value FROM steward.alerts").first!
            return (try row.get("ended_at"), try row.get("resolved_value"))
        }

        try window(at: 0, psi: 0.5)
        #expect(try evaluate(at: 1) == ["drift"])  // fires at once (for_seconds 0)
        try window(at: 300, psi: 0.1)
        #expect(try evaluate(at: 301).isEmpty)  // quiet, but not for 600 s yet
        try window(at: 600, psi: 0.6)
        #expect(try evaluate(at: 601).isEmpty)  // loud again: the quiet period starts over
        try window(at: 900, psi: 0.1)
        #expect(try evaluate(at: 901).isEmpty)
        #expect(try evaluate(at: 1400).isEmpty)  // 499 s quiet
        #expect(try alert().ended == nil)
        #expect(try evaluate(at: 1502) == ["drift"])  // 601 s quiet: resolved
        let ended = try alert()
        #expect(ended.ended != nil && ended.resolvedValue == 0.1)
        // Silenced: the alert opened and resolved, and nobody was told.
        let notices: Int = try pool.query("SELECT count(*) AS n FROM steward.notifications").first!.get("n")
        #expect(notices == 0)
    }
}
