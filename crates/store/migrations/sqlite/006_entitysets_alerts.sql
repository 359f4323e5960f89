-- Version 6: entity sets (lists, diagrams, timelines, bookmarks, profiles) with their
-- judged items; alerts (saved searches) and notifications with an email outbox.
-- Times are microseconds since the Unix epoch (UTC); layouts and params are JSON text.

CREATE TABLE entitysets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    role_id INTEGER REFERENCES roles (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('list', 'diagram', 'timeline', 'bookmark', 'profile')),
    label TEXT NOT NULL,
    summary TEXT,
    layout TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX entitysets_collection ON entitysets (collection_id, updated_at);
CREATE INDEX entitysets_role ON entitysets (role_id);

CREATE TABLE entityset_items (
    entityset_id INTEGER NOT NULL REFERENCES entitysets (id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    judgement TEXT NOT NULL CHECK (judgement IN ('positive', 'negative', 'unsure')),
    compared_to_entity_id TEXT,
    added_by_id INTEGER REFERENCES roles (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (entityset_id, entity_id)
) WITHOUT ROWID;
CREATE INDEX entityset_items_entity ON entityset_items (entity_id);
CREATE INDEX entityset_items_collection ON entityset_items (collection_id);

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    query TEXT NOT NULL,
    notified_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX alerts_role ON alerts (role_id, id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    actor_id INTEGER REFERENCES roles (id) ON DELETE SET NULL,
    event TEXT NOT NULL,
    collection_id INTEGER REFERENCES collections (id) ON DELETE CASCADE,
    alert_id INTEGER REFERENCES alerts (id) ON DELETE SET NULL,
    entity_id TEXT,
    params TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    read_at INTEGER,
    email_pending INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_role ON notifications (role_id, id);
CREATE INDEX notifications_collection ON notifications (collection_id);
-- One alert tells about one entity once, however often the entity is written again.
CREATE UNIQUE INDEX notifications_alert_entity ON notifications (alert_id, entity_id)
    WHERE alert_id IS NOT NULL AND entity_id IS NOT NULL;
CREATE INDEX notifications_outbox ON notifications (id) WHERE email_pending = 1;
