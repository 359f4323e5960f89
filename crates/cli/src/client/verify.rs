//! `aleph client verify`: is every local file on the server, processed without error?
//!
//! The server's documents are listed (all of them, page by page), each placed at its path
//! (the names of its parent folders and its own file name), and every local file is looked
//! up there by path and by SHA-1. Nothing from the crawl manifest is trusted: this checks
//! the server as it is.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::{Api, ApiError};
use crate::crawl::sha1_file;
use crate::crawl::walk::{Entry, Walk, WalkOptions};

/// A document as the server lists it.
#[derive(Debug, Clone, Default)]
pub struct ServerDoc {
    pub id: String,
    pub name: String,
    pub parent: Option<String>,
    pub content_hash: Option<String>,
    pub status: Option<String>,
    pub error: Option<String>,
}

impl ServerDoc {
    fn from_json(entity: &Value) -> Option<ServerDoc> {
        let id = entity["id"].as_str()?.to_string();
        let props = &entity["properties"];
        let strings = |name: &str| -> Vec<String> {
            props[name]
                .as_array()
                .map(|values| {
                    values
                        .iter()
                        .filter_map(|v| match v {
                            Value::String(s) => Some(s.clone()),
                            // Entity-typed values may come nested, as in Aleph.
                            Value::Object(o) => {
                                o.get("id").and_then(Value::as_str).map(str::to_string)
                            }
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        // fetchdir's rule: the longest file name, else the id.
        let name = strings("fileName")
            .into_iter()
            .max_by_key(|n| n.len())
            .unwrap_or_else(|| id.clone());
        Some(ServerDoc {
            name,
            parent: strings("parent").into_iter().next(),
            content_hash: strings("contentHash").into_iter().next(),
            status: strings("processingStatus").into_iter().next(),
            error: strings("processingError").into_iter().next(),
            id,
        })
    }
}

/// Search results cannot be paged past this offset (Aleph's `MAX_PAGE`).
const SEARCH_WINDOW: u64 = 9999;
const PAGE: u64 = 500;

/// Every `Document` (and subtype) of a collection.
pub async fn list_documents(api: &Api, collection_id: &str) -> Result<Vec<ServerDoc>, ApiError> {
    let mut docs = Vec::new();
    let mut offset = 0u64;
    loop {
        let offset_text = offset.to_string();
        let limit = PAGE.to_string();
        let page = api
            .get(
                "entities",
                &[
                    ("filter:collection_id", collection_id),
                    ("filter:schemata", "Document"),
                    ("offset", &offset_text),
                    ("limit", &limit),
                ],
            )
            .await?;
        let total = page["total"].as_u64().unwrap_or(0);
        if total > SEARCH_WINDOW {
            // Search cannot reach past the window: read the collection's stream instead.
            return stream_documents(api, collection_id).await;
        }
        let results = page["results"].as_array().cloned().unwrap_or_default();
        if results.is_empty() {
            break;
        }
        offset += results.len() as u64;
        docs.extend(results.iter().filter_map(ServerDoc::from_json));
        if offset >= total {
            break;
        }
    }
    Ok(docs)
}

/// The `_stream` of a collection's documents (newline-delimited JSON, no paging limit).
async fn stream_documents(api: &Api, collection_id: &str) -> Result<Vec<ServerDoc>, ApiError> {
    let url = api.url(&format!("collections/{collection_id}/_stream"))?;
    let request = api
        .request(reqwest::Method::GET, url)
        .query(&[("schema", "Document"), ("include", "id,schema,properties")]);
    let response = request
        .send()
        .await
        .map_err(|e| ApiError::from_reqwest(&e))?;
    if !response.status().is_success() {
        return Err(ApiError {
            status: Some(response.status()),
            message: format!("HTTP {} from the entity stream", response.status().as_u16()),
            transient: super::transient_status(response.status()),
        });
    }
    let text = response
        .text()
        .await
        .map_err(|e| ApiError::from_reqwest(&e))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| ServerDoc::from_json(&v))
        .collect())
}

/// Each document's path: its ancestors' names and its own, joined by `/`.
pub fn paths(docs: &[ServerDoc]) -> HashMap<String, Vec<&ServerDoc>> {
    let by_id: HashMap<&str, &ServerDoc> = docs.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut out: HashMap<String, Vec<&ServerDoc>> = HashMap::new();
    for doc in docs {
        let mut names = vec![doc.name.as_str()];
        let mut next = doc.parent.as_deref();
        // A parent chain longer than this is a loop in broken data.
        let mut depth = 0;
        while let Some(parent) = next {
            depth += 1;
            let Some(p) = by_id.get(parent).filter(|_| depth < 256) else {
                // An unknown parent: the document is not where any local file could be.
                names.clear();
                break;
            };
            names.push(p.name.as_str());
            next = p.parent.as_deref();
        }
        if names.is_empty() {
            continue;
        }
        names.reverse();
        out.entry(names.join("/")).or_default().push(doc);
    }
    out
}

/// How a local file stands on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Ok,
    /// Nothing at that path.
    Missing,
    /// Something at that path, but with other content.
    Different,
    /// There, not processed yet.
    Pending,
    /// There, and processing failed.
    Failed(String),
}

/// Where the local file at `rel` with this SHA-1 stands.
pub fn standing(found: Option<&Vec<&ServerDoc>>, sha1: &str) -> Standing {
    let Some(candidates) = found else {
        return Standing::Missing;
    };
    let same: Vec<&&ServerDoc> = candidates
        .iter()
        .filter(|d| d.content_hash.as_deref() == Some(sha1))
        .collect();
    if same.is_empty() {
        return Standing::Different;
    }
    if same.iter().any(|d| d.status.as_deref() == Some("success")) {
        return Standing::Ok;
    }
    match same.iter().find(|d| d.status.as_deref() == Some("failure")) {
        Some(d) => Standing::Failed(d.error.clone().unwrap_or_else(|| "failed".to_string())),
        None => Standing::Pending,
    }
}

/// The local files under `root` with their SHA-1, in crawl order.
pub fn local_files(root: &Path, keep_junk: bool) -> anyhow::Result<Vec<(String, String)>> {
    let options = WalkOptions {
        keep_junk,
        exclude: Vec::new(),
    };
    let mut files = Vec::new();
    for entry in Walk::new(root, options)? {
        match entry {
            Entry::File { rel, path, .. } => {
                let hash = sha1_file(&path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                files.push((rel, hash));
            }
            Entry::Unreadable { rel, message } => anyhow::bail!("cannot read {rel}: {message}"),
            Entry::Folder { .. } => {}
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(
        id: &str,
        name: &str,
        parent: Option<&str>,
        hash: Option<&str>,
        status: Option<&str>,
    ) -> ServerDoc {
        ServerDoc {
            id: id.into(),
            name: name.into(),
            parent: parent.map(str::to_string),
            content_hash: hash.map(str::to_string),
            status: status.map(str::to_string),
            error: None,
        }
    }

    #[test]
    fn documents_from_api_json() {
        let nested = json!({"id": "3.x", "schema": "PlainText", "properties": {
            "fileName": ["a.txt", "a-longer-name.txt"],
            "parent": [{"id": "2.x", "schema": "Folder"}],
            "contentHash": ["abc"], "processingStatus": ["success"]}});
        let d = ServerDoc::from_json(&nested).unwrap();
        assert_eq!(d.name, "a-longer-name.txt");
        assert_eq!(d.parent.as_deref(), Some("2.x"));
        assert_eq!(d.content_hash.as_deref(), Some("abc"));
        let flat = json!({"id": "4.x", "properties": {"parent": ["2.x"]}});
        let d = ServerDoc::from_json(&flat).unwrap();
        assert_eq!(d.name, "4.x");
        assert_eq!(d.parent.as_deref(), Some("2.x"));
    }

    #[test]
    fn paths_follow_parents_and_standing_checks_content_and_status() {
        let docs = vec![
            doc("1", "jan", None, None, Some("success")),
            doc("2", "week1", Some("1"), None, Some("success")),
            doc("3", "a.txt", Some("2"), Some("h1"), Some("success")),
            doc("4", "b.txt", Some("2"), Some("h2"), Some("failure")),
            doc("5", "c.txt", Some("2"), Some("h3"), None),
            doc("6", "orphan.txt", Some("99"), Some("h4"), Some("success")),
        ];
        let p = paths(&docs);
        assert!(p.contains_key("jan/week1/a.txt"));
        assert!(!p.keys().any(|k| k.contains("orphan")));
        assert_eq!(standing(p.get("jan/week1/a.txt"), "h1"), Standing::Ok);
        assert_eq!(
            standing(p.get("jan/week1/a.txt"), "zz"),
            Standing::Different
        );
        assert_eq!(
            standing(p.get("jan/week1/b.txt"), "h2"),
            Standing::Failed("failed".into())
        );
        assert_eq!(standing(p.get("jan/week1/c.txt"), "h3"), Standing::Pending);
        assert_eq!(standing(p.get("jan/d.txt"), "h1"), Standing::Missing);
    }
}
