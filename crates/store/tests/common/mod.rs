//! Test harnesses: a fresh store per test for each backend, plus raw SQL access for
//! setting up databases at old schema versions.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use store::{PgStore, SqliteStore, Store};

/// A backend under test. The value returned with the store keeps its resources alive.
pub trait Harness: Sized + Send + 'static {
    /// A fresh store migrated to the latest schema.
    async fn fresh() -> (Arc<dyn Store>, Self);
    /// A fresh store at an old schema version.
    async fn at_version(version: u32) -> (Arc<dyn Store>, Self);
    /// Load a small data set with version-1 SQL, as an old release would have written it
    /// (later versions only added to it).
    async fn load_v1_fixture(&self);
    /// The number a `SELECT COUNT(*) …` query answers, written with `?1` for `id`, read
    /// straight from the database rather than through the store.
    async fn count(&self, sql: &str, id: i64) -> i64;
}

/// The plaintext API key in the version-1 fixture.
pub const V1_API_KEY: &str = "legacy-api-key";

pub struct Sqlite {
    dir: tempfile::TempDir,
}

impl Sqlite {
    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("aleph.db")
    }
}

impl Harness for Sqlite {
    async fn fresh() -> (Arc<dyn Store>, Self) {
        let h = Sqlite {
            dir: tempfile::tempdir().unwrap(),
        };
        let store = SqliteStore::open(h.db()).await.unwrap();
        (Arc::new(store), h)
    }

    async fn at_version(version: u32) -> (Arc<dyn Store>, Self) {
        let h = Sqlite {
            dir: tempfile::tempdir().unwrap(),
        };
        let store = SqliteStore::open_unmigrated(h.db()).await.unwrap();
        store.migrate_to(version).await.unwrap();
        (Arc::new(store), h)
    }

    async fn load_v1_fixture(&self) {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO roles (kind, foreign_id, name, email, email_key, api_key_digest,
                 is_admin, created_at, updated_at)
             VALUES ('user', 'password:old@example.org', 'Old User', 'Old@Example.org',
                 'old@example.org', '{digest}', 1, 1700000000000000, 1700000000000000);
             INSERT INTO collections (foreign_id, label, label_key, category, countries,
                 languages, creator_id, created_at, updated_at)
             VALUES ('old_leak', 'Old Leak', 'old leak', 'leak', '[\"de\"]', '[]',
                 (SELECT id FROM roles WHERE foreign_id = 'password:old@example.org'),
                 1700000000000000, 1700000000000000);
             INSERT INTO permissions (collection_id, role_id, read, write, created_at, updated_at)
             SELECT c.id, r.id, 1, 1, 1700000000000000, 1700000000000000
             FROM collections c, roles r
             WHERE c.foreign_id = 'old_leak' AND r.foreign_id = 'password:old@example.org';
             INSERT INTO fragments (collection_id, entity_id, origin, schema, data, created_at, updated_at)
             SELECT id, 'p1', 'bulk', 'Person', '{data}', 1700000000000000, 1700000000000000
             FROM collections WHERE foreign_id = 'old_leak';",
            digest = sha256_hex(V1_API_KEY),
            data = V1_FRAGMENT,
        ))
        .unwrap();
    }

    async fn count(&self, sql: &str, id: i64) -> i64 {
        self.count_now(sql, id)
    }
}

impl Sqlite {
    fn count_now(&self, sql: &str, id: i64) -> i64 {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        conn.query_row(sql, [id], |r| r.get(0)).unwrap()
    }
}

pub const V1_FRAGMENT: &str =
    r#"{"id":"p1","schema":"Person","properties":{"name":["Old Person"],"nationality":["de"]}}"#;

pub fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// Each test gets its own schema in the test database, so tests run in parallel; the
/// schema is dropped when the harness goes.
pub struct Postgres {
    uri: String,
    schema: String,
}

fn pg_uri() -> String {
    std::env::var("ALEPH_TEST_DATABASE_URI").expect(
        "ALEPH_TEST_DATABASE_URI is not set: start a server with \
         `eval \"$(scripts/pg-test-server.sh start)\"` (scripts/test-all.sh does)",
    )
}

static SCHEMA_SEQ: AtomicU32 = AtomicU32::new(0);

impl Postgres {
    async fn new(migrate: bool) -> (Arc<dyn Store>, Self) {
        let uri = pg_uri();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let schema = format!(
            "t_{}_{}_{}",
            std::process::id(),
            SCHEMA_SEQ.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let store = PgStore::connect(&uri, Some(&schema)).await.unwrap();
        if migrate {
            store.migrate().await.unwrap();
        }
        (Arc::new(store), Postgres { uri, schema })
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    pub fn schema(&self) -> &str {
        &self.schema
    }

    async fn client(uri: &str, schema: &str) -> tokio_postgres::Client {
        let mut config: tokio_postgres::Config = uri.parse().unwrap();
        config.options(format!("-c search_path={schema}"));
        let (client, conn) = config.connect(tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    }
}

impl Postgres {
    /// An empty schema, not migrated.
    pub async fn unmigrated() -> (Arc<dyn Store>, Self) {
        Postgres::new(false).await
    }
}

impl Harness for Postgres {
    async fn fresh() -> (Arc<dyn Store>, Self) {
        Postgres::new(true).await
    }

    async fn at_version(version: u32) -> (Arc<dyn Store>, Self) {
        let (store, h) = Postgres::new(false).await;
        store.migrate_to(version).await.unwrap();
        (store, h)
    }

    async fn load_v1_fixture(&self) {
        let client = Postgres::client(&self.uri, &self.schema).await;
        client
            .batch_execute(&format!(
                "INSERT INTO roles (kind, foreign_id, name, email, email_key, api_key_digest,
                     is_admin, created_at, updated_at)
                 VALUES ('user', 'password:old@example.org', 'Old User', 'Old@Example.org',
                     'old@example.org', '{digest}', TRUE, '2023-11-14 22:13:20+00',
                     '2023-11-14 22:13:20+00');
                 INSERT INTO collections (foreign_id, label, label_key, category, countries,
                     languages, creator_id, created_at, updated_at)
                 VALUES ('old_leak', 'Old Leak', 'old leak', 'leak', '{{de}}', '{{}}',
                     (SELECT id FROM roles WHERE foreign_id = 'password:old@example.org'),
                     '2023-11-14 22:13:20+00', '2023-11-14 22:13:20+00');
                 INSERT INTO permissions (collection_id, role_id, read, write, created_at, updated_at)
                 SELECT c.id, r.id, TRUE, TRUE, '2023-11-14 22:13:20+00', '2023-11-14 22:13:20+00'
                 FROM collections c, roles r
                 WHERE c.foreign_id = 'old_leak' AND r.foreign_id = 'password:old@example.org';
                 INSERT INTO fragments (collection_id, entity_id, origin, schema, data, created_at, updated_at)
                 SELECT id, 'p1', 'bulk', 'Person', '{data}', '2023-11-14 22:13:20+00',
                     '2023-11-14 22:13:20+00'
                 FROM collections WHERE foreign_id = 'old_leak';",
                digest = sha256_hex(V1_API_KEY),
                data = V1_FRAGMENT,
            ))
            .await
            .unwrap();
    }

    async fn count(&self, sql: &str, id: i64) -> i64 {
        let client = Postgres::client(&self.uri, &self.schema).await;
        let row = client
            .query_one(&sql.replace('?', "$"), &[&id])
            .await
            .unwrap();
        row.get(0)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let (uri, schema) = (self.uri.clone(), self.schema.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on; use a thread
        // with its own small runtime.
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let client = Postgres::client(&uri, "public").await;
                client
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .await
            })
        });
        let _ = cleanup.join();
    }
}
