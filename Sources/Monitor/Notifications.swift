import Foundation
import HTTPKit
import Postgres
import Telemetry

/// The notification outbox: rows written in the transaction of the change they
/// announce, delivered later by `deliver` as JSON POSTs with backoff.
public enum Notifications {
    public static func queue(_ c: PostgresConnection, kind: String, payload: [String: Any]) throws {
        let data = try JSONSerialization.data(
            withJSONObject: payload.merging(["kind": kind]) { old, _ in old }, options: [.sortedKeys])
        _ = try c.query(
            """
            INSERT INTO steward.notifications (kind, payload) VALUES (\(kind),
                \(String(decoding: data, as: UTF8.self))::jsonb)
            """
        )
    }

    /// Posts what is due to `webhook`; failures are retried later (1 s doubling to 10 min).
    @discardableResult
    public static func deliver(
        pool: PostgresPool, client: HTTPClient, webhook: String, now: Date = Date(), logger: Logger
    ) throws -> Int {
        let due = try pool.query(
            """
            SELECT id, payload::text AS payload, attempts FROM steward.notifications
            WHERE delivered_at IS NULL AND next_attempt_at <= \(now) ORDER BY id LIMIT 100
            """)
        var delivered = 0
        for row in due {
            let id: Int64 = try row.get("id"), attempts: Int = try row.get("attempts")
            var request = ClientRequest(
                .POST, webhook, headers: ["Content-Type": "application/json", "X-Steward-Notification": String(id)],
                body: Data(try row.get("payload", as: String.self).utf8), idempotent: true)
            request.timeout = .seconds(5)
            do {
                _ = try client.send(request).success()
                _ = try pool.query(
                    "UPDATE steward.notifications SET delivered_at = now(), attempts = attempts + 1 WHERE id = \(id)")
                delivered += 1
            } catch {
                let delay = min(600.0, pow(2.0, Double(attempts)))
                _ = try pool.query(
                    """
                    UPDATE steward.notifications SET attempts = attempts + 1, last_error =
                        \(String("\(error)".prefix(500))), next_attempt_at = \(now.addingTimeInterval(delay)) WHERE id
                            = \(id)
                    """)
                logger.warning(
                    "webhook delivery failed; will retry",
                    ["notification": .int(Int(id)), "attempts": .int(attempts + 1)])
            }
        }
        return delivered
    }
}
