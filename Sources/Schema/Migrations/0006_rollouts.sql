-- Canary rollouts: one active per model; the phase is computed from this row,
-- and every decision is an event written in the same transaction.
CREATE TABLE steward.rollouts (
    id              bigserial PRIMARY KEY,
    model_id        bigint NOT NULL REFERENCES steward.registered_models (id) ON DELETE CASCADE,
    stable_version  integer,
    canary_version  integer NOT NULL,
    steps           jsonb NOT NULL,
    analysis        jsonb NOT NULL,
    step_index      integer NOT NULL DEFAULT 0,
    weight          integer NOT NULL DEFAULT 0 CHECK (weight BETWEEN 0 AND 100),
    phase           text NOT NULL CHECK (phase IN ('Progressing', 'Paused', 'Promoted', 'Aborted')),
    step_started_at timestamptz NOT NULL,
    failures        integer NOT NULL DEFAULT 0,
    reason          text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX rollouts_one_active ON steward.rollouts (model_id) WHERE phase IN ('Progressing', 'Paused');

CREATE TABLE steward.rollout_events (
    id         bigserial PRIMARY KEY,
    rollout_id bigint NOT NULL REFERENCES steward.rollouts (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL DEFAULT now(),
    step_index integer NOT NULL,
    weight     integer NOT NULL,
    kind       text NOT NULL,
    detail     text NOT NULL DEFAULT ''
);
CREATE INDEX rollout_events_rollout ON steward.rollout_events (rollout_id, id);
