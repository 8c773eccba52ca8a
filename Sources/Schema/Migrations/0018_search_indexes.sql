-- Searches at scale (bench/scale): a filter on a param or tag value (`tags.batch = 'b-7'`,
-- `params.optimizer = 'adamw'`) finds its runs through these instead of reading every
-- run's params or tags, so its cost follows the runs it matches, not the registry's size.
CREATE INDEX run_params_key_value ON steward.run_params (key, value);
CREATE INDEX run_tags_key_value ON steward.run_tags (key, value);
