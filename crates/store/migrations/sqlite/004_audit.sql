-- Version 4: the audit log. Role and collection ids are plain numbers, not foreign keys:
-- entries outlive the users and collections they name. Times are microseconds since the
-- Unix epoch (UTC).

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    role_id INTEGER,
    action TEXT NOT NULL,
    collection_id INTEGER,
    target TEXT,
    detail TEXT NOT NULL,
    address TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_role ON audit_log (role_id, at);
CREATE INDEX audit_log_action ON audit_log (action, at);
