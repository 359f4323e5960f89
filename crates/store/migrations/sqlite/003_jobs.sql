-- Version 3: uploaded documents, and the job table that is both the work queue and the
-- per-file ledger. Times are microseconds since the Unix epoch (UTC).

CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES documents (id),
    foreign_id TEXT,
    content_hash TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (foreign_id IS NOT NULL OR content_hash IS NOT NULL)
);
-- The upsert keys; a root-level document (no parent) is keyed under parent 0.
CREATE UNIQUE INDEX documents_foreign_key
    ON documents (collection_id, COALESCE(parent_id, 0), foreign_id)
    WHERE foreign_id IS NOT NULL;
CREATE UNIQUE INDEX documents_hash_key
    ON documents (collection_id, COALESCE(parent_id, 0), content_hash)
    WHERE foreign_id IS NULL AND content_hash IS NOT NULL;
CREATE INDEX documents_parent ON documents (parent_id);

-- AUTOINCREMENT: a job id is never reused, even after its collection is deleted.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    entity_id TEXT,
    path TEXT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
    priority INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_after INTEGER NOT NULL,
    lease_owner TEXT,
    lease_expires_at INTEGER,
    heartbeat_at INTEGER,
    error_class TEXT,
    error_message TEXT,
    processor_version TEXT,
    -- processor_version in natural order (digit runs compare as numbers), for "handled
    -- by a version older than X".
    processor_version_key TEXT,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    updated_at INTEGER NOT NULL
);
-- Claiming: per stage, highest priority first, then longest ready.
CREATE INDEX jobs_claim ON jobs (stage, priority DESC, run_after, id) WHERE state = 'queued';
-- Finding expired leases.
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE state = 'running';
-- Status counts, cancelling and the failure list of a collection.
CREATE INDEX jobs_status ON jobs (collection_id, stage, state);
-- One document's history.
CREATE INDEX jobs_entity ON jobs (collection_id, entity_id);
-- At most one queued job per (collection, stage, entity): re-uploading a file twice
-- quickly does not ingest it twice.
CREATE UNIQUE INDEX jobs_queued_once ON jobs (collection_id, stage, entity_id)
    WHERE state = 'queued' AND entity_id IS NOT NULL;
