-- Version 10: nothing to do on PostgreSQL. The SQLite step moves fragments out of a
-- clustered (WITHOUT ROWID) table; here they are a heap table with the key in the
-- primary-key index already.
SELECT 1;
