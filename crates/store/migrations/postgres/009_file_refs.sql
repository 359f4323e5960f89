-- Version 9: which collections refer to which archive blobs, and the blobs being deleted
-- (see the SQLite migration for the rule). Fragments are matched on the JSON text: a
-- quoted run of exactly 40 lowercase hex digits in the values of a checksum property, as
-- `store::purge::file_hashes` reads it.
CREATE TABLE file_refs (
    content_hash TEXT COLLATE "C" NOT NULL,
    collection_id BIGINT NOT NULL,
    PRIMARY KEY (content_hash, collection_id)
);
CREATE INDEX file_refs_collection ON file_refs (collection_id, content_hash);

CREATE TABLE blob_deletions (
    content_hash TEXT COLLATE "C" PRIMARY KEY,
    collection_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX blob_deletions_collection ON blob_deletions (collection_id);

INSERT INTO file_refs (content_hash, collection_id)
SELECT DISTINCT content_hash, collection_id FROM documents WHERE content_hash IS NOT NULL
ON CONFLICT DO NOTHING;

INSERT INTO file_refs (content_hash, collection_id)
SELECT DISTINCT h[1], f.collection_id
FROM fragments f,
     regexp_matches(f.data, '"(?:contentHash|csvHash|pdfHash)":\[([^]]*)\]', 'g') AS a,
     regexp_matches(a[1], '"([0-9a-f]{40})"', 'g') AS h
ON CONFLICT DO NOTHING;
