import Foundation
import Postgres
import Telemetry

/// The event outbox (`steward.notifications`): an event is written in the transaction
/// of the change it announces, so a change never happens without its event (nor the
/// other way round), and fanned out there and then into one delivery per webhook
/// subscription that wants its kind. `WebhookDispatcher` (Monitor) delivers them.
public enum Outbox {
    /// The kinds of event there are; a subscription names some of them, or none for all.
    public static let kinds = [
        "model_version.created", "model_version.stage_changed", "alias.moved", "model.rolled_back", "rollout.step",
        "rollout.paused", "rollout.aborted", "rollout.promoted", "alert.firing", "alert.resolved", "retrain.queued",
        "webhook.test"
    ]

    /// Records `kind` with `payload` in the caller's transaction. The body receivers
    /// get is the payload with `event_id`, `kind` and `at` added; `onlyTo` limits the
    /// fan-out to one subscription (a test event). Returns the event id.
    @discardableResult
    public static func record(
        _ c: PostgresConnection, kind: String, payload: [String: Any], onlyTo webhookID: Int64? = nil
    ) throws -> String {
        assert(kinds.contains(kind), "unknown event kind \(kind)")
        let eventID = UUID().uuidString.lowercased()
        let body = payload.merging(["event_id": eventID, "kind": kind, "at": Timestamp.iso8601(Date())]) { _, new in
            new
        }
        let text = String(
            decoding: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), as: UTF8.self)
        // delivered_at on the event itself now means "fanned out" (it was the one legacy webhook's).
        _ = try c.query(
            """
            WITH event AS (
                INSERT INTO steward.notifications (kind, payload, event_id, delivered_at)
                VALUES (\(kind), \(text)::jsonb, \(eventID)::uuid, now()) RETURNING id)
            INSERT INTO steward.webhook_deliveries (webhook_id, notification_id)
            SELECT w.id, event.id FROM event, steward.webhooks w
            WHERE (cardinality(w.events) = 0 OR \(kind) = ANY (w.events))
              AND (\(webhookID)::bigint IS NULL OR w.id = \(webhookID))
            """)
        return eventID
    }
}
