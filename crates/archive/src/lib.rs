//! The archive: file contents stored once, under the hex SHA-1 of their bytes.
//!
//! Aleph keys every uploaded file, derived PDF and normalised CSV by SHA-1
//! (`contentHash`, `pdfHash`, `csvHash`); the same file uploaded twice is stored once.
//! [`Archive`] is the interface the server and workers use; [`FileArchive`] keeps blobs
//! in a directory (`ab/cd/abcd…`); [`S3Archive`] keeps them in an S3-compatible bucket.
//!
//! Writes are atomic: a blob is written to a temporary file beside its final place, its
//! hash checked, then renamed, so a crash never leaves a truncated blob under a valid key.

mod cache;
mod s3;

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use sha1::{Digest, Sha1};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// Why an archive operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("no blob with hash {0}")]
    NotFound(String),
    #[error("not a SHA-1 hex digest: {0:?}")]
    InvalidHash(String),
    #[error("archive I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The object store (S3) refused or failed a request.
    #[error("archive storage error: {0}")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub use cache::DEFAULT_CACHE_BYTES;
pub use s3::{S3Archive, S3Config};

pub type Result<T> = std::result::Result<T, ArchiveError>;

/// A content-addressed blob store.
#[async_trait]
pub trait Archive: Send + Sync {
    /// Store the bytes of a local file; returns their SHA-1. The file is left in place.
    async fn put_file(&self, path: &Path) -> Result<String> {
        Ok(self.put_path(path).await?.0)
    }

    /// Store the bytes of a local file; returns their SHA-1 and their number.
    async fn put_path(&self, path: &Path) -> Result<(String, u64)> {
        let mut file = tokio::fs::File::open(path).await?;
        self.put_stream(&mut file).await
    }

    /// Store everything read from `reader` without holding it in memory; returns the SHA-1
    /// and the number of bytes.
    async fn put_stream(
        &self,
        reader: &mut (dyn AsyncRead + Send + Unpin),
    ) -> Result<(String, u64)>;

    /// Whether a blob exists.
    async fn exists(&self, hash: &str) -> Result<bool>;

    /// A local file holding the blob's bytes, for extractors that need a path. For the
    /// file archive this is the blob itself: callers must not modify or delete it.
    async fn local_path(&self, hash: &str) -> Result<PathBuf>;

    /// Open a blob for reading (downloads).
    async fn open(&self, hash: &str) -> Result<Box<dyn AsyncRead + Send + Unpin>>;

    /// The blob's size in bytes.
    async fn size(&self, hash: &str) -> Result<u64>;

    /// Remove a blob; removing a missing blob is not an error.
    async fn delete(&self, hash: &str) -> Result<()>;
}

/// Blobs as files under a root directory.
#[derive(Debug, Clone)]
pub struct FileArchive {
    root: PathBuf,
}

impl FileArchive {
    /// An archive rooted at `root` (created if missing).
    pub fn open(root: impl Into<PathBuf>) -> Result<FileArchive> {
        let root = root.into();
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(FileArchive { root })
    }

    fn path_of(&self, hash: &str) -> Result<PathBuf> {
        let hash = check_hash(hash)?;
        Ok(self.root.join(&hash[0..2]).join(&hash[2..4]).join(hash))
    }

    fn temp_path(&self) -> PathBuf {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        self.root
            .join("tmp")
            .join(format!("{}-{n}.part", std::process::id()))
    }

    /// Move a fully written temporary file into place under `hash`.
    async fn commit(&self, temp: &Path, hash: &str) -> Result<()> {
        let dest = self.path_of(hash)?;
        if tokio::fs::try_exists(&dest).await? {
            tokio::fs::remove_file(temp).await?;
            return Ok(());
        }
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        tokio::fs::rename(temp, &dest).await?;
        Ok(())
    }
}

fn check_hash(hash: &str) -> Result<&str> {
    if hash.len() == 40
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(hash)
    } else {
        Err(ArchiveError::InvalidHash(hash.to_string()))
    }
}

/// Copy `path` to `temp` while hashing it, and make the copy durable.
fn copy_hashing(path: &Path, temp: &Path) -> Result<(String, u64)> {
    use std::io::{Read, Write};
    let mut input = std::fs::File::open(path)?;
    let mut out = std::fs::File::create(temp)?;
    let mut hasher = Sha1::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        total += n as u64;
    }
    out.sync_all()?;
    Ok((hex::encode(hasher.finalize()), total))
}

/// Move a fully written temporary file into place at `dest`, or drop it when the blob is
/// there already.
fn commit_blocking(temp: &Path, dest: &Path) -> Result<()> {
    if dest.try_exists()? {
        std::fs::remove_file(temp)?;
        return Ok(());
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::rename(temp, dest)?;
    Ok(())
}

#[async_trait]
impl Archive for FileArchive {
    /// A local file is copied in one blocking task: through tokio's file type each read,
    /// write, sync and rename of a small file was its own hand-over to the blocking pool
    /// (a dozen thread wake-ups per crawled file or extracted attachment).
    async fn put_path(&self, path: &Path) -> Result<(String, u64)> {
        let temp = self.temp_path();
        let this = self.clone();
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let stored = copy_hashing(&path, &temp).and_then(|(hash, size)| {
                commit_blocking(&temp, &this.path_of(&hash)?)?;
                Ok((hash, size))
            });
            if stored.is_err() {
                let _ = std::fs::remove_file(&temp);
            }
            stored
        })
        .await
        .map_err(|e| ArchiveError::Io(std::io::Error::other(e)))?
    }

    async fn put_stream(
        &self,
        reader: &mut (dyn AsyncRead + Send + Unpin),
    ) -> Result<(String, u64)> {
        let temp = self.temp_path();
        let result = async {
            let mut out = tokio::fs::File::create(&temp).await?;
            let mut hasher = Sha1::new();
            let mut buf = vec![0u8; 1 << 16];
            let mut total = 0u64;
            loop {
                let n = reader.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n]).await?;
                total += n as u64;
            }
            out.flush().await?;
            out.sync_all().await?;
            Ok::<_, ArchiveError>((hex::encode(hasher.finalize()), total))
        }
        .await;
        match result {
            Ok((hash, total)) => {
                self.commit(&temp, &hash).await?;
                Ok((hash, total))
            }
            Err(err) => {
                let _ = tokio::fs::remove_file(&temp).await;
                Err(err)
            }
        }
    }

    async fn exists(&self, hash: &str) -> Result<bool> {
        Ok(tokio::fs::try_exists(self.path_of(hash)?).await?)
    }

    async fn local_path(&self, hash: &str) -> Result<PathBuf> {
        let path = self.path_of(hash)?;
        if tokio::fs::try_exists(&path).await? {
            Ok(path)
        } else {
            Err(ArchiveError::NotFound(hash.to_string()))
        }
    }

    async fn open(&self, hash: &str) -> Result<Box<dyn AsyncRead + Send + Unpin>> {
        let path = self.local_path(hash).await?;
        Ok(Box::new(tokio::fs::File::open(path).await?))
    }

    async fn size(&self, hash: &str) -> Result<u64> {
        let path = self.local_path(hash).await?;
        Ok(tokio::fs::metadata(path).await?.len())
    }

    async fn delete(&self, hash: &str) -> Result<()> {
        match tokio::fs::remove_file(self.path_of(hash)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_once_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let archive = FileArchive::open(dir.path().join("archive")).unwrap();
        let src = dir.path().join("a.txt");
        std::fs::write(&src, b"abc").unwrap();
        let hash = archive.put_file(&src).await.unwrap();
        assert_eq!(hash, "a9993e364706816aba3e25717850c26c9cd0d89d");
        let again = archive.put_stream(&mut &b"abc"[..]).await.unwrap();
        assert_eq!(again, (hash.clone(), 3));
        assert!(archive.exists(&hash).await.unwrap());
        assert_eq!(archive.size(&hash).await.unwrap(), 3);
        let mut back = Vec::new();
        archive
            .open(&hash)
            .await
            .unwrap()
            .read_to_end(&mut back)
            .await
            .unwrap();
        assert_eq!(back, b"abc");
        // One blob on disk, no temporary files left.
        let temps = std::fs::read_dir(dir.path().join("archive/tmp"))
            .unwrap()
            .count();
        assert_eq!(temps, 0);
        archive.delete(&hash).await.unwrap();
        assert!(!archive.exists(&hash).await.unwrap());
        archive.delete(&hash).await.unwrap();
    }

    #[tokio::test]
    async fn local_files_are_stored_with_their_size() {
        let dir = tempfile::tempdir().unwrap();
        let archive = FileArchive::open(dir.path().join("archive")).unwrap();
        // Larger than one copy buffer, so the hash covers several reads.
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let src = dir.path().join("big.bin");
        std::fs::write(&src, &bytes).unwrap();
        let (hash, size) = archive.put_path(&src).await.unwrap();
        assert_eq!(size, 200_000);
        assert_eq!(hash, hex::encode(Sha1::digest(&bytes)));
        assert_eq!(
            std::fs::read(archive.local_path(&hash).await.unwrap()).unwrap(),
            bytes
        );
        // The same bytes again: the blob is kept, the copy dropped.
        assert_eq!(archive.put_path(&src).await.unwrap(), (hash, 200_000));
        // A missing file fails and leaves no temporary file behind.
        let missing = archive.put_path(&dir.path().join("nope")).await;
        assert!(matches!(missing, Err(ArchiveError::Io(_))), "{missing:?}");
        let temps = std::fs::read_dir(dir.path().join("archive/tmp"))
            .unwrap()
            .count();
        assert_eq!(temps, 0);
    }

    #[tokio::test]
    async fn rejects_bad_hashes_and_reports_missing_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let archive = FileArchive::open(dir.path()).unwrap();
        assert!(matches!(
            archive.exists("../../etc/passwd").await,
            Err(ArchiveError::InvalidHash(_))
        ));
        assert!(matches!(
            archive.local_path(&"0".repeat(40)).await,
            Err(ArchiveError::NotFound(_))
        ));
    }
}
