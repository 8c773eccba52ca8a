-- Alerts with a life cycle: a firing alert resolves only after its value has stayed
-- under the threshold for resolve_after_seconds (so one quiet window does not end a
-- drift episode); an operator may acknowledge an alert (who, when) and silence a
-- rule's notifications until a time. A resolved alert keeps the value it ended on.
ALTER TABLE steward.alert_rules
    ADD COLUMN resolve_after_seconds integer NOT NULL DEFAULT 0 CHECK (resolve_after_seconds >= 0),
    ADD COLUMN resolving_since timestamptz,
    ADD COLUMN silenced_until timestamptz,
    ADD COLUMN silenced_by text;
ALTER TABLE steward.alerts
    ADD COLUMN acknowledged_at timestamptz,
    ADD COLUMN acknowledged_by text,
    ADD COLUMN resolved_value double precision;
