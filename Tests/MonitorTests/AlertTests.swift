import Foundation
import HTTPKit
@testable import Monitor
import Postgres
import Registry
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

        // The alert changes were recorded before anyone subscribed: a subscriber gets what happens after it.
        #expect(
            try pool.query("SELECT count(*) AS n FROM steward.webhook_deliveries").first!.get("n", as: Int.self) == 0)

        // A receiver that answers 500 three times, then accepts; it checks every signature.
        let received = Mutex<[(event: String, body: String)]>([])
        let calls = Atomic<Int>(0)
        let secret = Mutex<String>("")
        var router = Router()
        router.post("/hook") { request in
            let expected = WebhookDispatcher.signature(body: request.body, secret: secret.withLock { $0 })
            guard request.headers["X-Steward-Signature"] == expected else {
                throw HTTPError.unauthorized("bad signature")
            }
            if calls.add(1, ordering: .relaxed).newValue <= 3 { return .text("not yet", status: 500) }
            received.withLock {
                $0.append((request.headers["X-Steward-Event-Id"] ?? "", String(decoding: request.body, as: UTF8.self)))
            }
            return .empty()
        }
        let server = HTTPServer(configuration: .init(), router: router, logger: Logger(label: "hook", level: .error))
        try server.start()
        defer { server.shutdown() }
        let store = WebhookStore(pool: pool)
        let created = try pool.withTransaction {
            try store.create(
                $0, name: "ops", url: "http://127.0.0.1:\(server.port)/hook", events: ["alert.firing"], by: "test")
        }
        secret.withLock { $0 = created.secret }
        try window(start.addingTimeInterval(1000), 0.5)
        #expect(try evaluator.evaluate(now: start.addingTimeInterval(1001)).isEmpty)  // pending again
        #expect(try evaluator.evaluate(now: start.addingTimeInterval(1602)) == ["drift"])  // fires again
        try window(start.addingTimeInterval(1700), 0.05)
        #expect(try evaluator.evaluate(now: start.addingTimeInterval(1701)) == ["drift"])  // resolved: not subscribed
        let dispatcher = WebhookDispatcher(store: store, isLeader: { true }, logger: Logger(label: "t", level: .error))
        // Three 500s, each retried after 1, 2 and 4 s, then the fourth attempt delivers.
        var now = Date()
        #expect(try dispatcher.deliver(now: now) == 0)
        for wait in [1.0, 2, 4] {
            now = now.addingTimeInterval(wait)
            #expect(try dispatcher.deliver(now: now.addingTimeInterval(-0.01)) == 0)  // not due before its time
            #expect(calls.load(ordering: .relaxed) == [1.0: 1, 2: 2, 4: 3][wait])
            _ = try dispatcher.deliver(now: now)
        }
        #expect(try dispatcher.deliver(now: now.addingTimeInterval(3600)) == 0)  // delivered once, not again
        let bodies = received.withLock { $0 }
        #expect(calls.load(ordering: .relaxed) == 4 && bodies.count == 1)
        let first = try #require(bodies.first)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(first.body.utf8)) as? [String: Any])
        #expect(body["kind"] as? String == "alert.firing" && body["state"] as? String == "firing")
        #expect(body["event_id"] as? String == bodies.first?.event && body["model"] as? String == "m")
        let log = try store.deliveries(name: "ops", limit: 10)
        #expect(log.count == 1)
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
