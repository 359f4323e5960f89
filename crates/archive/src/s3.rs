//! Blobs in a bucket of any S3-compatible service, under the same `ab/cd/abcd…` keys as
//! the file archive.
//!
//! The SHA-1 is only known once the last byte is read, so an upload is first spooled to a
//! temporary file in a local work directory (hashing as it goes), then sent: a single PUT
//! when small, a multipart upload in bounded chunks otherwise. Memory use never depends on
//! the file size. Extractors that need a path get a copy downloaded into the work
//! directory's cache, written atomically like the file archive's blobs.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use futures::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload, WriteMultipart};
use sha1::{Digest, Sha1};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::cache::{BlobCache, DEFAULT_CACHE_BYTES};
use crate::{Archive, ArchiveError, Result, check_hash};

/// At or below this size a blob goes up in one PUT (read whole into memory); above it, in
/// multipart chunks of this size. S3 parts must be at least 5 MiB except the last.
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts in flight at once during a multipart upload: bounds memory to about
/// `PART_SIZE * (MAX_PARTS_IN_FLIGHT + 1)`.
const MAX_PARTS_IN_FLIGHT: usize = 2;

/// Where the bucket is and how to reach it.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    pub bucket: String,
    /// `http(s)://host:port` of a non-AWS service (MinIO, moto, …); AWS when `None`.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

/// A content-addressed archive in an S3 bucket.
#[derive(Debug)]
pub struct S3Archive {
    store: AmazonS3,
    work_dir: PathBuf,
    cache: BlobCache,
}

impl S3Archive {
    /// An archive in `config.bucket`, spooling uploads and caching local copies under
    /// `work_dir` (created if missing). No request is made until the first operation.
    /// The cache holds at most `ARCHIVE_CACHE_BYTES` (default 10 GiB); see
    /// [`S3Archive::with_cache_limit`].
    pub fn open(config: &S3Config, work_dir: impl Into<PathBuf>) -> Result<S3Archive> {
        let limit = std::env::var("ARCHIVE_CACHE_BYTES")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(DEFAULT_CACHE_BYTES);
        S3Archive::with_cache_limit(config, work_dir, limit)
    }

    /// [`S3Archive::open`] with the local cache bounded to `cache_bytes`.
    pub fn with_cache_limit(
        config: &S3Config,
        work_dir: impl Into<PathBuf>,
        cache_bytes: u64,
    ) -> Result<S3Archive> {
        let work_dir = work_dir.into();
        std::fs::create_dir_all(work_dir.join("tmp"))?;
        let cache = BlobCache::open(work_dir.join("cache"), cache_bytes)?;
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(config.region.as_deref().unwrap_or("us-east-1"));
        if let Some(endpoint) = &config.endpoint {
            // Self-hosted services are addressed by path, often over plain HTTP on a
            // private network.
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let Some(key) = &config.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &config.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder.build().map_err(storage)?;
        Ok(S3Archive {
            store,
            work_dir,
            cache,
        })
    }

    fn key_of(hash: &str) -> Result<ObjectPath> {
        let hash = check_hash(hash)?;
        Ok(ObjectPath::from(format!(
            "{}/{}/{}",
            &hash[0..2],
            &hash[2..4],
            hash
        )))
    }

    fn temp_path(&self) -> PathBuf {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        self.work_dir
            .join("tmp")
            .join(format!("{}-{n}.part", std::process::id()))
    }

    /// Send a spooled file of `size` bytes to `key`.
    async fn upload(&self, file: &Path, size: u64, key: &ObjectPath) -> Result<()> {
        if size <= PART_SIZE as u64 {
            let bytes = tokio::fs::read(file).await?;
            self.store
                .put(key, PutPayload::from(bytes))
                .await
                .map_err(storage)?;
            return Ok(());
        }
        let upload = self.store.put_multipart(key).await.map_err(storage)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let sent = async {
            let mut input = tokio::fs::File::open(file).await?;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                writer
                    .wait_for_capacity(MAX_PARTS_IN_FLIGHT)
                    .await
                    .map_err(storage)?;
                let n = input.read(&mut buf).await?;
                if n == 0 {
                    return Ok::<_, ArchiveError>(());
                }
                writer.write(&buf[..n]);
            }
        }
        .await;
        match sent {
            Ok(()) => {
                writer.finish().await.map_err(storage)?;
                Ok(())
            }
            Err(err) => {
                // Leave no half-uploaded parts billed in the bucket.
                let _ = writer.abort().await;
                Err(err)
            }
        }
    }
}

fn storage(err: object_store::Error) -> ArchiveError {
    ArchiveError::Storage(Box::new(err))
}

/// A missing object is [`ArchiveError::NotFound`]; anything else a storage error.
fn storage_for(hash: &str) -> impl FnOnce(object_store::Error) -> ArchiveError + '_ {
    move |err| match err {
        object_store::Error::NotFound { .. } => ArchiveError::NotFound(hash.to_string()),
        other => storage(other),
    }
}

/// Copy `reader` into a new file at `path`, returning the SHA-1 and the byte count.
async fn spool(reader: &mut (dyn AsyncRead + Send + Unpin), path: &Path) -> Result<(String, u64)> {
    let mut out = tokio::fs::File::create(path).await?;
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
    Ok((hex::encode(hasher.finalize()), total))
}

#[async_trait]
impl Archive for S3Archive {
    async fn put_file(&self, path: &Path) -> Result<String> {
        let mut file = tokio::fs::File::open(path).await?;
        let (hash, _) = self.put_stream(&mut file).await?;
        Ok(hash)
    }

    async fn put_stream(
        &self,
        reader: &mut (dyn AsyncRead + Send + Unpin),
    ) -> Result<(String, u64)> {
        let temp = self.temp_path();
        let result = async {
            let (hash, size) = spool(reader, &temp).await?;
            if !self.exists(&hash).await? {
                self.upload(&temp, size, &Self::key_of(&hash)?).await?;
            }
            Ok((hash, size))
        }
        .await;
        let _ = tokio::fs::remove_file(&temp).await;
        result
    }

    async fn exists(&self, hash: &str) -> Result<bool> {
        match self.store.head(&Self::key_of(hash)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(err) => Err(storage(err)),
        }
    }

    async fn local_path(&self, hash: &str) -> Result<PathBuf> {
        let hash = check_hash(hash)?;
        if let Some(cached) = self.cache.hit(hash) {
            return Ok(cached);
        }
        let cached = self.cache.path_of(hash);
        let temp = self.temp_path();
        let fetched = async {
            let mut reader = self.open(hash).await?;
            let (got, size) = spool(&mut reader, &temp).await?;
            if got != hash {
                return Err(std::io::Error::other(format!(
                    "blob {hash} in the bucket has SHA-1 {got}"
                ))
                .into());
            }
            tokio::fs::rename(&temp, &cached).await?;
            self.cache.added(hash, size)?;
            Ok(cached)
        }
        .await;
        if fetched.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        fetched
    }

    async fn open(&self, hash: &str) -> Result<Box<dyn AsyncRead + Send + Unpin>> {
        let found = self
            .store
            .get(&Self::key_of(hash)?)
            .await
            .map_err(storage_for(hash))?;
        let stream = found.into_stream().map_err(std::io::Error::other);
        Ok(Box::new(tokio_util::io::StreamReader::new(stream)))
    }

    async fn size(&self, hash: &str) -> Result<u64> {
        let meta = self
            .store
            .head(&Self::key_of(hash)?)
            .await
            .map_err(storage_for(hash))?;
        Ok(meta.size)
    }

    async fn delete(&self, hash: &str) -> Result<()> {
        let hash = check_hash(hash)?;
        self.cache.remove(hash)?;
        match self.store.delete(&Self::key_of(hash)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(storage(err)),
        }
    }
}
