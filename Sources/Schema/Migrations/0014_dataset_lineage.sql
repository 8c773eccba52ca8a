-- A dataset version may be built from another: a retrain's data is its parent
-- version's splits plus a window of labelled production feedback, registered as a
-- version of its own. `sources` lists where its rows came from (the parent version,
-- the feedback window with its row count); `parent_id` makes the lineage queryable.
-- Labelled feedback now reaches a trainer only inside such a version, so a run's
-- untracked extra-data file goes.
ALTER TABLE steward.datasets
    ADD COLUMN parent_id bigint REFERENCES steward.datasets (id),
    ADD COLUMN sources jsonb NOT NULL DEFAULT '[]';
CREATE INDEX datasets_parent ON steward.datasets (parent_id) WHERE parent_id IS NOT NULL;
ALTER TABLE steward.run_specs DROP COLUMN extra_data_uri;
-- Lineage downwards: the runs trained on a version, the model versions a run registered.
CREATE INDEX runs_dataset ON steward.runs (dataset_id) WHERE dataset_id IS NOT NULL;
CREATE INDEX model_versions_run ON steward.model_versions (run_id) WHERE run_id IS NOT NULL;
