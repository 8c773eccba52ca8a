-- Metric history is the registry's hottest insert: one MLflow log-batch is up to
-- 1000 rows. Its foreign key to runs fired one check per row, about half of the
-- insert's time. Every write of metrics first locks its run row (FOR SHARE, in the
-- same transaction: TrackingStore.lockActiveRun), so the run exists and cannot be
-- deleted before the batch commits. Deleting a run still deletes its history:
-- one trigger per deleted run instead of one check per metric.
ALTER TABLE steward.metrics DROP CONSTRAINT metrics_run_id_fkey;

CREATE FUNCTION steward.delete_run_metrics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM steward.metrics WHERE run_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE TRIGGER runs_delete_metrics AFTER DELETE ON steward.runs
    FOR EACH ROW EXECUTE FUNCTION steward.delete_run_metrics();
