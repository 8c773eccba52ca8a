-- Orchestration: what a submitted training run needs, its state changes, and
-- promotion decisions.

-- A run submitted through Steward (not one logged directly by a client).
CREATE TABLE steward.run_specs (
    run_id          text PRIMARY KEY REFERENCES steward.runs (id) ON DELETE CASCADE,
    model_id        bigint NOT NULL REFERENCES steward.registered_models (id),
    dataset_id      bigint NOT NULL REFERENCES steward.datasets (id),
    base_model      text NOT NULL,
    params          jsonb NOT NULL DEFAULT '{}',
    warm_start_version integer,
    extra_data_uri  text,
    executor        text NOT NULL,
    reason          text NOT NULL DEFAULT 'manual',
    attempts        integer NOT NULL DEFAULT 0,
    submitted_at    timestamptz,
    finished_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Every status change of a run, written in the transaction that makes it.
CREATE TABLE steward.run_events (
    id          bigserial PRIMARY KEY,
    run_id      text NOT NULL REFERENCES steward.runs (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    from_status text,
    to_status   text NOT NULL,
    reason      text NOT NULL DEFAULT ''
);
CREATE INDEX run_events_run ON steward.run_events (run_id, id);

CREATE TABLE steward.promotion_decisions (
    id          bigserial PRIMARY KEY,
    model_id    bigint NOT NULL REFERENCES steward.registered_models (id) ON DELETE CASCADE,
    version     integer NOT NULL,
    policy      text NOT NULL,
    inputs      jsonb NOT NULL,
    passed      boolean NOT NULL,
    clauses     jsonb NOT NULL,
    decided_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (model_id, version)
);
