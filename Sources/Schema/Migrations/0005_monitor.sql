-- Shares compared with float8 bin edges must be stored as float8 too: a
-- float4 value rounded across an edge lands in the wrong bin.
ALTER TABLE steward.prediction_log ALTER COLUMN oov_share TYPE double precision,
                                   ALTER COLUMN non_letter_share TYPE double precision;

-- Monitoring: the training dataset's reference feature values (for Evidently's
-- binning, which needs both samples), per-minute serving rollups, drift windows.

CREATE TABLE steward.reference_values (
    dataset_id bigint NOT NULL REFERENCES steward.datasets (id) ON DELETE CASCADE,
    feature    text NOT NULL,
    value      double precision NOT NULL
);
CREATE INDEX reference_values_feature ON steward.reference_values (dataset_id, feature);

-- One row per minute per model version and track; Grafana reads it directly.
CREATE TABLE steward.serving_rollup_1m (
    minute          timestamptz NOT NULL,
    model_name      text NOT NULL,
    model_version   text NOT NULL,
    track           text NOT NULL,
    requests        bigint NOT NULL,
    errors          bigint NOT NULL,
    latency_p50_ms  double precision,
    latency_p95_ms  double precision,
    latency_p99_ms  double precision,
    mean_confidence double precision,
    label_counts    jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (minute, model_name, model_version, track)
);

CREATE TABLE steward.drift_windows (
    id            bigserial PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL,
    model_name    text NOT NULL,
    model_version text NOT NULL,
    track         text NOT NULL,
    feature       text NOT NULL,
    method        text NOT NULL CHECK (method IN ('quantile', 'evidently')),
    psi           double precision NOT NULL,
    current_rows  bigint NOT NULL,
    dataset_id    bigint REFERENCES steward.datasets (id),
    computed_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (window_start, model_name, model_version, track, feature, method)
);
CREATE INDEX drift_windows_recent ON steward.drift_windows (model_name, feature, window_start DESC);
