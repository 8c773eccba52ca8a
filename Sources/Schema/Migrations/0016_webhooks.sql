-- Signed webhooks. `notifications` stays the outbox: one row per event, written in
-- the transaction of the change it announces, now with an event id receivers
-- de-duplicate by. Subscriptions (`webhooks`) name a URL, the event kinds they want
-- (none: every kind) and a secret the body is signed with (HMAC-SHA256). Recording
-- an event fans it out, in the same transaction, into one `webhook_deliveries` row
-- per subscription: the delivery log, retried with backoff until delivered, or
-- failed for good on a 4xx answer. The outbox's own delivery columns belonged to the
-- one webhook of STEWARD_ALERT_WEBHOOK_URL, which is now a subscription like the
-- others; what it had not delivered is handed to it when stewardd starts.
ALTER TABLE steward.notifications ADD COLUMN event_id uuid NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX notifications_event_id ON steward.notifications (event_id);

CREATE TABLE steward.webhooks (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    url        text NOT NULL,
    events     text[] NOT NULL DEFAULT '{}',
    secret     text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE steward.webhook_deliveries (
    id              bigserial PRIMARY KEY,
    webhook_id      bigint NOT NULL REFERENCES steward.webhooks (id) ON DELETE CASCADE,
    notification_id bigint NOT NULL REFERENCES steward.notifications (id) ON DELETE CASCADE,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    failed_at       timestamptz,
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (webhook_id, notification_id)
);
CREATE INDEX webhook_deliveries_due ON steward.webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_log ON steward.webhook_deliveries (webhook_id, id DESC);
