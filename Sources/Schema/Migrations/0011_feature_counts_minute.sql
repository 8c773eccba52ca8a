-- Retention deletes per-minute feature counts by age: a BRIN index on the minute
-- (counts are appended roughly in time order) finds them without a full scan.
CREATE INDEX feature_counts_1m_minute ON steward.feature_counts_1m USING brin (minute);
