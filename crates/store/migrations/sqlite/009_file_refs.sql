-- Version 9: which collections refer to which archive blobs, and the blobs being deleted.
--
-- A collection refers to a blob when one of its documents has it as content or one of
-- its fragments has it as a value of exactly 40 lowercase hex digits of a checksum
-- property (contentHash, csvHash, pdfHash; entity ids made by hashing look alike). The
-- rows are written in the transaction that writes the document or fragment, and only a
-- purge removes them, so a purge never reads other collections' entities to decide.
CREATE TABLE file_refs (
    content_hash TEXT NOT NULL,
    collection_id INTEGER NOT NULL,
    PRIMARY KEY (content_hash, collection_id)
) WITHOUT ROWID;
CREATE INDEX file_refs_collection ON file_refs (collection_id, content_hash);

-- A blob nothing refers to any more, decided in the transaction that removed its last
-- reference; the row goes once the blob is out of the archive. A writer that refers to
-- a marked blob waits for the mark to go and then stores the blob again.
-- `collection_id` is the purged collection whose release made the mark (none for an
-- export's), so that the next attempt of that purge finishes its own marks.
CREATE TABLE blob_deletions (
    content_hash TEXT PRIMARY KEY,
    collection_id INTEGER,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blob_deletions_collection ON blob_deletions (collection_id);

INSERT OR IGNORE INTO file_refs (content_hash, collection_id)
SELECT content_hash, collection_id FROM documents WHERE content_hash IS NOT NULL;

-- A fragment that is not valid JSON (the store reports it as corrupt when read) must not
-- stop the upgrade: it is read as an empty object.
INSERT OR IGNORE INTO file_refs (content_hash, collection_id)
SELECT DISTINCT h.value, f.collection_id
FROM fragments f,
     (SELECT '$.properties.contentHash' AS path
      UNION ALL SELECT '$.properties.csvHash'
      UNION ALL SELECT '$.properties.pdfHash') p,
     json_each(CASE WHEN json_valid(f.data) THEN f.data ELSE '{}' END, p.path) h
WHERE h.type = 'text' AND length(h.value) = 40 AND h.value NOT GLOB '*[^0-9a-f]*';
