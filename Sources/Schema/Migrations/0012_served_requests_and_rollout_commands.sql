-- Every served request is accounted for, failed ones included. An answered request
-- is one row per text (text_index 0, 1, ...); a failed one is one row (text_index 0)
-- with its real status and an error code. Request-level signals (rates, latency)
-- read text_index = 0; text-level ones (drift, confidence) read rows with a label.
-- `source` says who saw it: steward-serve, or the local split for what only it sees
-- (the canary unreachable, timed out).
ALTER TABLE steward.prediction_log
    ADD COLUMN text_index smallint NOT NULL DEFAULT 0,
    ADD COLUMN error text,
    ADD COLUMN source text NOT NULL DEFAULT 'serve';

-- Rollups count requests (not texts); `errors` are server errors (5xx, timeouts),
-- counted apart from the client's (4xx).
ALTER TABLE steward.serving_rollup_1m ADD COLUMN client_errors bigint NOT NULL DEFAULT 0;

-- The serving processes, each beating every few seconds with the version it serves
-- (null: none loaded yet). A canary is ready when one of its track serves its version.
CREATE TABLE steward.serving_instances (
    instance      text PRIMARY KEY,
    model_name    text NOT NULL,
    track         text NOT NULL,
    model_version text,
    started_at    timestamptz NOT NULL,
    seen_at       timestamptz NOT NULL
);
CREATE INDEX serving_instances_model ON steward.serving_instances (model_name, track, seen_at);

-- Which version each track was assigned, from when to when: the `champion` alias is
-- the stable track's, `challenger` the canary's. Kept by a trigger on the aliases, so
-- every way an alias moves (API, rollout, rollback, a version deleted) is recorded.
CREATE TABLE steward.serving_assignments (
    id        bigserial PRIMARY KEY,
    model_id  bigint NOT NULL REFERENCES steward.registered_models (id) ON DELETE CASCADE,
    track     text NOT NULL CHECK (track IN ('stable', 'canary')),
    version   integer NOT NULL,
    from_at   timestamptz NOT NULL,
    to_at     timestamptz
);
CREATE UNIQUE INDEX serving_assignments_open ON steward.serving_assignments (model_id, track) WHERE to_at IS NULL;
CREATE INDEX serving_assignments_model ON steward.serving_assignments (model_id, from_at);

CREATE FUNCTION steward.record_serving_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_model bigint;
    row_alias text;
    track_name text;
    -- One instant: an interval ends exactly where the next begins.
    moved_at timestamptz := clock_timestamp();
BEGIN
    IF TG_OP = 'DELETE' THEN
        row_model := OLD.model_id; row_alias := OLD.alias;
    ELSE
        row_model := NEW.model_id; row_alias := NEW.alias;
    END IF;
    track_name := CASE row_alias WHEN 'champion' THEN 'stable' WHEN 'challenger' THEN 'canary' END;
    IF track_name IS NULL THEN RETURN NULL; END IF;
    IF TG_OP = 'UPDATE' AND OLD.version_id = NEW.version_id THEN RETURN NULL; END IF;
    UPDATE steward.serving_assignments SET to_at = moved_at
    WHERE model_id = row_model AND track = track_name AND to_at IS NULL;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO steward.serving_assignments (model_id, track, version, from_at)
        SELECT row_model, track_name, v.version, moved_at FROM steward.model_versions v WHERE v.id = NEW.version_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER model_aliases_serving_assignment AFTER INSERT OR UPDATE OR DELETE ON steward.model_aliases
    FOR EACH ROW EXECUTE FUNCTION steward.record_serving_assignment();

-- What the aliases say today, from when they were last set.
INSERT INTO steward.serving_assignments (model_id, track, version, from_at)
SELECT a.model_id, CASE a.alias WHEN 'champion' THEN 'stable' ELSE 'canary' END, v.version, a.updated_at
FROM steward.model_aliases a JOIN steward.model_versions v ON v.id = a.version_id
WHERE a.alias IN ('champion', 'challenger');

-- Operators' rollout commands are intents: an API call records one (audited), and
-- the leader's reconcile pass, the rollout's one writer, applies it and notes the
-- outcome. A rollback concerns the model (rollout_id null when none is active).
CREATE TABLE steward.rollout_commands (
    id           bigserial PRIMARY KEY,
    model_id     bigint NOT NULL REFERENCES steward.registered_models (id) ON DELETE CASCADE,
    rollout_id   bigint REFERENCES steward.rollouts (id) ON DELETE CASCADE,
    action       text NOT NULL CHECK (action IN ('promote', 'promote-full', 'abort', 'pause', 'resume', 'retry', 'rollback')),
    version      integer,
    actor        text NOT NULL,
    reason       text NOT NULL DEFAULT '',
    requested_at timestamptz NOT NULL DEFAULT now(),
    applied_at   timestamptz,
    outcome      text
);
CREATE INDEX rollout_commands_pending ON steward.rollout_commands (model_id, id) WHERE applied_at IS NULL;

-- Every write of a rollout's state is compare-and-set on the revision it read.
-- `started_at` (the rollout's or its retry's start) bounds the wait for the canary to
-- become ready (`canary_ready_at`); `extensions` counts an analysis window's extensions.
ALTER TABLE steward.rollouts
    ADD COLUMN revision bigint NOT NULL DEFAULT 0,
    ADD COLUMN started_at timestamptz,
    ADD COLUMN canary_ready_at timestamptz,
    ADD COLUMN extensions integer NOT NULL DEFAULT 0;
-- Rollouts from before: treat their canary as ready (they were already past that point).
UPDATE steward.rollouts SET started_at = created_at, canary_ready_at = created_at;
ALTER TABLE steward.rollouts ALTER COLUMN started_at SET NOT NULL, ALTER COLUMN started_at SET DEFAULT now();
