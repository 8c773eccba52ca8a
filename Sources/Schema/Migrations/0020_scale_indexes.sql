-- bench/scale at 10k runs and 10k model versions:
-- A search over several experiments in the default order (start_time DESC, id) walks this
-- index and stops at the page, instead of sorting every run of those experiments.
CREATE INDEX runs_start_time ON steward.runs (start_time DESC, id);
-- Each model's newest version per stage (registered models' latest_versions, get-latest-versions):
-- one probe per model and stage instead of reading every version of the model.
CREATE INDEX model_versions_latest ON steward.model_versions (model_id, stage, version DESC);
