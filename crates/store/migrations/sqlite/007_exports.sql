-- Version 7: exports (a search's results or a collection's cross-reference as a file a
-- user downloads). The row is also the export's work item: workers claim pending exports
-- under a lease, as they claim jobs, because a search export belongs to no collection and
-- the job table needs one. Times are microseconds since the Unix epoch (UTC).

CREATE TABLE exports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operation TEXT NOT NULL CHECK (operation IN ('exportsearch', 'exportxref')),
    label TEXT NOT NULL,
    creator_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    -- A deleted collection leaves its exports to expire; a pending one then fails.
    collection_id INTEGER REFERENCES collections (id) ON DELETE SET NULL,
    params TEXT NOT NULL DEFAULT '{}',
    meta TEXT NOT NULL DEFAULT '{}',
    file_name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'successful', 'failed')),
    error TEXT,
    content_hash TEXT,
    file_size INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    lease_owner TEXT,
    lease_expires_at INTEGER,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (status <> 'successful' OR content_hash IS NOT NULL)
);
CREATE INDEX exports_creator ON exports (creator_id, id) WHERE deleted = 0;
CREATE INDEX exports_queue ON exports (id) WHERE status = 'pending' AND deleted = 0;
CREATE INDEX exports_expiry ON exports (expires_at) WHERE deleted = 0;
CREATE INDEX exports_content ON exports (content_hash) WHERE deleted = 0;
