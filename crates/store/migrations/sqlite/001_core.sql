-- Version 1: roles, collections, memberships, permissions, entity fragments.
-- Times are microseconds since the Unix epoch (UTC).

CREATE TABLE roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'group', 'system')),
    foreign_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT,
    email_key TEXT,
    password_hash TEXT,
    api_key_digest TEXT UNIQUE,
    is_admin INTEGER NOT NULL DEFAULT 0,
    is_blocked INTEGER NOT NULL DEFAULT 0,
    is_muted INTEGER NOT NULL DEFAULT 0,
    is_tester INTEGER NOT NULL DEFAULT 0,
    locale TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_login_at INTEGER
);
CREATE UNIQUE INDEX roles_user_email ON roles (email_key) WHERE kind = 'user' AND email_key IS NOT NULL;

INSERT INTO roles (kind, foreign_id, name, created_at, updated_at) VALUES
    ('system', 'system:guest', 'All visitors',
     CAST(unixepoch('subsec') * 1000000 AS INTEGER), CAST(unixepoch('subsec') * 1000000 AS INTEGER)),
    ('system', 'system:authenticated', 'Logged-in users',
     CAST(unixepoch('subsec') * 1000000 AS INTEGER), CAST(unixepoch('subsec') * 1000000 AS INTEGER));

CREATE TABLE role_memberships (
    group_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX role_memberships_member ON role_memberships (member_id);

CREATE TABLE collections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    foreign_id TEXT NOT NULL,
    label TEXT NOT NULL,
    label_key TEXT NOT NULL,
    summary TEXT,
    category TEXT NOT NULL,
    countries TEXT NOT NULL DEFAULT '[]',
    languages TEXT NOT NULL DEFAULT '[]',
    frequency TEXT NOT NULL DEFAULT 'unknown',
    publisher TEXT,
    publisher_url TEXT,
    info_url TEXT,
    data_url TEXT,
    creator_id INTEGER REFERENCES roles (id) ON DELETE SET NULL,
    restricted INTEGER NOT NULL DEFAULT 0,
    xref INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    data_updated_at INTEGER,
    deleted_at INTEGER
);
-- A soft-deleted collection does not block re-creating its foreign id.
CREATE UNIQUE INDEX collections_live_foreign_id ON collections (foreign_id) WHERE deleted_at IS NULL;
CREATE INDEX collections_label ON collections (label_key, id);
CREATE INDEX collections_creator ON collections (creator_id);

CREATE TABLE permissions (
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    read INTEGER NOT NULL,
    write INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (collection_id, role_id),
    CHECK (read = 1 OR write = 0)
) WITHOUT ROWID;
CREATE INDEX permissions_role ON permissions (role_id);

-- Clustered by key, so a collection streams in entity id order from one range scan.
CREATE TABLE fragments (
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    schema TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (collection_id, entity_id, origin)
) WITHOUT ROWID;
CREATE INDEX fragments_origin ON fragments (collection_id, origin);
