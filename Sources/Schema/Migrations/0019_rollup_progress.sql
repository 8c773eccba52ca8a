-- Serving rollups are made once per closed minute, plus a re-roll of the last minutes
-- that rows logged late may still reach, instead of the whole last hour on every
-- monitor pass: at 2,000 predictions/s that hour is 7.2M rows (bench/scale). The
-- rollups' progress, as feature_counts_progress is the feature counts'.
CREATE TABLE steward.serving_rollup_progress (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    rolled_up_to timestamptz NOT NULL
);
