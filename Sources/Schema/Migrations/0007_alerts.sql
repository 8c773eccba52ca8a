-- Alert rules over what the monitor stores, their state, and an outbox of
-- webhook notifications (alert changes and rollout decisions), delivered with retries.
CREATE TABLE steward.alert_rules (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    metric        text NOT NULL CHECK (metric IN ('input_psi', 'error_rate', 'latency_p99_ms')),
    model_name    text NOT NULL,
    threshold     double precision NOT NULL,
    for_seconds   integer NOT NULL DEFAULT 0 CHECK (for_seconds >= 0),
    enabled       boolean NOT NULL DEFAULT true,
    pending_since timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE steward.alerts (
    id         bigserial PRIMARY KEY,
    rule_id    bigint NOT NULL REFERENCES steward.alert_rules (id) ON DELETE CASCADE,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    value      double precision NOT NULL
);
CREATE UNIQUE INDEX alerts_one_open ON steward.alerts (rule_id) WHERE ended_at IS NULL;

CREATE TABLE steward.notifications (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    payload         jsonb NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_due ON steward.notifications (next_attempt_at) WHERE delivered_at IS NULL;
