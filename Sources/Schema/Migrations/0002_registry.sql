-- Registry and tracking: tokens, audit, datasets, experiments, runs, metrics,
-- artifacts, registered models, versions, aliases.

CREATE TABLE steward.api_tokens (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    token_sha256 text NOT NULL UNIQUE,
    role         text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    revoked_at   timestamptz
);

CREATE TABLE steward.audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    action         text NOT NULL,
    target         text NOT NULL,
    payload_sha256 text,
    request_id     text
);
CREATE INDEX audit_log_at ON steward.audit_log (at DESC);
CREATE INDEX audit_log_target ON steward.audit_log (target, at DESC);

CREATE TABLE steward.datasets (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL,
    version      text NOT NULL,
    uri          text NOT NULL,
    sha256       text NOT NULL,
    rows         bigint NOT NULL CHECK (rows >= 0),
    schema       jsonb NOT NULL DEFAULT '{}',
    label_counts jsonb NOT NULL DEFAULT '{}',
    validation   jsonb NOT NULL DEFAULT '{}',
    profile      jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (name, version)
);

CREATE TABLE steward.experiments (
    id                bigserial PRIMARY KEY,
    name              text NOT NULL UNIQUE,
    artifact_location text NOT NULL DEFAULT '',
    lifecycle_stage   text NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active', 'deleted')),
    tags              jsonb NOT NULL DEFAULT '{}',
    creation_time     bigint NOT NULL,
    last_update_time  bigint NOT NULL
);

CREATE TABLE steward.runs (
    id              text PRIMARY KEY,
    experiment_id   bigint NOT NULL REFERENCES steward.experiments (id),
    name            text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('QUEUED', 'SCHEDULED', 'SUBMITTED', 'RUNNING', 'FINISHED', 'FAILED', 'KILLED')),
    lifecycle_stage text NOT NULL DEFAULT 'active' CHECK (lifecycle_stage IN ('active', 'deleted')),
    user_id         text NOT NULL DEFAULT '',
    start_time      bigint NOT NULL,
    end_time        bigint,
    artifact_uri    text NOT NULL,
    dataset_id      bigint REFERENCES steward.datasets (id),
    parent_run_id   text REFERENCES steward.runs (id),
    job_name        text,
    failure_reason  text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runs_experiment ON steward.runs (experiment_id, start_time DESC);

CREATE TABLE steward.run_params (
    run_id text NOT NULL REFERENCES steward.runs (id) ON DELETE CASCADE,
    key    text NOT NULL,
    value  text NOT NULL,
    PRIMARY KEY (run_id, key)
);

CREATE TABLE steward.run_tags (
    run_id text NOT NULL REFERENCES steward.runs (id) ON DELETE CASCADE,
    key    text NOT NULL,
    value  text NOT NULL,
    PRIMARY KEY (run_id, key)
);

-- Append-only history; `latest_metrics` holds each key's latest value (MLflow's
-- order: highest step, then latest timestamp, then largest value) for search.
CREATE TABLE steward.metrics (
    id        bigserial PRIMARY KEY,
    run_id    text NOT NULL REFERENCES steward.runs (id) ON DELETE CASCADE,
    key       text NOT NULL,
    value     double precision NOT NULL,
    step      bigint NOT NULL DEFAULT 0,
    timestamp bigint NOT NULL
);
CREATE INDEX metrics_history ON steward.metrics (run_id, key, step, timestamp);

CREATE TABLE steward.latest_metrics (
    run_id    text NOT NULL REFERENCES steward.runs (id) ON DELETE CASCADE,
    key       text NOT NULL,
    value     double precision NOT NULL,
    step      bigint NOT NULL,
    timestamp bigint NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX latest_metrics_key_value ON steward.latest_metrics (key, value);

CREATE TABLE steward.run_inputs (
    run_id      text NOT NULL REFERENCES steward.runs (id) ON DELETE CASCADE,
    name        text NOT NULL,
    digest      text NOT NULL,
    source_type text NOT NULL DEFAULT '',
    source      text NOT NULL DEFAULT '',
    schema      text NOT NULL DEFAULT '',
    profile     text NOT NULL DEFAULT '',
    tags        jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, name, digest)
);

-- Files under the artifact root, by their path below it; bytes live in the
-- content-addressed store under their sha256.
CREATE TABLE steward.artifacts (
    path       text PRIMARY KEY,
    sha256     text NOT NULL,
    size       bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE steward.registered_models (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL UNIQUE,
    description      text NOT NULL DEFAULT '',
    tags             jsonb NOT NULL DEFAULT '{}',
    policy           text,
    creation_time    bigint NOT NULL,
    last_update_time bigint NOT NULL
);

CREATE TABLE steward.model_versions (
    id               bigserial PRIMARY KEY,
    model_id         bigint NOT NULL REFERENCES steward.registered_models (id) ON DELETE CASCADE,
    version          integer NOT NULL,
    source           text NOT NULL,
    run_id           text REFERENCES steward.runs (id),
    status           text NOT NULL DEFAULT 'READY' CHECK (status IN ('PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY')),
    stage            text NOT NULL DEFAULT 'None' CHECK (stage IN ('None', 'Staging', 'Production', 'Archived')),
    description      text NOT NULL DEFAULT '',
    tags             jsonb NOT NULL DEFAULT '{}',
    artifact_sha256  text,
    metrics          jsonb NOT NULL DEFAULT '{}',
    creation_time    bigint NOT NULL,
    last_update_time bigint NOT NULL,
    UNIQUE (model_id, version)
);

CREATE TABLE steward.model_aliases (
    model_id   bigint NOT NULL REFERENCES steward.registered_models (id) ON DELETE CASCADE,
    alias      text NOT NULL,
    version_id bigint NOT NULL REFERENCES steward.model_versions (id) ON DELETE CASCADE,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, alias)
);

-- MLflow 3 logged models: what `mlflow.register_model("runs:/<id>/model")` resolves through.
CREATE TABLE steward.logged_models (
    id               text PRIMARY KEY,
    experiment_id    bigint NOT NULL REFERENCES steward.experiments (id),
    run_id           text REFERENCES steward.runs (id),
    name             text NOT NULL,
    artifact_uri     text NOT NULL,
    status           text NOT NULL DEFAULT 'PENDING',
    tags             jsonb NOT NULL DEFAULT '{}',
    params           jsonb NOT NULL DEFAULT '{}',
    creation_time    bigint NOT NULL,
    last_update_time bigint NOT NULL
);

-- MLflow's clients log to experiment 0 ("Default") unless told otherwise.
INSERT INTO steward.experiments (id, name, artifact_location, creation_time, last_update_time)
VALUES (0, 'Default', 'mlflow-artifacts:/0', (extract(epoch FROM now()) * 1000)::bigint, (extract(epoch FROM now()) * 1000)::bigint);
CREATE INDEX artifacts_prefix ON steward.artifacts (path text_pattern_ops);
