-- Streaming drift: per closed minute, how many predictions had each value of
-- each text feature, per model version and track. PSI over a window reads
-- these counts (thousands of rows) instead of the raw predictions (millions);
-- the values are exact, so every binning (reference quantiles, Evidently's
-- equal-width bins over both samples) counts exactly as it would on the raw rows.
CREATE TABLE steward.feature_counts_1m (
    model_name    text NOT NULL,
    feature       text NOT NULL,
    minute        timestamptz NOT NULL,
    model_version text NOT NULL,
    track         text NOT NULL,
    value         double precision NOT NULL,
    n             bigint NOT NULL,
    PRIMARY KEY (model_name, feature, minute, model_version, track, value)
);

-- Minutes before this instant are in feature_counts_1m; later ones are read raw.
CREATE TABLE steward.feature_counts_progress (
    id            boolean PRIMARY KEY DEFAULT true CHECK (id),
    rolled_up_to  timestamptz NOT NULL
);
