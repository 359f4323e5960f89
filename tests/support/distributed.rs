//! The two configurations the end-to-end tests run in, chosen by `ALEPH_TEST_CONFIG`:
//! `embedded` (the default: SQLite, Tantivy and local files in the data directory) or
//! `distributed` (PostgreSQL, OpenSearch and S3, from `ALEPH_TEST_DATABASE_URI`,
//! `ALEPH_TEST_OPENSEARCH_URL` and `ALEPH_TEST_S3_URL`, which `scripts/test-all.sh` sets).
//! In the distributed configuration every [`Deployment`] gets a database, an index alias
//! and a bucket of its own, so tests never see each other's data.
//!
//! Shared by the test crates with `#[path]`; it uses only the standard library (the
//! database is created with `psql`, the bucket with a plain HTTP request).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// Which configuration this test run is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Config {
    Embedded,
    Distributed,
}

impl Config {
    /// From `ALEPH_TEST_CONFIG`; an unknown value is an error, not a silent default.
    pub fn from_env() -> Config {
        match std::env::var("ALEPH_TEST_CONFIG").as_deref().map(str::trim) {
            Err(_) | Ok("") | Ok("embedded") => Config::Embedded,
            Ok("distributed") => Config::Distributed,
            Ok(other) => panic!("ALEPH_TEST_CONFIG={other:?}: use embedded or distributed"),
        }
    }
}

/// Where one distributed deployment keeps its data.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// A fresh, empty PostgreSQL database.
    pub database_uri: String,
    /// The OpenSearch URL with this deployment's index alias as its path.
    pub index_uri: String,
    pub s3_url: String,
    pub bucket: String,
}

fn required(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().trim_end_matches('/').to_string(),
        _ => panic!(
            "ALEPH_TEST_CONFIG=distributed needs {name} (scripts/test-all.sh starts the \
             servers and sets it)"
        ),
    }
}

/// A name no other deployment of any test process uses (lowercase: it is a database,
/// an index and a bucket name).
fn unique_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "alephd{}x{}x{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl Deployment {
    /// Make a database and a bucket, and choose an index alias.
    pub fn create() -> Deployment {
        let admin_uri = required("ALEPH_TEST_DATABASE_URI");
        let opensearch = required("ALEPH_TEST_OPENSEARCH_URL");
        let s3_url = required("ALEPH_TEST_S3_URL");
        let name = unique_name();
        let (server, _db) = admin_uri
            .rsplit_once('/')
            .unwrap_or_else(|| panic!("ALEPH_TEST_DATABASE_URI={admin_uri} has no database"));
        let created = Command::new("psql")
            .arg(format!("{server}/postgres"))
            .args(["-v", "ON_ERROR_STOP=1", "-qc"])
            .arg(format!("CREATE DATABASE {name}"))
            .output()
            .expect("psql runs");
        assert!(
            created.status.success(),
            "creating database {name}: {}",
            String::from_utf8_lossy(&created.stderr)
        );
        create_bucket(&s3_url, &name);
        Deployment {
            database_uri: format!("{server}/{name}"),
            index_uri: format!("{opensearch}/{name}"),
            s3_url,
            bucket: name,
        }
    }

    /// The environment that points `aleph` at this deployment.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ALEPH_DATABASE_URI", self.database_uri.clone()),
            ("ALEPH_INDEX_URI", self.index_uri.clone()),
            ("ARCHIVE_TYPE", "s3".into()),
            ("ARCHIVE_BUCKET", self.bucket.clone()),
            ("ARCHIVE_ENDPOINT_URL", self.s3_url.clone()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            // Every process of a deployment signs and checks the same archive tokens.
            ("ALEPH_SECRET_KEY", format!("secret-{}", self.bucket)),
        ]
    }
}

/// Create a bucket with a plain HTTP request (the test S3 server takes it unsigned).
fn create_bucket(url: &str, bucket: &str) {
    let host = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("ALEPH_TEST_S3_URL={url} must be http://host:port"));
    let mut conn = std::net::TcpStream::connect(host)
        .unwrap_or_else(|e| panic!("ALEPH_TEST_S3_URL={url} is unreachable: {e}"));
    write!(
        conn,
        "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("request sent");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("answer read");
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "creating bucket {bucket} at {url}: {answer}"
    );
}
