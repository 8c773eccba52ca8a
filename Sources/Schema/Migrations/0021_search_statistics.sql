-- The planner estimated `key = 'optimizer' AND value = 'adamw'` as the product of the two
-- columns' selectivities, 19x too few rows at 10k runs (bench/scale), and so drove a
-- metric-ordered search from the param instead of walking latest_metrics' index: 23 ms
-- against 4 ms, growing with the runs. Multi-column MCV lists give it the pairs' real counts.
CREATE STATISTICS steward.run_params_key_value_mcv (mcv) ON key, value FROM steward.run_params;
CREATE STATISTICS steward.run_tags_key_value_mcv (mcv) ON key, value FROM steward.run_tags;
