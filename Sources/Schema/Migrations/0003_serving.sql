-- What steward-serve logs per prediction (never the raw text unless configured),
-- for the monitor's rollups and drift windows and for Grafana.
CREATE TABLE steward.prediction_log (
    id               bigserial PRIMARY KEY,
    at               timestamptz NOT NULL,
    model_name       text NOT NULL,
    model_version    text NOT NULL,
    track            text NOT NULL,
    latency_ms       real NOT NULL,
    status           smallint NOT NULL DEFAULT 200,
    label            text,
    confidence       real,
    char_length      integer,
    word_count       integer,
    oov_share        real,
    non_letter_share real,
    request_id       text,
    text             text
);
-- Time-ordered appends: BRIN keeps the time index tiny; windows filter by model too.
CREATE INDEX prediction_log_at ON steward.prediction_log USING brin (at);
CREATE INDEX prediction_log_model_at ON steward.prediction_log (model_name, at);
