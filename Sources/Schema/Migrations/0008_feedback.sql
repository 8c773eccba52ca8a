-- Labelled production feedback: live accuracy per version, and extra training data.
CREATE TABLE steward.feedback (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    model_name      text NOT NULL,
    request_id      text,
    text            text NOT NULL,
    label           text NOT NULL,
    model_version   text,
    predicted_label text
);
CREATE INDEX feedback_model_at ON steward.feedback (model_name, at);
CREATE INDEX prediction_log_request ON steward.prediction_log (request_id);
