//! The scale-out backend: an OpenSearch (or Elasticsearch-compatible) cluster over HTTP.
//!
//! Entities live in a concrete index (`<name>-<n>`) reached through an alias (`<name>`), so
//! that [`OpenSearchIndex::reindex`] can build a new index and switch the alias in one step
//! while searches keep reading the old one. Text is analyzed in Rust exactly as for Tantivy
//! (see [`mapping`]), so both backends answer the query language the same way; the query
//! compiler mirrors the Tantivy one clause by clause.
//!
//! Writes go through `_bulk` in batches. A semaphore bounds the bulk requests in flight
//! (callers wait: back-pressure), and documents the cluster rejects as overloaded (HTTP
//! 429) are sent again after a growing pause. Writes become visible on [`commit`], which
//! refreshes the index, as with Tantivy.
//!
//! [`commit`]: SearchIndex::commit

mod client;
mod compile;
mod document;
mod mapping;
mod search;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use self::client::{Client, reason};
pub use self::mapping::LAYOUT_VERSION;
use crate::backend::{IdStream, SearchIndex};
use crate::doc::IndexDoc;
use crate::error::IndexError;
use crate::query::SearchQuery;
use crate::result::{FacetResult, SearchResult};
use crate::scope::ReadScope;

/// Tuning and naming of the OpenSearch backend.
#[derive(Debug, Clone)]
pub struct OpenSearchOptions {
    /// The alias searched and written; concrete indices are named `<alias>-<n>`.
    pub index: String,
    /// Primary shards of a new index (`ALEPH_INDEX_SHARDS`).
    pub shards: u32,
    /// Replicas of a new index (`ALEPH_INDEX_REPLICAS`): a number, or an
    /// `auto_expand_replicas` range; `0-1` keeps a single node green and adds a replica
    /// when a second node joins.
    pub replicas: String,
    /// Documents per `_bulk` request.
    pub bulk_docs: usize,
    /// Bytes per `_bulk` request, at most (a single larger document goes alone).
    pub bulk_bytes: usize,
    /// `_bulk` requests in flight at once, over all callers.
    pub bulk_concurrency: usize,
    /// How often documents rejected as overloaded are retried.
    pub bulk_retries: u32,
    /// Ids per batch of [`SearchIndex::stream_ids`].
    pub stream_batch: usize,
    pub timeout: Duration,
}

impl OpenSearchOptions {
    /// The defaults with the layout an operator chose: `ALEPH_INDEX_SHARDS` and
    /// `ALEPH_INDEX_REPLICAS`. They shape an index when it is created (by the first start
    /// or `aleph upgrade`); an existing index keeps its own until it is rebuilt.
    pub fn from_env() -> Result<OpenSearchOptions, IndexError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        OpenSearchOptions::default().with_layout(
            var("ALEPH_INDEX_SHARDS").as_deref(),
            var("ALEPH_INDEX_REPLICAS").as_deref(),
        )
    }

    /// These options with a shard count and a replica setting, when given, checked.
    pub fn with_layout(
        mut self,
        shards: Option<&str>,
        replicas: Option<&str>,
    ) -> Result<OpenSearchOptions, IndexError> {
        if let Some(shards) = shards {
            self.shards = shards
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1024).contains(n))
                .ok_or_else(|| {
                    IndexError::Setting(format!(
                        "ALEPH_INDEX_SHARDS={shards:?}: give a number of primary shards \
                         from 1 to 1024"
                    ))
                })?;
        }
        if let Some(replicas) = replicas {
            let replicas = replicas.trim();
            if !mapping::valid_replicas(replicas) {
                return Err(IndexError::Setting(format!(
                    "ALEPH_INDEX_REPLICAS={replicas:?}: give a number of replicas or a range \
                     such as 0-1 or 0-all"
                )));
            }
            self.replicas = replicas.to_string();
        }
        Ok(self)
    }
}

/// One action of a `_bulk` request, serialized once (its action line and source line).
struct BulkItem {
    lines: String,
    delete: bool,
}

impl BulkItem {
    /// This item without `stored.index_text` (the text highlights are cut from), or
    /// `None` when it has none to drop.
    fn without_highlight_text(&self) -> Option<BulkItem> {
        let (action, source) = self.lines.split_once('\n')?;
        let mut source: Value = serde_json::from_str(source.trim_end()).ok()?;
        let stored = source.get_mut("stored")?.as_object_mut()?;
        match stored.get("index_text") {
            Some(Value::Array(texts)) if !texts.is_empty() => {}
            _ => return None,
        }
        stored.insert("index_text".into(), json!([]));
        Some(BulkItem {
            lines: format!("{action}\n{source}\n"),
            delete: self.delete,
        })
    }
}

/// Whether a 429 says the request alone is larger than the node's indexing-pressure
/// limit (`coordinating_operation_bytes` above `max_coordinating_and_primary_bytes`), so
/// that no wait can make it pass.
fn beyond_indexing_limit(body: &Value) -> bool {
    let text = reason(body);
    let number = |key: &str| -> Option<u64> {
        let start = text.find(key)? + key.len();
        let digits: String = text[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    match (
        number("coordinating_operation_bytes="),
        number("max_coordinating_and_primary_bytes="),
    ) {
        (Some(request), Some(limit)) => request > limit,
        _ => false,
    }
}

impl Default for OpenSearchOptions {
    fn default() -> OpenSearchOptions {
        OpenSearchOptions {
            index: "aleph-entity".to_string(),
            shards: 1,
            replicas: "0-1".to_string(),
            bulk_docs: 500,
            bulk_bytes: 8 * 1024 * 1024,
            bulk_concurrency: 2,
            bulk_retries: 8,
            stream_batch: 1000,
            timeout: Duration::from_secs(120),
        }
    }
}

/// A cluster address and, when the URI has a path, the index alias to use
/// (`http://host:9200/aleph` uses alias `aleph`).
pub fn split_uri(uri: &str) -> (String, Option<String>) {
    let trimmed = uri.trim().trim_end_matches('/');
    let after_scheme = trimmed.find("://").map_or(0, |i| i + 3);
    match trimmed[after_scheme..].find('/') {
        Some(i) => {
            let (base, path) = trimmed.split_at(after_scheme + i);
            let name = path.trim_matches('/');
            (
                base.to_string(),
                (!name.is_empty()).then(|| name.to_string()),
            )
        }
        None => (trimmed.to_string(), None),
    }
}

struct Inner {
    client: Client,
    options: OpenSearchOptions,
    /// Where reads and writes go: the alias, or a new index while it is being rebuilt.
    target: String,
    /// Shared by every handle on one cluster, so that a rebuild and live writes together
    /// stay within the bound.
    bulk_slots: Arc<Semaphore>,
}

/// A [`SearchIndex`] on an OpenSearch cluster.
#[derive(Clone)]
pub struct OpenSearchIndex {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for OpenSearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OpenSearchIndex({}/{})",
            self.inner.client.base(),
            self.alias()
        )
    }
}

impl OpenSearchIndex {
    /// Connects to the cluster at `uri` (its path, if any, names the alias) and creates
    /// the index and alias when they do not exist. An index with another layout is
    /// refused: rebuild it with [`OpenSearchIndex::reindex`] or from the store.
    pub async fn connect(
        uri: &str,
        options: OpenSearchOptions,
    ) -> Result<OpenSearchIndex, IndexError> {
        let index = OpenSearchIndex::unchecked(uri, options)?;
        index.ensure().await?;
        Ok(index)
    }

    /// A handle on the alias without looking at the cluster.
    fn unchecked(uri: &str, mut options: OpenSearchOptions) -> Result<OpenSearchIndex, IndexError> {
        let (base, name) = split_uri(uri);
        if let Some(name) = name {
            options.index = name;
        }
        let client = Client::new(&base, options.timeout)?;
        let slots = options.bulk_concurrency.max(1);
        Ok(OpenSearchIndex {
            inner: Arc::new(Inner {
                client,
                target: options.index.clone(),
                options,
                bulk_slots: Arc::new(Semaphore::new(slots)),
            }),
        })
    }

    /// The same cluster and settings, reading and writing `target` instead of the alias.
    fn with_target(&self, target: String) -> OpenSearchIndex {
        OpenSearchIndex {
            inner: Arc::new(Inner {
                client: self.inner.client.clone(),
                options: self.inner.options.clone(),
                target,
                bulk_slots: self.inner.bulk_slots.clone(),
            }),
        }
    }

    /// Where this handle reads and writes (the alias, or the index being rebuilt).
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    /// Starts building a new index with the current layout beside the one behind the
    /// alias, which keeps answering searches. Fill [`Rebuild::index`] (from the store),
    /// then [`Rebuild::finish`] moves the alias to it in one step. Works on an index of
    /// an older layout too: this is how a layout upgrade is done.
    pub async fn begin_rebuild(
        uri: &str,
        options: OpenSearchOptions,
    ) -> Result<Rebuild, IndexError> {
        OpenSearchIndex::unchecked(uri, options)?.rebuild().await
    }

    async fn rebuild(&self) -> Result<Rebuild, IndexError> {
        let old = self.concrete_indices().await?;
        let next = old
            .iter()
            .filter_map(|n| n.rsplit_once('-').and_then(|(_, v)| v.parse::<u64>().ok()))
            .max()
            .unwrap_or(0)
            + 1;
        let new = format!("{}-{next}", self.alias());
        self.create_index(&new).await?;
        Ok(Rebuild {
            alias: self.with_target(self.alias().to_string()),
            index: self.with_target(new),
            old,
        })
    }

    /// The alias this index reads and writes.
    pub fn alias(&self) -> &str {
        &self.inner.options.index
    }

    fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The concrete indices behind the alias (empty when the alias does not exist).
    pub async fn concrete_indices(&self) -> Result<Vec<String>, IndexError> {
        let r = self
            .client()
            .json(Method::GET, &format!("/_alias/{}", self.alias()), None)
            .await?;
        if r.status == StatusCode::NOT_FOUND {
            return Ok(Vec::new());
        }
        let body = r.ok("reading the alias")?;
        let mut names: Vec<String> = body
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        Ok(names)
    }

    /// Creates the first index behind the alias, or checks the layout of the existing one.
    async fn ensure(&self) -> Result<(), IndexError> {
        let existing = self.concrete_indices().await?;
        if existing.is_empty() {
            let name = format!("{}-1", self.alias());
            self.create_index(&name).await?;
            let r = self
                .client()
                .json(
                    Method::POST,
                    "/_aliases",
                    Some(&json!({"actions": [{"add": {"index": name, "alias": self.alias(), "is_write_index": true}}]})),
                )
                .await?;
            r.ok("creating the alias")?;
            return Ok(());
        }
        for name in existing {
            let r = self
                .client()
                .json(Method::GET, &format!("/{name}/_mapping"), None)
                .await?
                .ok("reading the mapping")?;
            let layout = r[&name]["mappings"]["_meta"]["aleph_layout"].as_u64();
            if layout != Some(LAYOUT_VERSION) {
                return Err(IndexError::IncompatibleLayout {
                    path: format!("{}/{name}", self.client().base()),
                });
            }
        }
        Ok(())
    }

    async fn create_index(&self, name: &str) -> Result<(), IndexError> {
        let o = &self.inner.options;
        let body = mapping::index_body(o.shards, &o.replicas);
        let r = self
            .client()
            .json(Method::PUT, &format!("/{name}"), Some(&body))
            .await?;
        if r.status == StatusCode::BAD_REQUEST
            && r.body["error"]["type"] == "resource_already_exists_exception"
        {
            return Ok(());
        }
        r.ok(&format!("creating index {name}"))?;
        let health = format!("/_cluster/health/{name}?wait_for_status=yellow&timeout=60s");
        self.client()
            .json(Method::GET, &health, None)
            .await?
            .ok("waiting for the new index")?;
        Ok(())
    }

    /// Copies every document into a new index with the current layout and moves the alias
    /// to it in one step; searches read the old index until then. The copy is made by the
    /// cluster from the stored sources, so it suits settings and mapping changes; when the
    /// analysis changes, rebuild from the store with [`OpenSearchIndex::begin_rebuild`].
    /// Writes made while the copy runs may be missed: pause writers, or re-index them.
    /// Returns the new index's name.
    pub async fn reindex(&self) -> Result<String, IndexError> {
        self.commit().await?;
        let rebuild = self.rebuild().await?;
        let body =
            json!({"source": {"index": self.alias()}, "dest": {"index": rebuild.index.target()}});
        let r = self
            .client()
            .json(
                Method::POST,
                "/_reindex?refresh=true&wait_for_completion=true",
                Some(&body),
            )
            .await?
            .ok("copying into the new index")?;
        if let Some(failure) = r["failures"].as_array().and_then(|f| f.first()) {
            return Err(IndexError::Engine(format!("reindex failed: {failure}")));
        }
        let name = rebuild.index.target().to_string();
        rebuild.finish().await?;
        Ok(name)
    }

    /// Bytes on disk of the primary shards behind the target (benchmarks, capacity).
    pub async fn store_bytes(&self) -> Result<u64, IndexError> {
        let r = self
            .client()
            .json(
                Method::GET,
                &format!("/{}/_stats/store", self.target()),
                None,
            )
            .await?
            .ok("index statistics")?;
        Ok(r["_all"]["primaries"]["store"]["size_in_bytes"]
            .as_u64()
            .unwrap_or(0))
    }

    /// Removes the alias and every index behind it (tests, `aleph reset`).
    pub async fn drop_all(&self) -> Result<(), IndexError> {
        for name in self.concrete_indices().await? {
            self.client()
                .json(Method::DELETE, &format!("/{name}"), None)
                .await?
                .ok("removing an index")?;
        }
        Ok(())
    }

    /// Sends `items` (action and source pairs, or lone deletes) in `_bulk` requests of at
    /// most `bulk_bytes` each (an item larger than that goes alone): a cluster refuses a
    /// request beyond its indexing-pressure limit with 429 however often it is retried,
    /// which a few big documents (a large table's text) reach well before `bulk_docs`.
    async fn bulk(&self, items: Vec<(Value, Option<Value>)>) -> Result<(), IndexError> {
        let limit = self.inner.options.bulk_bytes.max(1);
        let mut request: Vec<BulkItem> = Vec::new();
        let mut bytes = 0;
        for (action, source) in items {
            let mut lines = action.to_string();
            lines.push('\n');
            if let Some(source) = &source {
                lines.push_str(&source.to_string());
                lines.push('\n');
            }
            if !request.is_empty() && bytes + lines.len() > limit {
                self.bulk_request(std::mem::take(&mut request)).await?;
                bytes = 0;
            }
            bytes += lines.len();
            request.push(BulkItem {
                lines,
                delete: source.is_none(),
            });
        }
        if request.is_empty() {
            return Ok(());
        }
        self.bulk_request(request).await
    }

    /// Sends one `_bulk` request, and again for the items rejected as overloaded, with a
    /// growing pause.
    async fn bulk_request(&self, mut items: Vec<BulkItem>) -> Result<(), IndexError> {
        let _slot = self
            .inner
            .bulk_slots
            .acquire()
            .await
            .map_err(|e| IndexError::Task(e.to_string()))?;
        let path = format!("/{}/_bulk", self.target());
        let mut pause = Duration::from_millis(100);
        for attempt in 0..=self.inner.options.bulk_retries {
            let mut body = String::with_capacity(items.iter().map(|i| i.lines.len()).sum());
            for item in &items {
                body.push_str(&item.lines);
            }
            let r = self.client().ndjson(&path, body).await?;
            let last = attempt == self.inner.options.bulk_retries;
            // A lone document larger than the node's whole indexing-pressure budget is
            // refused however long we wait: send it without its highlight copy of the
            // text (searchable all the same; highlights then come from its properties).
            if r.status == StatusCode::TOO_MANY_REQUESTS
                && let [item] = items.as_mut_slice()
                && beyond_indexing_limit(&r.body)
                && let Some(smaller) = item.without_highlight_text()
            {
                *item = smaller;
                continue;
            }
            if r.status == StatusCode::TOO_MANY_REQUESTS && !last {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
                continue;
            }
            let body = r.ok("bulk write")?;
            if body["errors"].as_bool() != Some(true) {
                return Ok(());
            }
            let results = body["items"].as_array().cloned().unwrap_or_default();
            let mut retry = Vec::new();
            for (item, result) in items.into_iter().zip(results) {
                let outcome = result
                    .as_object()
                    .and_then(|o| o.values().next())
                    .cloned()
                    .unwrap_or(Value::Null);
                let status = outcome["status"].as_u64().unwrap_or(0);
                // Deleting what is not there is not an error.
                if (200..300).contains(&status) || (status == 404 && item.delete) {
                    continue;
                }
                if status == 429 && !last {
                    retry.push(item);
                    continue;
                }
                return Err(IndexError::Engine(format!(
                    "bulk write of {}: {}",
                    outcome["_id"].as_str().unwrap_or("?"),
                    reason(&outcome)
                )));
            }
            if retry.is_empty() {
                return Ok(());
            }
            items = retry;
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(10));
        }
        Err(IndexError::Engine(
            "bulk write: the cluster stayed overloaded".to_string(),
        ))
    }

    async fn search_raw(&self, body: &Value) -> Result<Value, IndexError> {
        let r = self
            .client()
            .json(
                Method::POST,
                &format!("/{}/_search", self.target()),
                Some(body),
            )
            .await?;
        if r.status == StatusCode::BAD_REQUEST {
            // A query the engine refuses (a regular expression it cannot run, a term too
            // long) is the caller's fault, as with Tantivy.
            return Err(IndexError::Query(crate::QueryError::InvalidParam {
                param: "q".to_string(),
                message: reason(&r.body),
            }));
        }
        r.ok("search")
    }

    async fn run(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
        hits: bool,
    ) -> Result<SearchResult, IndexError> {
        if scope.is_empty() {
            return Ok(SearchResult {
                total: 0,
                hits: Vec::new(),
                facets: search::facets(query, &Value::Null),
                page: query.page,
            });
        }
        let compiled = compile::compile(scope, query)?;
        let response = self
            .search_raw(&search::body(query, &compiled, hits))
            .await?;
        Ok(SearchResult {
            total: search::total(&response),
            hits: if hits {
                search::hits(query, &response)?
            } else {
                Vec::new()
            },
            facets: search::facets(query, &response),
            page: query.page,
        })
    }
}

/// A new index being filled beside the live one; see [`OpenSearchIndex::begin_rebuild`].
pub struct Rebuild {
    alias: OpenSearchIndex,
    /// Writes and reads the new index only.
    pub index: OpenSearchIndex,
    old: Vec<String>,
}

impl Rebuild {
    /// Makes the new index visible, moves the alias to it in one step and removes the old
    /// indices. Returns a handle on the alias.
    pub async fn finish(self) -> Result<OpenSearchIndex, IndexError> {
        self.index.commit().await?;
        let alias = self.alias.alias().to_string();
        let mut actions = vec![
            json!({"add": {"index": self.index.target(), "alias": alias, "is_write_index": true}}),
        ];
        for name in &self.old {
            actions.push(json!({"remove": {"index": name, "alias": alias}}));
        }
        self.alias
            .client()
            .json(
                Method::POST,
                "/_aliases",
                Some(&json!({"actions": actions})),
            )
            .await?
            .ok("switching the alias")?;
        for name in &self.old {
            self.alias
                .client()
                .json(Method::DELETE, &format!("/{name}"), None)
                .await?
                .ok("removing the old index")?;
        }
        Ok(self.alias)
    }

    /// Drops the new index and leaves the alias as it was.
    pub async fn abandon(self) -> Result<(), IndexError> {
        self.alias
            .client()
            .json(Method::DELETE, &format!("/{}", self.index.target()), None)
            .await?
            .ok("removing the unfinished index")?;
        Ok(())
    }
}

#[async_trait]
impl SearchIndex for OpenSearchIndex {
    async fn index(&self, docs: Vec<IndexDoc>) -> Result<(), IndexError> {
        // Build every document first, so that an invalid one fails the batch unwritten.
        let mut built = Vec::with_capacity(docs.len());
        for d in &docs {
            built.push(document::build(d)?);
        }
        drop(docs);
        // The last version of an id wins; dropping the earlier ones lets the requests of
        // one batch run side by side without reordering its writes.
        let mut seen = std::collections::HashSet::new();
        let mut items: Vec<(Value, Option<Value>)> = Vec::with_capacity(built.len());
        for (id, source) in built.into_iter().rev() {
            if seen.insert(id.clone()) {
                items.push((json!({"index": {"_id": id}}), Some(source)));
            }
        }
        items.reverse();
        let size = self.inner.options.bulk_docs.max(1);
        let mut requests = tokio::task::JoinSet::new();
        while !items.is_empty() {
            let rest = items.split_off(items.len().min(size));
            let chunk = std::mem::replace(&mut items, rest);
            let this = self.clone();
            // Each request waits for a slot of the shared semaphore inside `bulk`.
            requests.spawn(async move { this.bulk(chunk).await });
        }
        while let Some(done) = requests.join_next().await {
            done??;
        }
        Ok(())
    }

    async fn delete_entities(&self, ids: Vec<String>) -> Result<(), IndexError> {
        let size = self.inner.options.bulk_docs.max(1);
        for chunk in ids.chunks(size) {
            let items = chunk
                .iter()
                .map(|id| (json!({"delete": {"_id": id}}), None))
                .collect();
            self.bulk(items).await?;
        }
        Ok(())
    }

    async fn delete_collection(&self, collection_id: i64) -> Result<(), IndexError> {
        // Delete-by-query sees only refreshed documents; refresh first so that entities
        // written but not yet committed go too (Tantivy deletes them as well).
        self.commit().await?;
        let body = json!({"query": {"term": {"collection_id": collection_id}}});
        self.client()
            .json(
                Method::POST,
                &format!(
                    "/{}/_delete_by_query?conflicts=proceed&wait_for_completion=true",
                    self.target()
                ),
                Some(&body),
            )
            .await?
            .ok("deleting a collection")?;
        Ok(())
    }

    async fn commit(&self) -> Result<(), IndexError> {
        self.client()
            .json(Method::POST, &format!("/{}/_refresh", self.target()), None)
            .await?
            .ok("refresh")?;
        Ok(())
    }

    async fn search(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
    ) -> Result<SearchResult, IndexError> {
        self.run(scope, query, true).await
    }

    async fn count(&self, scope: &ReadScope, query: &SearchQuery) -> Result<u64, IndexError> {
        if scope.is_empty() {
            return Ok(0);
        }
        let compiled = compile::compile(scope, query)?;
        let body = json!({"query": compiled.hits(), "size": 0, "track_total_hits": true});
        Ok(search::total(&self.search_raw(&body).await?))
    }

    async fn facets(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
    ) -> Result<BTreeMap<String, FacetResult>, IndexError> {
        Ok(self.run(scope, query, false).await?.facets)
    }

    async fn stream_ids(
        &self,
        scope: &ReadScope,
        query: &SearchQuery,
    ) -> Result<IdStream, IndexError> {
        let (sender, stream) = IdStream::channel(4);
        if scope.is_empty() {
            return Ok(stream);
        }
        // Check the request before answering, so that a bad query fails here.
        let compiled = compile::compile(scope, query)?;
        let this = self.clone();
        let batch = self.inner.options.stream_batch.clamp(1, 10_000);
        tokio::spawn(async move {
            // Pages in id order, each starting after the last id seen.
            let mut after: Option<String> = None;
            loop {
                let mut body = json!({
                    "query": compiled.hits(),
                    "size": batch,
                    "sort": [{"id": "asc"}],
                    "_source": false,
                    "track_total_hits": false,
                });
                if let Some(a) = &after {
                    body["search_after"] = json!([a]);
                }
                let page = match this.search_raw(&body).await {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = sender.send(Err(e)).await;
                        return;
                    }
                };
                let ids: Vec<String> = page["hits"]["hits"]
                    .as_array()
                    .map(|hits| {
                        hits.iter()
                            .filter_map(|h| h["sort"][0].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if ids.is_empty() {
                    return;
                }
                let full = ids.len() >= batch;
                after = ids.last().cloned();
                if sender.send(Ok(ids)).await.is_err() || !full {
                    return;
                }
            }
        });
        Ok(stream)
    }

    async fn collection_counts(&self, scope: &ReadScope) -> Result<BTreeMap<i64, u64>, IndexError> {
        if scope.is_empty() {
            return Ok(BTreeMap::new());
        }
        let compiled = compile::compile(scope, &SearchQuery::match_all())?;
        let mut counts = BTreeMap::new();
        let mut after: Option<Value> = None;
        loop {
            let mut composite =
                json!({"size": 1000, "sources": [{"c": {"terms": {"field": "collection_id"}}}]});
            if let Some(a) = &after {
                composite["after"] = a.clone();
            }
            let body = json!({
                "query": compiled.hits(),
                "size": 0,
                "aggs": {"c": {"composite": composite}},
            });
            let r = self.search_raw(&body).await?;
            let agg = &r["aggregations"]["c"];
            let buckets = agg["buckets"].as_array().cloned().unwrap_or_default();
            for b in &buckets {
                if let (Some(id), Some(n)) = (b["key"]["c"].as_i64(), b["doc_count"].as_u64()) {
                    counts.insert(id, n);
                }
            }
            match agg.get("after_key") {
                Some(k) if !buckets.is_empty() => after = Some(k.clone()),
                _ => break,
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::split_uri;

    #[test]
    fn uris_name_the_alias() {
        assert_eq!(
            split_uri("http://127.0.0.1:9200"),
            ("http://127.0.0.1:9200".to_string(), None)
        );
        assert_eq!(
            split_uri("https://os.example:9200/aleph/"),
            (
                "https://os.example:9200".to_string(),
                Some("aleph".to_string())
            )
        );
    }

    #[test]
    fn layout_settings_are_checked() {
        use super::OpenSearchOptions;
        let o = OpenSearchOptions::default()
            .with_layout(Some(" 16 "), Some("1"))
            .unwrap();
        assert_eq!((o.shards, o.replicas.as_str()), (16, "1"));
        let kept = OpenSearchOptions::default()
            .with_layout(None, None)
            .unwrap();
        assert_eq!((kept.shards, kept.replicas.as_str()), (1, "0-1"));
        for (shards, replicas) in [(Some("0"), None), (Some("x"), None), (None, Some("lots"))] {
            let err = OpenSearchOptions::default()
                .with_layout(shards, replicas)
                .unwrap_err();
            assert!(err.to_string().contains("ALEPH_INDEX_"), "{err}");
        }
    }

    #[test]
    fn a_request_beyond_the_indexing_limit_is_recognised_and_shrunk() {
        use super::{BulkItem, beyond_indexing_limit};
        use serde_json::json;
        let refused = |reason: &str| {
            json!({"error": {"root_cause": [{"type": "rejected_execution_exception",
                "reason": reason}]}, "status": 429})
        };
        assert!(beyond_indexing_limit(&refused(
            "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, \
             replica_bytes=0, all_bytes=0, coordinating_operation_bytes=69778036, \
             max_coordinating_and_primary_bytes=51897958]"
        )));
        // Busy, not too big: waiting helps.
        assert!(!beyond_indexing_limit(&refused(
            "rejected execution of coordinating operation [coordinating_and_primary_bytes=\
             50000000, replica_bytes=0, all_bytes=50000000, coordinating_operation_bytes=\
             4000000, max_coordinating_and_primary_bytes=51897958]"
        )));
        assert!(!beyond_indexing_limit(&json!({"status": 429})));

        let source = json!({"id": "t", "text": ["a b"], "stored": {"entity": {"id": "t"},
            "index_text": ["a b"]}});
        let item = BulkItem {
            lines: format!("{}\n{source}\n", json!({"index": {"_id": "t"}})),
            delete: false,
        };
        let smaller = item.without_highlight_text().unwrap();
        let (action, rest) = smaller.lines.split_once('\n').unwrap();
        assert_eq!(action, r#"{"index":{"_id":"t"}}"#);
        let rest: serde_json::Value = serde_json::from_str(rest.trim_end()).unwrap();
        assert_eq!(rest["stored"]["index_text"], json!([]));
        assert_eq!(rest["text"], json!(["a b"]));
        assert!(smaller.without_highlight_text().is_none());
    }
}
