//! A client of Aleph's HTTP API (ours or any other that speaks it), for `aleph client`.
//!
//! It talks the way alephclient does: `Authorization: ApiKey …` when a key is given, the
//! base URL is the host's root plus `/api/2/`, connection errors, timeouts, 429 and 5xx are
//! retried with a growing pause, anything else is the caller's problem.

pub mod verify;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
use reqwest::{Method, RequestBuilder, StatusCode, multipart};
use serde_json::Value;
use sha1::{Digest, Sha1};
use url::Url;

/// A failed API call.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: Option<StatusCode>,
    pub message: String,
    /// Worth trying again: the connection failed, or the server was overloaded or broken.
    pub transient: bool,
}

impl ApiError {
    fn local(message: impl Into<String>) -> ApiError {
        ApiError {
            status: None,
            message: message.into(),
            transient: false,
        }
    }

    fn from_reqwest(e: &reqwest::Error) -> ApiError {
        // The source chain says what really happened (refused, reset, DNS…).
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message = format!("{message}: {s}");
            source = s.source();
        }
        ApiError {
            status: e.status(),
            message,
            transient: e.is_connect()
                || e.is_timeout()
                || e.is_request()
                || e.is_body()
                || e.status().is_some_and(transient_status),
        }
    }
}

fn transient_status(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// The pause before try number `attempt` (2, 3, …): half a second, doubling, at most 30 s,
/// with some jitter so that parallel uploads do not retry in lockstep.
fn backoff(attempt: u32) -> Duration {
    let base = 0.5 * f64::from(2u32.saturating_pow(attempt.saturating_sub(2).min(8)));
    let jitter: f64 = rand::random::<f64>() * 0.5 * base;
    Duration::from_secs_f64((base + jitter).min(30.0))
}

/// The connection settings of `aleph client`.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    /// `<scheme>://<host>[:port]/api/2/`.
    base: Url,
    api_key: Option<String>,
    /// Tries per request (at least one).
    tries: u32,
}

impl Api {
    pub fn new(host: &str, api_key: Option<String>, tries: u32) -> anyhow::Result<Api> {
        let host_url = Url::parse(host).map_err(|e| anyhow::anyhow!("bad host {host:?}: {e}"))?;
        // As in alephclient, any path in the host is dropped: the API is at the root.
        let base = host_url.join("/api/2/")?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("aleph-rs-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30))
            .build()?;
        Ok(Api {
            http,
            base,
            api_key: api_key.filter(|k| !k.trim().is_empty()),
            tries: tries.max(1),
        })
    }

    /// The server's root URL as given (for naming manifests).
    pub fn host(&self) -> String {
        self.base
            .join("/")
            .map(|u| u.to_string())
            .unwrap_or_else(|_| self.base.to_string())
    }

    fn url(&self, path: &str) -> Result<Url, ApiError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| ApiError::local(format!("bad API path {path}: {e}")))
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let builder = self.http.request(method, url);
        match &self.api_key {
            Some(key) => builder.header(reqwest::header::AUTHORIZATION, format!("ApiKey {key}")),
            None => builder,
        }
    }

    /// Send what `build` makes, trying again on transient errors; the JSON answer (an
    /// empty body is `{}`).
    async fn send(
        &self,
        what: &str,
        mut build: impl FnMut() -> Result<RequestBuilder, ApiError>,
    ) -> Result<Value, ApiError> {
        let mut attempt = 1;
        loop {
            let result = match build() {
                Ok(request) => call(request).await,
                Err(e) => Err(e),
            };
            match result {
                Err(e) if e.transient && attempt < self.tries => {
                    attempt += 1;
                    tracing::debug!("{what}: {} (try {attempt} of {})", e.message, self.tries);
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, ApiError> {
        let url = self.url(path)?;
        self.send(path, || {
            Ok(self.request(Method::GET, url.clone()).query(query))
        })
        .await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        let url = self.url(path)?;
        self.send(path, || {
            Ok(self.request(Method::POST, url.clone()).json(body))
        })
        .await
    }

    /// `GET collections?filter:foreign_id=…`: the first match.
    pub async fn collection_by_foreign_id(
        &self,
        foreign_id: &str,
    ) -> Result<Option<Value>, ApiError> {
        let page = self
            .get("collections", &[("filter:foreign_id", foreign_id)])
            .await?;
        Ok(page["results"].as_array().and_then(|r| r.first()).cloned())
    }

    /// The collection with this foreign id, created (as alephclient creates it) if missing.
    pub async fn ensure_collection(
        &self,
        foreign_id: &str,
        casefile: bool,
        languages: &[String],
    ) -> Result<Value, ApiError> {
        if let Some(found) = self.collection_by_foreign_id(foreign_id).await? {
            return Ok(found);
        }
        let body = serde_json::json!({
            "foreign_id": foreign_id,
            "label": foreign_id,
            "casefile": casefile,
            "category": "other",
            "languages": languages,
            "summary": "",
        });
        self.post_json("collections", &body).await
    }

    fn ingest_url(&self, collection_id: &str, index: bool) -> Result<Url, ApiError> {
        let mut url = self.url(&format!("collections/{collection_id}/ingest"))?;
        url.query_pairs_mut()
            .append_pair("sync", "false")
            .append_pair("index", if index { "true" } else { "false" });
        Ok(url)
    }

    /// Create a folder (a form with `meta` only); its id.
    pub async fn ingest_folder(
        &self,
        collection_id: &str,
        meta: &Value,
        index: bool,
    ) -> Result<String, ApiError> {
        let url = self.ingest_url(collection_id, index)?;
        let meta = meta.to_string();
        let answer = self
            .send("folder upload", || {
                Ok(self
                    .request(Method::POST, url.clone())
                    .form(&[("meta", meta.as_str())]))
            })
            .await?;
        upload_id(&answer)
    }

    /// Upload a file as a streamed multipart body (`meta` and `file`); its id, and the
    /// SHA-1 and size of the bytes sent.
    pub async fn ingest_file(
        &self,
        collection_id: &str,
        path: &Path,
        meta: &Value,
        index: bool,
    ) -> Result<(String, String, u64), ApiError> {
        let url = self.ingest_url(collection_id, index)?;
        let meta = meta.to_string();
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_string());
        let mut attempt = 1;
        loop {
            let digest = Arc::new(Mutex::new((Sha1::new(), 0u64)));
            let result = async {
                let file = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| ApiError::local(format!("cannot open: {e}")))?;
                let length = file
                    .metadata()
                    .await
                    .map_err(|e| ApiError::local(format!("cannot read: {e}")))?
                    .len();
                let seen = digest.clone();
                let stream = tokio_util::io::ReaderStream::with_capacity(file, 1 << 16).inspect_ok(
                    move |chunk| {
                        if let Ok(mut d) = seen.lock() {
                            d.0.update(chunk);
                            d.1 += chunk.len() as u64;
                        }
                    },
                );
                let part =
                    multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), length)
                        .file_name(file_name.clone())
                        .mime_str("application/octet-stream")
                        .map_err(|e| ApiError::local(e.to_string()))?;
                let form = multipart::Form::new()
                    .text("meta", meta.clone())
                    .part("file", part);
                let request = self.request(Method::POST, url.clone()).multipart(form);
                call(request).await
            }
            .await;
            match result {
                Ok(answer) => {
                    let id = upload_id(&answer)?;
                    let (hasher, size) = match Arc::try_unwrap(digest) {
                        Ok(m) => m.into_inner().map_err(|_| ApiError::local("hash lost"))?,
                        Err(shared) => {
                            let guard = shared.lock().map_err(|_| ApiError::local("hash lost"))?;
                            guard.clone()
                        }
                    };
                    return Ok((id, hex::encode(hasher.finalize()), size));
                }
                Err(e) if e.transient && attempt < self.tries => {
                    attempt += 1;
                    tracing::debug!("upload {}: {} (try {attempt})", path.display(), e.message);
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The `id` an upload answers with; alephclient calls its absence "Upload failed".
fn upload_id(answer: &Value) -> Result<String, ApiError> {
    match &answer["id"] {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(ApiError::local("Upload failed: the answer has no id")),
    }
}

/// Send one request; a non-2xx answer becomes an error with the server's `message`.
async fn call(request: RequestBuilder) -> Result<Value, ApiError> {
    let response = request
        .send()
        .await
        .map_err(|e| ApiError::from_reqwest(&e))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| ApiError::from_reqwest(&e))?;
    if status.is_success() {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        return serde_json::from_slice(&bytes).map_err(|e| ApiError {
            status: Some(status),
            message: format!("the answer is not JSON: {e}"),
            transient: false,
        });
    }
    let text = String::from_utf8_lossy(&bytes);
    let message = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| text.chars().take(300).collect());
    Err(ApiError {
        status: Some(status),
        message: format!("HTTP {}: {message}", status.as_u16()),
        transient: transient_status(status),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_paths_are_dropped_like_alephclient() {
        let api = Api::new("http://example.org:8080/some/path", None, 3).unwrap();
        assert_eq!(api.base.as_str(), "http://example.org:8080/api/2/");
        assert_eq!(
            api.url("collections/4/ingest").unwrap().as_str(),
            "http://example.org:8080/api/2/collections/4/ingest"
        );
        assert_eq!(api.host(), "http://example.org:8080/");
        assert!(Api::new("not a url", None, 1).is_err());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(
            backoff(2) >= Duration::from_millis(500) && backoff(2) <= Duration::from_millis(750)
        );
        assert!(backoff(4) >= Duration::from_secs(2));
        assert!(backoff(40) <= Duration::from_secs(30));
    }

    #[test]
    fn upload_ids() {
        assert_eq!(
            upload_id(&serde_json::json!({"id": "4.ab"})).unwrap(),
            "4.ab"
        );
        assert_eq!(upload_id(&serde_json::json!({"id": 4})).unwrap(), "4");
        assert!(upload_id(&serde_json::json!({"status": "ok"})).is_err());
    }
}
