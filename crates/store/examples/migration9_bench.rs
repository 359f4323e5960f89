//! Migration 9's fill of `file_refs` on a store of N fragments, on SQLite and PostgreSQL,
//! from the shape version 8 left: what an upgrade of a large installation costs, and a
//! check that the fill follows the reference rule (`store::purge::file_hashes`).
//!
//! ```sh
//! cargo run -p store --example migration9_bench -- [N] [sqlite|postgres|both]
//! ```
//! N (default 100000) fragments in two collections, a quarter each: Documents with a
//! `contentHash`, Pages with a `pdfHash`, Tables with a `csvHash` (every one of them with
//! an id, a `parent` or a `document` made by hashing, 40 hex digits that are not keys),
//! and People with 40-digit `idNumber`s (not keys either); consecutive entities share a
//! hash across the two collections. Plus N/10 uploaded document rows with a content hash
//! and one fragment that is not valid JSON. The database is filled at version 8 with
//! plain SQL, then `migrate_to(9)` runs and is timed: wall seconds, this process's CPU
//! seconds and, for PostgreSQL, the CPU seconds of the server's processes (the fill runs
//! there). The resulting `file_refs` must equal the references the generator made.
//! PostgreSQL needs `ALEPH_TEST_DATABASE_URI` (`scripts/pg-test-server.sh start`); the
//! bench works in a schema of its own and drops it.

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::json;
use store::{PgStore, SqliteStore, Store};

type Error = Box<dyn std::error::Error>;

/// The collections the fragments go to.
const COLLECTIONS: [i64; 2] = [1, 2];

/// A content hash: 40 lowercase hex digits.
fn hash(prefix: &str, n: usize) -> String {
    format!("{prefix}{n:038x}")
}

/// One fragment row in version 8's shape.
struct Row {
    collection_id: i64,
    entity_id: String,
    schema: &'static str,
    data: String,
}

/// The fragments, document rows (collection, hash) and the references they make.
struct Data {
    fragments: Vec<Row>,
    documents: Vec<(i64, String)>,
    expected: BTreeSet<(String, i64)>,
}

fn generate(n: usize) -> Data {
    let mut fragments = Vec::with_capacity(n + 1);
    let mut expected = BTreeSet::new();
    for i in 0..n {
        let collection_id = COLLECTIONS[i % 2];
        let id = hash("bb", i);
        let key = hash("aa", i / 2);
        let (schema, properties) = match i % 4 {
            0 => (
                "Document",
                json!({"fileName": [format!("f{i}.pdf")], "contentHash": [key],
                       "parent": [hash("bb", i + 1)]}),
            ),
            1 => (
                "Pages",
                json!({"pdfHash": [key], "document": [hash("bb", i - 1)],
                       "indexText": [format!("page {i} of {}", hash("dd", i))]}),
            ),
            2 => (
                "Table",
                json!({"csvHash": [key], "parent": [hash("bb", i - 2)]}),
            ),
            _ => (
                "Person",
                json!({"name": [format!("Person {i}")], "idNumber": [format!("{i:040}")]}),
            ),
        };
        if schema != "Person" {
            expected.insert((key, collection_id));
        }
        let data = json!({"id": id, "schema": schema, "properties": properties}).to_string();
        fragments.push(Row {
            collection_id,
            entity_id: id,
            schema,
            data,
        });
    }
    fragments.push(Row {
        collection_id: COLLECTIONS[0],
        entity_id: "broken".into(),
        schema: "Document",
        data: "{\"properties\":{\"name\":[\"cut sh".into(),
    });
    let documents: Vec<(i64, String)> = (0..n / 10)
        .map(|i| (COLLECTIONS[i % 2], hash("cc", i)))
        .collect();
    for (c, h) in &documents {
        expected.insert((h.clone(), *c));
    }
    Data {
        fragments,
        documents,
        expected,
    }
}

/// User plus system CPU seconds of the processes `pick` selects from `/proc/<pid>/stat`
/// (clock ticks of 1/100 s).
fn cpu_seconds_of(pick: impl Fn(&str, &str) -> bool) -> f64 {
    let mut ticks = 0.0;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    for entry in entries.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let name = head.split_once('(').map_or("", |(_, n)| n);
        if !pick(&pid, name) {
            continue;
        }
        let fields: Vec<&str> = rest.split_whitespace().collect();
        for i in [11, 12] {
            ticks += fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0);
        }
    }
    ticks / 100.0
}

fn own_cpu() -> f64 {
    let me = std::process::id().to_string();
    cpu_seconds_of(|pid, _| pid == me)
}

fn postgres_cpu() -> f64 {
    cpu_seconds_of(|_, name| name == "postgres")
}

/// Time `migrate_to(9)`, then compare `file_refs` with what the generator expects.
async fn migrate_and_check(
    backend: &str,
    store: &dyn Store,
    expected: &BTreeSet<(String, i64)>,
    refs: impl AsyncFnOnce() -> Result<BTreeSet<(String, i64)>, Error>,
) -> Result<(), Error> {
    assert_eq!(store.schema_version().await?, 8);
    let (wall, cpu, server) = (Instant::now(), own_cpu(), postgres_cpu());
    store.migrate_to(9).await?;
    let wall = wall.elapsed().as_secs_f64();
    let cpu = own_cpu() - cpu;
    let server = postgres_cpu() - server;
    let found = refs().await?;
    let missing = expected.difference(&found).count();
    let extra = found.difference(expected).count();
    println!(
        "{backend}: migration 9 in {wall:.2} s, {cpu:.2} CPU-s here, {server:.2} CPU-s in \
         postgres processes; {} references ({} expected, {missing} missing, {extra} extra)",
        found.len(),
        expected.len()
    );
    if missing + extra > 0 {
        return Err(format!("{backend}: the fill does not follow the reference rule").into());
    }
    Ok(())
}

async fn sqlite(data: &Data) -> Result<(), Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("aleph.db");
    SqliteStore::open_unmigrated(&path)
        .await?
        .migrate_to(8)
        .await?;
    let started = Instant::now();
    {
        let mut conn = rusqlite::Connection::open(&path)?;
        let tx = conn.transaction()?;
        for c in COLLECTIONS {
            tx.execute(
                "INSERT INTO collections (id, foreign_id, label, label_key, category,
                     created_at, updated_at)
                 VALUES (?1, ?2, ?2, ?2, 'casefile', 0, 0)",
                rusqlite::params![c, format!("c{c}")],
            )?;
        }
        {
            let mut insert = tx.prepare(
                "INSERT INTO fragments (collection_id, entity_id, origin, schema, data,
                     created_at, updated_at)
                 VALUES (?1, ?2, 'bulk', ?3, ?4, 0, 0)",
            )?;
            for r in &data.fragments {
                insert.execute(rusqlite::params![
                    r.collection_id,
                    r.entity_id,
                    r.schema,
                    r.data
                ])?;
            }
            let mut insert = tx.prepare(
                "INSERT INTO documents (collection_id, content_hash, created_at, updated_at)
                 VALUES (?1, ?2, 0, 0)",
            )?;
            for (c, h) in &data.documents {
                insert.execute(rusqlite::params![c, h])?;
            }
        }
        tx.commit()?;
    }
    println!(
        "sqlite: filled version 8 in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let store = SqliteStore::open_unmigrated(&path).await?;
    migrate_and_check("sqlite", &store, &data.expected, async || {
        let conn = rusqlite::Connection::open(&path)?;
        let mut stmt = conn.prepare("SELECT content_hash, collection_id FROM file_refs")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<BTreeSet<(String, i64)>, _>>()?;
        Ok(rows)
    })
    .await
}

async fn postgres(data: &Data) -> Result<(), Error> {
    let uri = std::env::var("ALEPH_TEST_DATABASE_URI")
        .map_err(|_| "ALEPH_TEST_DATABASE_URI is not set (scripts/pg-test-server.sh start)")?;
    let schema = format!("m9bench_{}", std::process::id());
    let store = PgStore::connect(&uri, Some(&schema)).await?;
    store.migrate_to(8).await?;
    let mut config: tokio_postgres::Config = uri.parse()?;
    config.options(format!("-c search_path={schema}"));
    let (client, conn) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    let result = async {
        let started = Instant::now();
        for c in COLLECTIONS {
            client
                .execute(
                    "INSERT INTO collections (id, foreign_id, label, label_key, category,
                         created_at, updated_at)
                     VALUES ($1, $2, $2, $2, 'casefile', now(), now())",
                    &[&c, &format!("c{c}")],
                )
                .await?;
        }
        for chunk in data.fragments.chunks(5_000) {
            let collections: Vec<i64> = chunk.iter().map(|r| r.collection_id).collect();
            let ids: Vec<&str> = chunk.iter().map(|r| r.entity_id.as_str()).collect();
            let schemata: Vec<&str> = chunk.iter().map(|r| r.schema).collect();
            let texts: Vec<&str> = chunk.iter().map(|r| r.data.as_str()).collect();
            client
                .execute(
                    "INSERT INTO fragments (collection_id, entity_id, origin, schema, data,
                         created_at, updated_at)
                     SELECT c, e, 'bulk', s, d, now(), now()
                     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])
                         AS t (c, e, s, d)",
                    &[&collections, &ids, &schemata, &texts],
                )
                .await?;
        }
        let collections: Vec<i64> = data.documents.iter().map(|(c, _)| *c).collect();
        let hashes: Vec<&str> = data.documents.iter().map(|(_, h)| h.as_str()).collect();
        client
            .execute(
                "INSERT INTO documents (collection_id, content_hash, created_at, updated_at)
                 SELECT c, h, now(), now() FROM unnest($1::bigint[], $2::text[]) AS t (c, h)",
                &[&collections, &hashes],
            )
            .await?;
        client.batch_execute("ANALYZE").await?;
        println!(
            "postgres: filled version 8 in {:.2} s",
            started.elapsed().as_secs_f64()
        );
        migrate_and_check("postgres", &store, &data.expected, async || {
            let rows = client
                .query("SELECT content_hash, collection_id FROM file_refs", &[])
                .await?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
        .await
    }
    .await;
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await?;
    result
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let which = args.next().unwrap_or_else(|| "both".into());
    let data = generate(n);
    println!(
        "{n} fragments (+1 not JSON), {} document rows, {} references expected",
        data.documents.len(),
        data.expected.len()
    );
    if which == "sqlite" || which == "both" {
        sqlite(&data).await?;
    }
    if which == "postgres" || which == "both" {
        postgres(&data).await?;
    }
    Ok(())
}
