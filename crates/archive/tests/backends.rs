//! The same cases against both archive backends: the file archive always, and the S3
//! archive when `ALEPH_TEST_S3_URL` names an S3-compatible server (`scripts/test-all.sh`
//! starts one). If the variable is set but the server cannot be used, the tests fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use archive::{Archive, ArchiveError, FileArchive, S3Archive, S3Config};
use futures::TryStreamExt;
use object_store::ObjectStore;
use sha1::{Digest, Sha1};
use tokio::io::AsyncReadExt;

/// One archive under test, with a way to count the blobs it really holds.
struct Backend {
    name: &'static str,
    archive: Box<dyn Archive>,
    blobs: Blobs,
    _dir: tempfile::TempDir,
}

enum Blobs {
    Dir(std::path::PathBuf),
    Bucket(object_store::aws::AmazonS3),
}

impl Backend {
    async fn count_blobs(&self) -> usize {
        match &self.blobs {
            Blobs::Dir(root) => walk_files(root)
                .into_iter()
                .filter(|p| !p.starts_with(root.join("tmp")))
                .count(),
            Blobs::Bucket(store) => {
                let all: Vec<_> = store.list(None).try_collect().await.unwrap();
                all.len()
            }
        }
    }
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn s3_url() -> Option<String> {
    match std::env::var("ALEPH_TEST_S3_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().trim_end_matches('/').to_string()),
        _ => {
            // Straight to stderr, which the test harness does not capture, so that the
            // missing half is seen.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** ALEPH_TEST_S3_URL is not set: the S3 half of the archive tests did not \
                 run (scripts/test-all.sh starts a server and sets it) ***\n"
            );
            None
        }
    }
}

/// Create a bucket with a plain HTTP request (object_store does not manage buckets).
fn create_bucket(url: &str, bucket: &str) {
    let host = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("ALEPH_TEST_S3_URL={url} must be http://host:port"));
    let mut conn = std::net::TcpStream::connect(host).unwrap_or_else(|e| {
        panic!("ALEPH_TEST_S3_URL={url} is set but the server is unreachable: {e}")
    });
    write!(
        conn,
        "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "ALEPH_TEST_S3_URL={url}: creating bucket {bucket} failed: {answer}"
    );
}

fn s3_config(url: &str, bucket: &str) -> S3Config {
    S3Config {
        bucket: bucket.to_string(),
        endpoint: Some(url.to_string()),
        region: Some("us-east-1".into()),
        access_key_id: Some("testing".into()),
        secret_access_key: Some("testing".into()),
    }
}

/// Every backend available here, each empty.
fn backends() -> Vec<Backend> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    out.push(Backend {
        name: "file",
        archive: Box::new(FileArchive::open(&root).unwrap()),
        blobs: Blobs::Dir(root),
        _dir: dir,
    });
    if let Some(url) = s3_url() {
        static N: AtomicU64 = AtomicU64::new(0);
        let bucket = format!(
            "archive-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        create_bucket(&url, &bucket);
        let config = s3_config(&url, &bucket);
        let store = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&bucket)
            .with_region("us-east-1")
            .with_endpoint(&url)
            .with_allow_http(true)
            .with_access_key_id("testing")
            .with_secret_access_key("testing")
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        out.push(Backend {
            name: "s3",
            archive: Box::new(S3Archive::open(&config, dir.path().join("work")).unwrap()),
            blobs: Blobs::Bucket(store),
            _dir: dir,
        });
    }
    out
}

async fn read_all(archive: &dyn Archive, hash: &str) -> Vec<u8> {
    let mut back = Vec::new();
    archive
        .open(hash)
        .await
        .unwrap()
        .read_to_end(&mut back)
        .await
        .unwrap();
    back
}

#[tokio::test]
async fn the_same_bytes_are_stored_once() {
    for b in backends() {
        let src = b._dir.path().join("a.txt");
        std::fs::write(&src, b"abc").unwrap();
        let hash = b.archive.put_file(&src).await.unwrap();
        assert_eq!(
            hash, "a9993e364706816aba3e25717850c26c9cd0d89d",
            "{}",
            b.name
        );
        let again = b.archive.put_stream(&mut &b"abc"[..]).await.unwrap();
        assert_eq!(again, (hash.clone(), 3), "{}", b.name);
        assert_eq!(b.count_blobs().await, 1, "{}: stored once", b.name);
        assert!(src.exists(), "{}: put_file leaves the source", b.name);

        assert!(b.archive.exists(&hash).await.unwrap(), "{}", b.name);
        assert_eq!(b.archive.size(&hash).await.unwrap(), 3, "{}", b.name);
        assert_eq!(read_all(&*b.archive, &hash).await, b"abc", "{}", b.name);
        let local = b.archive.local_path(&hash).await.unwrap();
        assert_eq!(std::fs::read(local).unwrap(), b"abc", "{}", b.name);

        let other = b.archive.put_stream(&mut &b"abd"[..]).await.unwrap();
        assert_ne!(other.0, hash, "{}", b.name);
        assert_eq!(b.count_blobs().await, 2, "{}", b.name);

        b.archive.delete(&hash).await.unwrap();
        assert!(!b.archive.exists(&hash).await.unwrap(), "{}", b.name);
        assert!(b.archive.exists(&other.0).await.unwrap(), "{}", b.name);
        b.archive.delete(&hash).await.unwrap();
        assert_eq!(b.count_blobs().await, 1, "{}", b.name);
    }
}

#[tokio::test]
async fn an_empty_file_is_a_blob() {
    for b in backends() {
        let (hash, size) = b.archive.put_stream(&mut &b""[..]).await.unwrap();
        assert_eq!(
            hash, "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "{}",
            b.name
        );
        assert_eq!(size, 0);
        assert_eq!(b.archive.size(&hash).await.unwrap(), 0, "{}", b.name);
        assert!(read_all(&*b.archive, &hash).await.is_empty(), "{}", b.name);
    }
}

#[tokio::test]
async fn missing_blobs_and_bad_hashes_are_clear_errors() {
    for b in backends() {
        let missing = "0".repeat(40);
        assert!(!b.archive.exists(&missing).await.unwrap(), "{}", b.name);
        assert!(
            matches!(b.archive.open(&missing).await, Err(ArchiveError::NotFound(h)) if h == missing),
            "{}",
            b.name
        );
        assert!(
            matches!(
                b.archive.size(&missing).await,
                Err(ArchiveError::NotFound(_))
            ),
            "{}",
            b.name
        );
        assert!(
            matches!(
                b.archive.local_path(&missing).await,
                Err(ArchiveError::NotFound(_))
            ),
            "{}",
            b.name
        );
        assert!(
            matches!(
                b.archive.exists("../../etc/passwd").await,
                Err(ArchiveError::InvalidHash(_))
            ),
            "{}",
            b.name
        );
        b.archive.delete(&missing).await.unwrap();
    }
}

/// Deterministic bytes that do not compress or repeat in parts.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[tokio::test]
async fn a_20_mb_file_round_trips() {
    let data = noise(20 * 1024 * 1024 + 123);
    let expected = hex::encode(Sha1::digest(&data));
    for b in backends() {
        let src = b._dir.path().join("big.bin");
        std::fs::File::create(&src)
            .unwrap()
            .write_all(&data)
            .unwrap();
        let hash = b.archive.put_file(&src).await.unwrap();
        assert_eq!(hash, expected, "{}", b.name);
        // A second upload of the same large file adds nothing.
        assert_eq!(b.archive.put_file(&src).await.unwrap(), expected);
        assert_eq!(b.count_blobs().await, 1, "{}", b.name);
        assert_eq!(
            b.archive.size(&hash).await.unwrap(),
            data.len() as u64,
            "{}",
            b.name
        );
        // Read back in small pieces, as a download streams it.
        let mut reader = b.archive.open(&hash).await.unwrap();
        let mut hasher = Sha1::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0usize;
        loop {
            let n = reader.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            total += n;
        }
        assert_eq!(total, data.len(), "{}", b.name);
        assert_eq!(hex::encode(hasher.finalize()), expected, "{}", b.name);
        let local = b.archive.local_path(&hash).await.unwrap();
        assert!(std::fs::read(local).unwrap() == data, "{}", b.name);
    }
}
