-- Version 5: cross-referencing results, the state of each collection's xref run (its
-- checkpoint), and the decisions users make about proposed pairs.


-- One row per proposed pair, seen from `collection_id`: its entity `entity_id` may be
-- the same as `match_id` in `match_collection_id`.
CREATE TABLE xref_matches (
    collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL,
    match_collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    match_id TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL CHECK (score >= 0 AND score <= 1),
    -- The match's schema and the countries of both sides (",de,ru,"), for filters.
    schema TEXT NOT NULL,
    countries TEXT NOT NULL DEFAULT ',',
    method TEXT NOT NULL,
    -- The matcher's explanation (features, weights, contributions) as JSON.
    explanation TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (collection_id, entity_id, match_collection_id, match_id)
);
-- Listing a collection's matches best first.
CREATE INDEX xref_matches_score ON xref_matches (collection_id, score DESC);
-- Removing the matches into a deleted or re-run collection.
CREATE INDEX xref_matches_match ON xref_matches (match_collection_id, match_id);

-- The one run per collection: what it runs against, how far it got (an opaque cursor
-- the runner writes with each finished batch) and when it last completed (the
-- watermark incremental runs start from).
CREATE TABLE xref_runs (
    collection_id BIGINT PRIMARY KEY REFERENCES collections (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('running', 'completed')),
    against TEXT NOT NULL,
    cursor TEXT NOT NULL,
    processed BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    matches BIGINT NOT NULL DEFAULT 0,
    started_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    -- The start of the run that last completed.
    watermark TIMESTAMPTZ
);

-- A judgement about a pair, stored once per direction so either side finds it with one
-- key look-up.
CREATE TABLE xref_decisions (
    collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL,
    match_collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    match_id TEXT NOT NULL,
    judgement TEXT NOT NULL CHECK (judgement IN ('positive', 'negative', 'unsure')),
    role_id BIGINT REFERENCES roles (id) ON DELETE SET NULL,
    -- Positive pairs share a profile: the entities judged the same.
    profile_id TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (collection_id, entity_id, match_collection_id, match_id)
);
CREATE INDEX xref_decisions_profile ON xref_decisions (profile_id) WHERE profile_id IS NOT NULL;
CREATE INDEX xref_decisions_match ON xref_decisions (match_collection_id);
