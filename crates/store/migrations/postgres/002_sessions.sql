-- Version 2: login sessions shared by every API process, API key expiry, and an index
-- for catching the search index up with recently written entities.

CREATE TABLE sessions (
    digest TEXT PRIMARY KEY,
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_role ON sessions (role_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

ALTER TABLE roles ADD COLUMN api_key_expires_at TIMESTAMPTZ;

CREATE INDEX fragments_updated ON fragments (updated_at);
