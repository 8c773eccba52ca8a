-- A shadow request: a copy of a live request the split (or a Gateway's mirror rule)
-- sent to the canary during a shadow step, whose answer no user saw. Kept for the
-- shadow comparison; left out of live accuracy, rollups and the live canary analysis.
ALTER TABLE steward.prediction_log ADD COLUMN shadow boolean NOT NULL DEFAULT false;
