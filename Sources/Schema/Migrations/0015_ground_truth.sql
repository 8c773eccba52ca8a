-- Ground-truth canary analysis: the true label posted for a prediction is found by
-- its request id; an analysis stores what it measured (both tracks' counts, PSIs,
-- labelled predictions and accuracies) as JSON beside its verdict text.
CREATE INDEX feedback_request ON steward.feedback (request_id) WHERE request_id IS NOT NULL;
ALTER TABLE steward.rollout_events ADD COLUMN measured jsonb;
