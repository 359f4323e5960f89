//! Copying the store's tables from the embedded SQLite file into PostgreSQL.
//!
//! The copy is generic over the schema: PostgreSQL's catalog says which tables exist (in
//! creation order, which is also an order in which every foreign key points backwards),
//! their columns with types and their primary keys. Rows are read from SQLite in primary
//! key order and written in batches; each batch and the table's progress marker (the last
//! key copied) commit in one PostgreSQL transaction, so a killed run resumes after the
//! last committed batch, and inserts skip rows that already exist.
//!
//! Both schemas must be at the same version: the caller opens (and so migrates) both
//! stores before copying.

use std::path::Path;

use anyhow::{Context, bail};
use postgres::types::ToSql;
use postgres::{Client, NoTls};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags};

/// Where progress is kept in the target database, beside the store's own tables.
pub const PROGRESS_TABLE: &str = "aleph_migrate_progress";
/// The store's own bookkeeping, which both sides already have.
const SKIPPED_TABLES: &[&str] = &["schema_version", PROGRESS_TABLE];
/// PostgreSQL takes at most 65535 parameters per statement.
const MAX_PARAMS: usize = 60_000;

/// What a table copy found at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: String,
    pub source: u64,
    pub target: u64,
}

/// How a column's SQLite value becomes a PostgreSQL parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    BigInt,
    Int,
    Double,
    Bool,
    Text,
    /// JSON text in SQLite, `text[]` in PostgreSQL.
    TextArray,
    /// Microseconds since the epoch in SQLite.
    Timestamp,
    Json,
    Bytes,
}

impl Kind {
    fn of(data_type: &str, udt: &str) -> Option<Kind> {
        Some(match data_type {
            "bigint" => Kind::BigInt,
            "integer" | "smallint" => Kind::Int,
            "double precision" | "real" => Kind::Double,
            "boolean" => Kind::Bool,
            "text" | "character varying" => Kind::Text,
            "ARRAY" if udt == "_text" => Kind::TextArray,
            "timestamp with time zone" => Kind::Timestamp,
            "json" | "jsonb" => Kind::Json,
            "bytea" => Kind::Bytes,
            _ => return None,
        })
    }

    /// The placeholder's SQL: timestamps are converted by the database, exactly.
    fn placeholder(self, n: usize, data_type: &str) -> String {
        match self {
            Kind::Timestamp => {
                format!("(TIMESTAMPTZ 'epoch' + ${n}::bigint * INTERVAL '1 microsecond')")
            }
            Kind::Json => format!("${n}::text::{data_type}"),
            _ => format!("${n}"),
        }
    }
}

#[derive(Debug)]
struct Column {
    name: String,
    data_type: String,
    kind: Kind,
}

#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<Column>,
    /// Primary key columns; empty means SQLite's rowid orders the copy.
    key: Vec<String>,
    /// A column filled from a sequence, to move past the copied ids.
    identity: Option<String>,
}

/// Knobs for tests: how many rows go in one transaction, and a simulated crash.
#[derive(Debug, Clone, Copy)]
pub struct CopyOptions {
    pub batch_rows: usize,
    /// Abort the process (as `kill -9` would) after this many committed batches.
    pub abort_after_batches: Option<u64>,
}

/// Copy every table of the SQLite file into the PostgreSQL database (already migrated to
/// the same schema version), resuming where an earlier run stopped. `say` gets progress
/// lines. Returns the row counts of both sides per table.
pub fn copy_tables(
    sqlite_path: &Path,
    pg_uri: &str,
    options: CopyOptions,
    say: &mut dyn FnMut(String),
) -> anyhow::Result<Vec<TableCount>> {
    let source = Connection::open_with_flags(
        sqlite_path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open {}", sqlite_path.display()))?;
    // One snapshot for the whole copy, even if something writes meanwhile.
    source.execute_batch("BEGIN")?;
    let mut target = Client::connect(pg_uri, NoTls).context("cannot connect to PostgreSQL")?;
    check_versions(&source, &mut target)?;
    let resuming = prepare_progress(&mut target)?;
    let tables = tables(&mut target)?;
    if !resuming {
        check_target_empty(&source, &mut target, &tables)?;
    }
    let mut batches = 0u64;
    for table in &tables {
        copy_table(&source, &mut target, table, options, &mut batches, say)?;
    }
    for table in &tables {
        if let Some(column) = &table.identity {
            advance_sequence(&source, &mut target, &table.name, column)?;
        }
    }
    let mut counts = Vec::new();
    for table in &tables {
        let src: i64 = source.query_row(
            &format!("SELECT COUNT(*) FROM \"{}\"", table.name),
            [],
            |r| r.get(0),
        )?;
        let dst: i64 = target
            .query_one(&format!("SELECT COUNT(*) FROM \"{}\"", table.name), &[])?
            .get(0);
        counts.push(TableCount {
            table: table.name.clone(),
            source: src.max(0) as u64,
            target: dst.max(0) as u64,
        });
    }
    Ok(counts)
}

/// Job rows by state on both sides: `(state, source, target)`.
pub fn job_states(sqlite_path: &Path, pg_uri: &str) -> anyhow::Result<Vec<(String, u64, u64)>> {
    let source = Connection::open_with_flags(sqlite_path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut target = Client::connect(pg_uri, NoTls)?;
    let mut states = std::collections::BTreeMap::<String, (u64, u64)>::new();
    let mut stmt = source.prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (state, n) = row?;
        states.entry(state).or_default().0 = n.max(0) as u64;
    }
    for row in target.query("SELECT state, COUNT(*) FROM jobs GROUP BY state", &[])? {
        let n: i64 = row.get(1);
        states.entry(row.get(0)).or_default().1 = n.max(0) as u64;
    }
    Ok(states.into_iter().map(|(s, (a, b))| (s, a, b)).collect())
}

fn check_versions(source: &Connection, target: &mut Client) -> anyhow::Result<()> {
    let src: i64 = source.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    let dst: i64 = target
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::bigint FROM schema_version",
            &[],
        )?
        .get(0);
    if src != dst {
        bail!(
            "the embedded database is at schema version {src} and the target at {dst}; \
             run `aleph upgrade` on both first"
        );
    }
    // The system roles are created by the first migration on both sides; their ids must
    // agree, because permissions refer to them.
    for foreign_id in [store::GUEST_FOREIGN_ID, store::AUTHENTICATED_FOREIGN_ID] {
        let a: i64 = source.query_row(
            "SELECT id FROM roles WHERE foreign_id = ?1",
            [foreign_id],
            |r| r.get(0),
        )?;
        let b: i64 = target
            .query_one("SELECT id FROM roles WHERE foreign_id = $1", &[&foreign_id])?
            .get(0);
        if a != b {
            bail!("role {foreign_id} has id {a} in the source and {b} in the target");
        }
    }
    Ok(())
}

/// Create the progress table if needed; whether an earlier run left progress behind.
fn prepare_progress(target: &mut Client) -> anyhow::Result<bool> {
    target.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {PROGRESS_TABLE} (
             name TEXT PRIMARY KEY,
             last_key TEXT,
             copied BIGINT NOT NULL DEFAULT 0,
             done BOOLEAN NOT NULL DEFAULT FALSE
         )"
    ))?;
    let n: i64 = target
        .query_one(&format!("SELECT COUNT(*) FROM {PROGRESS_TABLE}"), &[])?
        .get(0);
    Ok(n > 0)
}

/// The target's tables, in creation order, with their columns and keys.
fn tables(target: &mut Client) -> anyhow::Result<Vec<Table>> {
    let names: Vec<String> = target
        .query(
            "SELECT c.relname::text FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND n.nspname = current_schema()
             ORDER BY c.oid",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .filter(|n: &String| !SKIPPED_TABLES.contains(&n.as_str()))
        .collect();
    let mut tables = Vec::new();
    for name in names {
        let mut columns = Vec::new();
        let mut identity = None;
        for row in target.query(
            "SELECT column_name::text, data_type::text, udt_name::text,
                    (is_identity = 'YES' OR COALESCE(column_default, '') LIKE 'nextval(%')
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1
             ORDER BY ordinal_position",
            &[&name],
        )? {
            let column: String = row.get(0);
            let data_type: String = row.get(1);
            let udt: String = row.get(2);
            let Some(kind) = Kind::of(&data_type, &udt) else {
                bail!("{name}.{column} has a type the migration cannot copy: {data_type}");
            };
            if row.get::<_, bool>(3) {
                identity = Some(column.clone());
            }
            columns.push(Column {
                name: column,
                data_type,
                kind,
            });
        }
        let key: Vec<String> = target
            .query(
                "SELECT a.attname::text FROM pg_index i
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                 WHERE i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass
                   AND i.indisprimary
                 ORDER BY array_position(i.indkey::int2[], a.attnum)",
                &[&name],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        tables.push(Table {
            name,
            columns,
            key,
            identity,
        });
    }
    Ok(tables)
}

/// A fresh target has only the system roles; anything else means another instance's data
/// would be mixed with ours.
fn check_target_empty(
    source: &Connection,
    target: &mut Client,
    tables: &[Table],
) -> anyhow::Result<()> {
    for table in tables {
        let extra: i64 = if table.name == "roles" {
            target
                .query_one("SELECT COUNT(*) FROM roles WHERE kind <> 'system'", &[])?
                .get(0)
        } else {
            target
                .query_one(&format!("SELECT COUNT(*) FROM \"{}\"", table.name), &[])?
                .get(0)
        };
        if extra > 0 {
            bail!(
                "the target database already holds data ({extra} rows in {}); migrate into \
                 an empty database",
                table.name
            );
        }
        // Every table must exist on the source too (same schema version).
        source
            .prepare(&format!("SELECT 1 FROM \"{}\" LIMIT 0", table.name))
            .with_context(|| format!("the embedded database has no table {}", table.name))?;
    }
    Ok(())
}

fn copy_table(
    source: &Connection,
    target: &mut Client,
    table: &Table,
    options: CopyOptions,
    batches: &mut u64,
    say: &mut dyn FnMut(String),
) -> anyhow::Result<()> {
    let progress = target.query_opt(
        &format!("SELECT last_key, copied, done FROM {PROGRESS_TABLE} WHERE name = $1"),
        &[&table.name],
    )?;
    let (mut last_key, mut copied) = match &progress {
        Some(row) if row.get::<_, bool>(2) => {
            say(format!(
                "  {:<24} done earlier ({} rows)",
                table.name,
                row.get::<_, i64>(1)
            ));
            return Ok(());
        }
        Some(row) => {
            let key: Option<String> = row.get(0);
            let key = key
                .map(|k| serde_json::from_str::<Vec<serde_json::Value>>(&k))
                .transpose()
                .context("unreadable progress marker")?;
            (key, row.get::<_, i64>(1))
        }
        None => (None, 0),
    };
    if copied > 0 {
        say(format!("  {:<24} resuming after {copied} rows", table.name));
    }
    let key_columns: Vec<String> = if table.key.is_empty() {
        vec!["rowid".to_string()]
    } else {
        table.key.iter().map(|k| format!("\"{k}\"")).collect()
    };
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    let batch_rows = options
        .batch_rows
        .clamp(1, MAX_PARAMS / table.columns.len().max(1));
    let key_tuple = format!("({})", key_columns.join(", "));
    let after = format!(
        "({})",
        (1..=key_columns.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let select_first = format!(
        "SELECT {}, {} FROM \"{}\" ORDER BY {} LIMIT {batch_rows}",
        columns.join(", "),
        key_columns.join(", "),
        table.name,
        key_columns.join(", ")
    );
    let select_after = format!(
        "SELECT {}, {} FROM \"{}\" WHERE {key_tuple} > {after} ORDER BY {} LIMIT {batch_rows}",
        columns.join(", "),
        key_columns.join(", "),
        table.name,
        key_columns.join(", ")
    );
    loop {
        let rows: Vec<Vec<SqlValue>> = {
            let width = table.columns.len() + key_columns.len();
            let read = |row: &rusqlite::Row<'_>| {
                (0..width)
                    .map(|i| row.get::<_, SqlValue>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()
            };
            match &last_key {
                None => source
                    .prepare_cached(&select_first)?
                    .query_map([], read)?
                    .collect::<rusqlite::Result<_>>()?,
                Some(key) => {
                    let params: Vec<SqlValue> = key.iter().map(json_to_sqlite).collect();
                    source
                        .prepare_cached(&select_after)?
                        .query_map(rusqlite::params_from_iter(params), read)?
                        .collect::<rusqlite::Result<_>>()?
                }
            }
        };
        let finished = rows.len() < batch_rows;
        let mut tx = target.transaction()?;
        if !rows.is_empty() {
            insert_batch(&mut tx, table, &columns, &rows)?;
            let last = rows
                .last()
                .map(|r| &r[table.columns.len()..])
                .unwrap_or(&[]);
            last_key = Some(last.iter().map(sqlite_to_json).collect());
            copied += rows.len() as i64;
        }
        let marker = last_key.as_ref().map(serde_json::to_string).transpose()?;
        tx.execute(
            &format!(
                "INSERT INTO {PROGRESS_TABLE} (name, last_key, copied, done)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE
                 SET last_key = EXCLUDED.last_key, copied = EXCLUDED.copied, done = EXCLUDED.done"
            ),
            &[&table.name, &marker, &copied, &finished],
        )?;
        tx.commit()?;
        *batches += 1;
        if options.abort_after_batches == Some(*batches) {
            // A crash at the worst moment for a test of resuming: nothing is cleaned up.
            std::process::abort();
        }
        if finished {
            say(format!("  {:<24} {copied} rows", table.name));
            return Ok(());
        }
    }
}

fn insert_batch(
    tx: &mut postgres::Transaction<'_>,
    table: &Table,
    columns: &[String],
    rows: &[Vec<SqlValue>],
) -> anyhow::Result<()> {
    let mut params: Vec<Box<dyn ToSql + Sync>> =
        Vec::with_capacity(rows.len() * table.columns.len());
    let mut tuples = Vec::with_capacity(rows.len());
    for row in rows {
        let mut placeholders = Vec::with_capacity(table.columns.len());
        for (column, value) in table.columns.iter().zip(row) {
            params.push(convert(&table.name, column, value)?);
            placeholders.push(column.kind.placeholder(params.len(), &column.data_type));
        }
        tuples.push(format!("({})", placeholders.join(", ")));
    }
    let sql = format!(
        "INSERT INTO \"{}\" ({}) VALUES {} ON CONFLICT DO NOTHING",
        table.name,
        columns.join(", "),
        tuples.join(", ")
    );
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
    tx.execute(sql.as_str(), &refs)
        .with_context(|| format!("cannot write rows into {}", table.name))?;
    Ok(())
}

/// One SQLite value as the PostgreSQL parameter its column needs.
fn convert(
    table: &str,
    column: &Column,
    value: &SqlValue,
) -> anyhow::Result<Box<dyn ToSql + Sync>> {
    let wrong = || {
        anyhow::anyhow!(
            "{table}.{}: cannot copy {value:?} into a {} column",
            column.name,
            column.data_type
        )
    };
    if matches!(value, SqlValue::Null) {
        return Ok(match column.kind {
            Kind::BigInt | Kind::Timestamp => Box::new(None::<i64>),
            Kind::Int => Box::new(None::<i32>),
            Kind::Double => Box::new(None::<f64>),
            Kind::Bool => Box::new(None::<bool>),
            Kind::Text | Kind::Json => Box::new(None::<String>),
            Kind::TextArray => Box::new(None::<Vec<String>>),
            Kind::Bytes => Box::new(None::<Vec<u8>>),
        });
    }
    Ok(match (column.kind, value) {
        (Kind::BigInt | Kind::Timestamp, SqlValue::Integer(i)) => Box::new(*i),
        (Kind::Int, SqlValue::Integer(i)) => Box::new(i32::try_from(*i).map_err(|_| wrong())?),
        (Kind::Double, SqlValue::Real(f)) => Box::new(*f),
        (Kind::Double, SqlValue::Integer(i)) => Box::new(*i as f64),
        (Kind::Bool, SqlValue::Integer(i)) => Box::new(*i != 0),
        (Kind::Text | Kind::Json, SqlValue::Text(s)) => Box::new(s.clone()),
        (Kind::Text, SqlValue::Integer(i)) => Box::new(i.to_string()),
        (Kind::TextArray, SqlValue::Text(s)) => {
            Box::new(serde_json::from_str::<Vec<String>>(s).map_err(|_| wrong())?)
        }
        (Kind::Bytes, SqlValue::Blob(b)) => Box::new(b.clone()),
        _ => return Err(wrong()),
    })
}

fn sqlite_to_json(value: &SqlValue) -> serde_json::Value {
    match value {
        SqlValue::Null => serde_json::Value::Null,
        SqlValue::Integer(i) => (*i).into(),
        SqlValue::Real(f) => (*f).into(),
        SqlValue::Text(s) => s.clone().into(),
        SqlValue::Blob(b) => hex::encode(b).into(),
    }
}

fn json_to_sqlite(value: &serde_json::Value) -> SqlValue {
    match value {
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(s) => SqlValue::Text(s.clone()),
        _ => SqlValue::Null,
    }
}

/// Move the target's id sequence past every id the source ever gave out, so that new rows
/// never collide with copied ones.
fn advance_sequence(
    source: &Connection,
    target: &mut Client,
    table: &str,
    column: &str,
) -> anyhow::Result<()> {
    let max_id: i64 = source.query_row(
        &format!("SELECT COALESCE(MAX(\"{column}\"), 0) FROM \"{table}\""),
        [],
        |r| r.get(0),
    )?;
    // AUTOINCREMENT never reuses ids, even of deleted rows.
    let used: i64 = source
        .query_row(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?1), 0)",
            [table],
            |r| r.get(0),
        )
        .unwrap_or(0);
    let next = max_id.max(used);
    if next > 0 {
        target.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence($1, $2),
                               GREATEST($3, (SELECT COALESCE(MAX(\"{column}\"), 0) FROM \"{table}\")))"
            ),
            &[&table, &column, &next],
        )?;
    }
    Ok(())
}

/// Upgrades on PostgreSQL from every earlier schema version: each SQLite fixture of the
/// store crate (`sqlite-vN.db`, as the code at version N left it) is copied into a
/// PostgreSQL schema migrated to version N, both are migrated to the latest version, and
/// everything must read back the same from both. This also runs the copy against every
/// schema version. Needs `ALEPH_TEST_DATABASE_URI`.
#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use store::{
        AuditQuery, EntityFilter, EntitySetQuery, PgStore, RoleQuery, SqliteStore, Store, XrefQuery,
    };

    use super::*;

    fn fixture(version: u32) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../store/tests/fixtures")
            .join(format!("sqlite-v{version}.db"))
    }

    /// What a store holds, as text to compare between backends.
    async fn contents(store: &dyn Store) -> Vec<String> {
        let mut out = Vec::new();
        let roles = store
            .list_roles(&RoleQuery {
                kind: None,
                name_prefix: None,
                email: None,
                ids: None,
                limit: 1000,
                offset: 0,
            })
            .await
            .unwrap();
        // The system roles are made by each database's first migration, with its own
        // timestamps; the copy keeps the target's.
        let roles: Vec<_> = roles
            .items
            .into_iter()
            .filter(|r| r.kind != store::RoleKind::System)
            .collect();
        out.push(format!("{roles:?}"));
        for role in &roles {
            out.push(format!("{:?}", store.groups_of(role.id).await.unwrap()));
        }
        let mut query = store::CollectionQuery::new(store::CollectionScope::All);
        query.include_deleted = true;
        let collections = store.list_collections(&query).await.unwrap();
        out.push(format!("{collections:?}"));
        for c in &collections.items {
            out.push(format!("{:?}", store.permissions(c.id).await.unwrap()));
            let page = store
                .entity_page(EntityFilter::collection(c.id), None, 1000)
                .await
                .unwrap();
            out.push(format!("{page:?}"));
            out.push(format!("{:?}", store.job_counts(Some(c.id)).await.unwrap()));
            out.push(format!(
                "{:?}",
                store
                    .xref_matches(&XrefQuery::collection(c.id))
                    .await
                    .unwrap()
            ));
        }
        out.push(format!(
            "{:?}",
            store.audit_log(&AuditQuery::default()).await.unwrap()
        ));
        out.push(format!(
            "{:?}",
            store
                .list_entitysets(&EntitySetQuery::new(None))
                .await
                .unwrap()
        ));
        out.push(format!(
            "{:?}",
            store.list_alerts(None, 100, 0).await.unwrap()
        ));
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_earlier_version_upgrades_on_postgres_with_data_intact() {
        let Ok(base) = std::env::var("ALEPH_TEST_DATABASE_URI") else {
            eprintln!("skipped: ALEPH_TEST_DATABASE_URI is needed (scripts/test-all.sh sets it)");
            return;
        };
        for version in 1..=store::LATEST_VERSION {
            let source = fixture(version);
            assert!(source.is_file(), "no fixture {}", source.display());
            let dir = tempfile::tempdir().unwrap();
            let db = dir.path().join("aleph.db");
            std::fs::copy(&source, &db).unwrap();

            let schema = format!("pgup{}v{version}", std::process::id());
            let pg = PgStore::connect(&base, Some(&schema)).await.unwrap();
            pg.migrate_to(version).await.unwrap();
            let uri = format!(
                "{base}{}options=-c%20search_path%3D{schema}",
                if base.contains('?') { '&' } else { '?' }
            );
            let (path, target) = (db.clone(), uri.clone());
            let counts = tokio::task::spawn_blocking(move || {
                let options = CopyOptions {
                    batch_rows: 2,
                    abort_after_batches: None,
                };
                copy_tables(&path, &target, options, &mut |_| {})
            })
            .await
            .unwrap()
            .unwrap();
            for c in &counts {
                assert_eq!(c.source, c.target, "version {version}: {c:?}");
            }
            assert!(
                counts
                    .iter()
                    .any(|c| c.table == "fragments" && c.source > 0)
            );

            let done = pg.migrate().await.unwrap();
            assert_eq!((done.from, done.to), (version, store::LATEST_VERSION));
            let sqlite = SqliteStore::open(&db).await.unwrap();
            let (a, b) = (contents(&sqlite).await, contents(&pg).await);
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x, y, "from version {version}");
            }
            assert_eq!(a.len(), b.len());
            let drop = format!("DROP SCHEMA {schema} CASCADE");
            let base = base.clone();
            tokio::task::spawn_blocking(move || {
                let mut client = Client::connect(&base, NoTls).unwrap();
                client.batch_execute(&drop).unwrap();
            })
            .await
            .unwrap();
        }
    }
}
