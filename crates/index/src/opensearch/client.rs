//! A thin JSON-over-HTTP client for the OpenSearch REST API.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::error::IndexError;

/// Talks to one cluster. Cheap to clone (the connection pool is shared).
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
}

/// A response whose status the caller decides about.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub body: Value,
}

impl Response {
    /// The body, or an engine error naming the request when the status is not a success.
    pub fn ok(self, what: &str) -> Result<Value, IndexError> {
        if self.status.is_success() {
            Ok(self.body)
        } else {
            Err(IndexError::Engine(format!(
                "{what}: HTTP {}: {}",
                self.status.as_u16(),
                reason(&self.body)
            )))
        }
    }
}

/// The most useful part of an OpenSearch error body.
pub fn reason(body: &Value) -> String {
    let error = &body["error"];
    let root = &error["root_cause"][0];
    let pick = |v: &Value| {
        let kind = v["type"].as_str().unwrap_or_default();
        let text = v["reason"].as_str().unwrap_or_default();
        (!text.is_empty()).then(|| format!("{kind}: {text}"))
    };
    pick(root)
        .or_else(|| pick(error))
        .or_else(|| error.as_str().map(str::to_string))
        .unwrap_or_else(|| body.to_string().chars().take(500).collect())
}

impl Client {
    /// A client for the cluster at `base` (`http://host:9200`, no trailing path).
    pub fn new(base: &str, timeout: Duration) -> Result<Client, IndexError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| IndexError::Engine(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends a request with an optional JSON body.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, IndexError> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        self.send(request, path).await
    }

    /// Sends a newline-delimited JSON body (`_bulk`).
    pub async fn ndjson(&self, path: &str, body: String) -> Result<Response, IndexError> {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-ndjson")
            .body(body);
        self.send(request, path).await
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        path: &str,
    ) -> Result<Response, IndexError> {
        let response = request.send().await.map_err(|e| {
            IndexError::Engine(format!(
                "OpenSearch at {} unreachable ({path}): {e}",
                self.base
            ))
        })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| IndexError::Engine(format!("{path}: reading the response: {e}")))?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&bytes).chars().take(500).collect())
            })
        };
        Ok(Response { status, body })
    }
}
