//! Prometheus metrics, served on their own port (9100 by default, as Aleph) so that the
//! API port never exposes them.
//!
//! Counters and histograms are updated where things happen: the HTTP middleware
//! ([`track_http`]), the search handler, the worker when it finishes a job. Gauges that
//! describe the data (jobs by stage and state, entities per collection) are read from the
//! store and the index when scraped; the expensive ones at most every
//! [`SIZE_REFRESH`], so a frequent scraper does not count a large database over and over.
//!
//! One process has one set of metrics ([`global`]): a process serves one metrics port.

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use tokio::sync::Mutex;

use crate::state::AppState;

/// How old the per-collection sizes may get before a scrape recounts them.
pub const SIZE_REFRESH: Duration = Duration::from_secs(30);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    /// The matched route template (`/api/2/entities/{id}`), never the raw path, so that
    /// ids do not make a series each.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabels {
    pub stage: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IngestorLabels {
    pub ingestor: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobStateLabels {
    pub stage: String,
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CollectionLabels {
    pub collection_id: String,
    pub foreign_id: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PurgeLabels {
    pub collection_id: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WorkerLabels {
    pub worker: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn request_buckets() -> Histogram {
    // 1 ms … ~33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

fn job_buckets() -> Histogram {
    // 10 ms … ~45 min: a page of text to a large archive.
    Histogram::new(exponential_buckets(0.01, 2.0, 18))
}

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Histograms<RouteLabels>,
    pub search_duration: Histogram,
    pub job_duration: Histograms<StageLabels>,
    pub ingest_duration: Histograms<IngestorLabels>,
    pub files_ingested: Family<OutcomeLabels, Counter>,
    pub bytes_ingested: Counter,
    pub jobs: Family<JobStateLabels, Gauge>,
    pub collection_entities: Family<CollectionLabels, Gauge>,
    pub collection_indexed: Family<CollectionLabels, Gauge>,
    pub worker_up: Family<WorkerLabels, Gauge>,
    pub worker_last_poll: Family<WorkerLabels, Gauge<f64, AtomicU64>>,
    pub worker_busy: Family<WorkerLabels, Gauge>,
    pub audit_dropped: Counter,
    pub index_purge_remaining: Family<PurgeLabels, Gauge>,
    pub index_rebuild_remaining: Gauge,
    sizes_at: Mutex<Option<Instant>>,
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::default();
        let m = Metrics {
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(request_buckets),
            search_duration: request_buckets(),
            job_duration: Family::new_with_constructor(job_buckets),
            ingest_duration: Family::new_with_constructor(job_buckets),
            files_ingested: Family::default(),
            bytes_ingested: Counter::default(),
            jobs: Family::default(),
            collection_entities: Family::default(),
            collection_indexed: Family::default(),
            worker_up: Family::default(),
            worker_last_poll: Family::default(),
            worker_busy: Family::default(),
            audit_dropped: Counter::default(),
            index_purge_remaining: Family::default(),
            index_rebuild_remaining: Gauge::default(),
            sizes_at: Mutex::new(None),
            registry: Registry::default(),
        };
        registry.register(
            "aleph_http_requests",
            "API requests by method, route template and status",
            m.http_requests.clone(),
        );
        registry.register(
            "aleph_http_request_duration_seconds",
            "API request durations by route template",
            m.http_duration.clone(),
        );
        registry.register(
            "aleph_search_duration_seconds",
            "Search latency (index query and serialisation)",
            m.search_duration.clone(),
        );
        registry.register(
            "aleph_job_duration_seconds",
            "Durations of finished job attempts by stage and outcome",
            m.job_duration.clone(),
        );
        registry.register(
            "aleph_ingest_duration_seconds",
            "Durations of file ingestion by ingestor (file format)",
            m.ingest_duration.clone(),
        );
        registry.register(
            "aleph_ingest_files",
            "Files whose ingestion ended, by outcome (retries not counted)",
            m.files_ingested.clone(),
        );
        registry.register(
            "aleph_ingest_bytes",
            "Bytes of the files whose ingestion ended",
            m.bytes_ingested.clone(),
        );
        registry.register(
            "aleph_jobs",
            "Jobs in the job ledger by stage and state",
            m.jobs.clone(),
        );
        registry.register(
            "aleph_collection_entities",
            "Entities in the store per collection",
            m.collection_entities.clone(),
        );
        registry.register(
            "aleph_collection_indexed_entities",
            "Entities in the search index per collection",
            m.collection_indexed.clone(),
        );
        registry.register(
            "aleph_worker_up",
            "1 while a worker loop runs in this process",
            m.worker_up.clone(),
        );
        registry.register(
            "aleph_worker_last_poll_timestamp_seconds",
            "When the worker last asked for work (Unix time)",
            m.worker_last_poll.clone(),
        );
        registry.register(
            "aleph_worker_busy_slots",
            "File jobs the worker is running",
            m.worker_busy.clone(),
        );
        registry.register(
            "aleph_audit_dropped",
            "Audit entries dropped because the writer could not keep up",
            m.audit_dropped.clone(),
        );
        registry.register(
            "aleph_index_purge_remaining",
            "Documents of a deleted collection still to be removed from the index",
            m.index_purge_remaining.clone(),
        );
        registry.register(
            "aleph_index_rebuild_remaining",
            "Entities a background rebuild of the search index has yet to index (0 when none runs)",
            m.index_rebuild_remaining.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The Prometheus text format (0.0.4) of everything.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)?;
        Ok(out)
    }

    /// Read the data-describing gauges from the store and the index.
    pub async fn refresh(&self, state: &AppState) {
        // Searches answer from part of the data until this is 0: worth an alert.
        let rebuild = state.index_rebuild.current();
        self.index_rebuild_remaining.set(gauge_value(
            rebuild.map_or(0, |p| p.total.saturating_sub(p.indexed)),
        ));
        match state.store.job_counts(None).await {
            Ok(counts) => {
                let mut totals: std::collections::BTreeMap<(String, &str), u64> =
                    Default::default();
                for c in &counts {
                    for s in store::JobState::ALL {
                        *totals
                            .entry((c.stage.as_str().to_string(), s.as_str()))
                            .or_default() += c.count(s);
                    }
                }
                self.jobs.clear();
                for ((stage, state), n) in totals {
                    self.jobs
                        .get_or_create(&JobStateLabels {
                            stage,
                            state: state.to_string(),
                        })
                        .set(gauge_value(n));
                }
            }
            Err(e) => tracing::warn!("metrics: cannot count jobs: {e}"),
        }
        let mut sizes_at = self.sizes_at.lock().await;
        if sizes_at.is_some_and(|t| t.elapsed() < SIZE_REFRESH) {
            return;
        }
        if let Err(e) = self.refresh_sizes(state).await {
            tracing::warn!("metrics: cannot measure collections: {e}");
            return;
        }
        *sizes_at = Some(Instant::now());
    }

    async fn refresh_sizes(&self, state: &AppState) -> anyhow::Result<()> {
        let indexed = state
            .index
            .collection_counts(&index::ReadScope::All)
            .await?;
        let mut query = store::CollectionQuery::new(store::CollectionScope::All);
        query.limit = 1000;
        let mut rows = Vec::new();
        loop {
            let page = state.store.list_collections(&query).await?;
            let n = page.items.len();
            for c in page.items {
                let entities = state.store.count_entities(c.id).await?;
                rows.push((c.id, c.foreign_id, entities));
            }
            if n < query.limit as usize {
                break;
            }
            query.offset += u64::from(query.limit);
        }
        self.collection_entities.clear();
        self.collection_indexed.clear();
        for (id, foreign_id, entities) in rows {
            let labels = CollectionLabels {
                collection_id: id.to_string(),
                foreign_id,
            };
            self.collection_entities
                .get_or_create(&labels)
                .set(gauge_value(entities));
            self.collection_indexed
                .get_or_create(&labels)
                .set(gauge_value(indexed.get(&id).copied().unwrap_or(0)));
        }
        Ok(())
    }
}

fn gauge_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// This process's metrics.
pub fn global() -> &'static Metrics {
    &METRICS
}

/// Middleware: count every API request by route template and status, and time it.
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let m = global();
    m.http_duration
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    m.http_requests
        .get_or_create(&HttpLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// `GET /metrics` of the metrics port.
async fn scrape(State(state): State<AppState>) -> Response {
    let m = global();
    m.refresh(&state).await;
    match m.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The router of the metrics port.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

/// Where to serve metrics: `0`/`off` for nowhere, a port (on all interfaces, as Aleph), or
/// an `address:port`.
pub fn parse_bind(value: &str) -> anyhow::Result<Option<SocketAddr>> {
    let value = value.trim();
    if matches!(value, "" | "0" | "off" | "false" | "none") {
        return Ok(None);
    }
    if let Ok(port) = value.parse::<u16>() {
        return Ok(Some(SocketAddr::from(([0, 0, 0, 0], port))));
    }
    let addr: SocketAddr = value
        .parse()
        .with_context(|| format!("not a port or address:port: {value:?}"))?;
    Ok((addr.port() != 0).then_some(addr))
}

/// Serve `/metrics` on `bind` in the background. A port already taken (a server and a
/// worker on one machine with the default) is a warning, not a reason to stop working.
pub async fn spawn(state: AppState, bind: SocketAddr) -> Option<tokio::task::JoinHandle<()>> {
    let listener = match tokio::net::TcpListener::bind(bind).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!("metrics are not served: cannot listen on {bind}: {e}");
            return None;
        }
    };
    tracing::info!("metrics on http://{bind}/metrics");
    Some(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router(state)).await {
            tracing::warn!("the metrics server stopped: {e}");
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_values() {
        assert_eq!(parse_bind("0").unwrap(), None);
        assert_eq!(parse_bind("off").unwrap(), None);
        assert_eq!(
            parse_bind("9100").unwrap(),
            Some("0.0.0.0:9100".parse().unwrap())
        );
        assert_eq!(
            parse_bind("127.0.0.1:9200").unwrap(),
            Some("127.0.0.1:9200".parse().unwrap())
        );
        assert_eq!(parse_bind("127.0.0.1:0").unwrap(), None);
        assert!(parse_bind("nine").is_err());
    }

    #[test]
    fn text_format_has_types_and_histogram_series() {
        let m = Metrics::new();
        m.http_requests
            .get_or_create(&HttpLabels {
                method: "GET".into(),
                route: "/api/2/entities/{id}".into(),
                status: 200,
            })
            .inc();
        m.job_duration
            .get_or_create(&StageLabels {
                stage: "ingest".into(),
                outcome: "succeeded".into(),
            })
            .observe(0.5);
        let text = m.encode().unwrap();
        assert!(
            text.contains("# TYPE aleph_http_requests_total counter"),
            "{text}"
        );
        assert!(text.contains(
            "aleph_http_requests_total{method=\"GET\",route=\"/api/2/entities/{id}\",status=\"200\"} 1"
        ));
        assert!(text.contains("# TYPE aleph_job_duration_seconds histogram"));
        assert!(text.contains(
            "aleph_job_duration_seconds_bucket{le=\"0.64\",stage=\"ingest\",outcome=\"succeeded\"} 1"
        ) || text.contains("aleph_job_duration_seconds_count{stage=\"ingest\",outcome=\"succeeded\"} 1"), "{text}");
        assert!(!text.contains("# EOF"), "Prometheus text, not OpenMetrics");
    }
}
