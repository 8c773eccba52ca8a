-- The web console's sign-ins: a browser holds a random session id in a cookie, the
-- database its hash (as api_tokens hold tokens' hashes), the hash of the token it was
-- opened with, and the session's CSRF token. A session lives only while that very token
-- does: revoking or rotating the token ends every session opened with it.
CREATE TABLE steward.console_sessions (
    id_sha256    text PRIMARY KEY,
    token_sha256 text NOT NULL,
    csrf         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX console_sessions_expires ON steward.console_sessions (expires_at);
