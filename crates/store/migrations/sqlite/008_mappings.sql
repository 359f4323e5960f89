-- Version 8: mappings, saved queries that turn an ingested table's rows into entities of
-- the same collection, with the outcome of their last run.
-- Times are microseconds since the Unix epoch (UTC); the query and report are JSON text.

CREATE TABLE mappings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    role_id INTEGER REFERENCES roles (id) ON DELETE SET NULL,
    table_id TEXT NOT NULL,
    entityset_id INTEGER REFERENCES entitysets (id) ON DELETE SET NULL,
    query TEXT NOT NULL,
    last_run_status TEXT CHECK (last_run_status IN ('pending', 'successful', 'failed')),
    last_run_err_msg TEXT,
    last_run_report TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX mappings_collection ON mappings (collection_id, table_id, id);
