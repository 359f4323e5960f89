//! Settings, from Aleph's environment variable names where Aleph has one. Defaults give
//! the embedded mode: everything under one data directory.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Everything the server and the workers need to know about their environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Holds the SQLite file, the Tantivy index, the archive and the secret key.
    pub data_dir: PathBuf,
    /// `ALEPH_DATABASE_URI`: a `postgresql://` URI, or SQLite in the data directory.
    pub database_uri: String,
    /// `ALEPH_INDEX_URI` / `ALEPH_ELASTICSEARCH_URI`: where the index lives: an
    /// `http(s)://` cluster URI (OpenSearch; a path names the index alias), or a directory
    /// for the embedded Tantivy index.
    pub index_path: PathBuf,
    /// `ARCHIVE_PATH`: the blob archive directory (with `ARCHIVE_TYPE=s3`, the local spool
    /// for uploads and cache of downloaded copies).
    pub archive_path: PathBuf,
    /// `ARCHIVE_TYPE=s3`: keep blobs in this bucket instead of under `archive_path`.
    pub archive_s3: Option<archive::S3Config>,
    /// `ALEPH_SECRET_KEY`: signs archive tokens.
    pub secret_key: String,
    /// `ALEPH_UI_URL`: the public base URL; `next`/`previous` links and `links.*` use it.
    pub ui_url: String,
    /// `ALEPH_REQUIRE_LOGGED_IN`: refuse anonymous access everywhere.
    pub require_logged_in: bool,
    /// `ALEPH_MAINTENANCE`: refuse every write.
    pub maintenance: bool,
    /// `ALEPH_APP_TITLE`.
    pub app_title: String,
    /// Largest upload accepted, in bytes (413 beyond).
    pub max_upload_bytes: u64,
    /// `ALEPH_BEHIND_PROXY`: trust `X-Forwarded-For` for the client address in the audit
    /// log. Only set this when a proxy that sets the header fronts every request.
    pub behind_proxy: bool,
    /// `ALEPH_AUDIT_RETENTION_DAYS`: audit entries older than this are deleted (0: never).
    pub audit_retention_days: u32,
    /// `ALEPH_UPLOAD_BURST_SECONDS`: how long further uploads by the same user into the
    /// same collection fold into the notification of the first (default 600).
    pub upload_burst: std::time::Duration,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_bool(name: &str) -> bool {
    env(name).is_some_and(|v| matches!(v.to_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}

impl Settings {
    /// Settings for a data directory, with the environment's overrides.
    pub fn from_env(data_dir: Option<PathBuf>) -> anyhow::Result<Settings> {
        let data_dir = data_dir
            .or_else(|| env("ALEPH_DATA").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("aleph-data"));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
        let database_uri = env("ALEPH_DATABASE_URI")
            .unwrap_or_else(|| data_dir.join("aleph.db").display().to_string());
        let index_path = env("ALEPH_INDEX_URI")
            .or_else(|| env("ALEPH_ELASTICSEARCH_URI"))
            .map(|uri| PathBuf::from(uri.trim_start_matches("tantivy://")))
            .unwrap_or_else(|| data_dir.join("index"));
        let archive_path = env("ARCHIVE_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("archive"));
        let archive_s3 = archive_s3_from(env)?;
        let secret_key = match env("ALEPH_SECRET_KEY") {
            Some(key) => key,
            None => load_or_create_secret(&data_dir)?,
        };
        let mut ui_url = env("ALEPH_UI_URL").unwrap_or_else(|| "http://localhost:8080/".into());
        if !ui_url.ends_with('/') {
            ui_url.push('/');
        }
        let max_upload_bytes = env("ALEPH_MAX_UPLOAD_BYTES")
            .and_then(|v| v.parse().ok())
            .unwrap_or(16 * 1024 * 1024 * 1024);
        Ok(Settings {
            data_dir,
            database_uri,
            index_path,
            archive_path,
            archive_s3,
            secret_key,
            ui_url,
            require_logged_in: env_bool("ALEPH_REQUIRE_LOGGED_IN"),
            maintenance: env_bool("ALEPH_MAINTENANCE"),
            app_title: env("ALEPH_APP_TITLE").unwrap_or_else(|| "Aleph".into()),
            max_upload_bytes,
            behind_proxy: env_bool("ALEPH_BEHIND_PROXY"),
            audit_retention_days: env("ALEPH_AUDIT_RETENTION_DAYS")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(365),
            upload_burst: std::time::Duration::from_secs(
                env("ALEPH_UPLOAD_BURST_SECONDS")
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(600),
            ),
        })
    }

    /// An absolute URL under the public base (`api/2/collections/1` → `https://…/api/2/…`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.ui_url, path.trim_start_matches('/'))
    }
}

/// The bucket named by Aleph's variables when `ARCHIVE_TYPE` is `s3` (`file`, the default,
/// gives `None`).
fn archive_s3_from(
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<archive::S3Config>> {
    match env("ARCHIVE_TYPE").as_deref().map(str::trim) {
        None | Some("file") => Ok(None),
        Some("s3") => Ok(Some(archive::S3Config {
            bucket: env("ARCHIVE_BUCKET")
                .context("ARCHIVE_TYPE=s3 needs ARCHIVE_BUCKET (the bucket name)")?,
            endpoint: env("ARCHIVE_ENDPOINT_URL").or_else(|| env("AWS_ENDPOINT_URL")),
            region: env("AWS_REGION"),
            access_key_id: env("AWS_ACCESS_KEY_ID"),
            secret_access_key: env("AWS_SECRET_ACCESS_KEY"),
        })),
        Some(other) => anyhow::bail!("ARCHIVE_TYPE={other:?} is not supported (use file or s3)"),
    }
}

/// A random key kept in the data directory, so that tokens survive restarts without any
/// configuration.
fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("secret.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_string();
        if !existing.is_empty() {
            return Ok(existing);
        }
    }
    let key = hex::encode(rand::random::<[u8; 32]>());
    std::fs::write(&path, &key).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(key)
}

#[cfg(test)]
mod archive_type_tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn archive_type_selects_the_backend() {
        assert!(archive_s3_from(vars(&[])).unwrap().is_none());
        assert!(
            archive_s3_from(vars(&[("ARCHIVE_TYPE", "file")]))
                .unwrap()
                .is_none()
        );
        let s3 = archive_s3_from(vars(&[
            ("ARCHIVE_TYPE", "s3"),
            ("ARCHIVE_BUCKET", "blobs"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "id"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(s3.bucket, "blobs");
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s3.region.as_deref(), Some("eu-west-1"));
        assert_eq!(s3.access_key_id.as_deref(), Some("id"));
        assert_eq!(s3.secret_access_key.as_deref(), Some("secret"));
        // Aleph's own name for the endpoint wins over the SDK-wide one.
        let s3 = archive_s3_from(vars(&[
            ("ARCHIVE_TYPE", "s3"),
            ("ARCHIVE_BUCKET", "b"),
            ("ARCHIVE_ENDPOINT_URL", "http://a:1"),
            ("AWS_ENDPOINT_URL", "http://b:2"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(s3.endpoint.as_deref(), Some("http://a:1"));
        assert!(archive_s3_from(vars(&[("ARCHIVE_TYPE", "s3")])).is_err());
        assert!(archive_s3_from(vars(&[("ARCHIVE_TYPE", "gs")])).is_err());
    }
}
