-- Version 10: fragments in a rowid table, their key in a unique index.
--
-- A fragment holds an entity's JSON (at times a document's whole text), far more than
-- the twentieth of a page SQLite advises for the rows of a WITHOUT ROWID table, which
-- live in the leaves of the key's B-tree. Entity ids are hashes, so every write landed
-- on a random leaf of that tree: page splits of kilobyte rows, and every touched page
-- copied to the WAL again. Rows now go to the end of the table in the order they are
-- written, and only the small (collection, entity, origin) index takes the random
-- inserts. The origin index carries the entity id so that an origin's ids are still read
-- from the index alone, in order.
CREATE TABLE fragment_rows (
    id INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    schema TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO fragment_rows (collection_id, entity_id, origin, schema, data, created_at, updated_at)
SELECT collection_id, entity_id, origin, schema, data, created_at, updated_at
FROM fragments ORDER BY collection_id, entity_id, origin;
DROP TABLE fragments;
ALTER TABLE fragment_rows RENAME TO fragments;
CREATE UNIQUE INDEX fragments_key ON fragments (collection_id, entity_id, origin);
CREATE INDEX fragments_origin ON fragments (collection_id, origin, entity_id);
CREATE INDEX fragments_updated ON fragments (updated_at);
