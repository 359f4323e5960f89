//! The Aleph-compatible HTTP API (`/api/2/…`), and the glue that opens the store, the
//! index and the archive for it.
//!
//! - [`config`]: settings from Aleph's environment variables;
//! - [`routes`]: thin handlers, one module per area of the API;
//! - [`services`]: what handlers and commands do without HTTP (writing entities, rebuilding
//!   the index, collection status, adding uploaded files and folders);
//! - [`metrics`]: Prometheus metrics on their own port; [`audit`]: the audit log writer;
//! - [`auth`], [`params`], [`paging`], [`serialize`]: Aleph's conventions for credentials,
//!   query arguments, the paging envelope and JSON shapes.

pub mod audit;
pub mod auth;
pub mod config;
pub mod embedded_index;
pub mod error;
pub mod metrics;
pub mod paging;
pub mod params;
mod routes;
pub mod serialize;
pub mod services;
pub mod state;
pub mod tokens;
pub mod worker;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use index::{OpenSearchIndex, OpenSearchOptions};
use store::{NewRole, RoleQuery, Store};

pub use config::Settings;
pub use state::AppState;

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let limit = usize::try_from(state.settings.max_upload_bytes).unwrap_or(usize::MAX);
    routes::router()
        .fallback(ui_or_not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(metrics::track_http))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Paths outside the API are the web interface's (its files, or its shell for a page);
/// anything else, and every unknown `/api/…` path, is the API's JSON 404.
async fn ui_or_not_found(
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = uri.path();
    let api = path == "/api" || path.starts_with("/api/");
    if !api
        && (method == axum::http::Method::GET || method == axum::http::Method::HEAD)
        && let Some(resp) = ui::response(path, &headers)
    {
        return resp;
    }
    error::fallback().await.into_response()
}

/// How a process uses the embedded index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexMode {
    /// This process writes the index (the server; commands run while it is stopped).
    Writer,
    /// This process only searches it; another process (the server) writes. Workers and
    /// command-line tools run like this next to a running server.
    ReadOnly,
    /// A bulk load writes the index with this much writer memory (bytes) instead of the
    /// server's default: less memory, more and smaller segments.
    BulkWriter(usize),
}

/// Open the store, the index and the archive that the settings name.
pub async fn open(settings: Settings) -> anyhow::Result<AppState> {
    open_with(settings, IndexMode::Writer).await
}

/// [`open`], choosing whether this process writes the embedded index.
pub async fn open_with(settings: Settings, mode: IndexMode) -> anyhow::Result<AppState> {
    open_rebuilding(settings, mode, embedded_index::Rebuild::Foreground).await
}

/// [`open`] for `aleph serve`: an embedded index that must be rebuilt is rebuilt in the
/// background while the server answers from what is indexed so far.
pub async fn open_serving(settings: Settings) -> anyhow::Result<AppState> {
    open_rebuilding(
        settings,
        IndexMode::Writer,
        embedded_index::Rebuild::Background,
    )
    .await
}

async fn open_rebuilding(
    settings: Settings,
    mode: IndexMode,
    when: embedded_index::Rebuild,
) -> anyhow::Result<AppState> {
    let store = store::open(&settings.database_uri)
        .await
        .with_context(|| format!("cannot open the database {}", settings.database_uri))?;
    let opened = match opensearch_uri(&settings) {
        // A cluster URI selects the OpenSearch backend; anything else is a Tantivy directory.
        Some(uri) => embedded_index::Opened {
            index: Arc::new(
                OpenSearchIndex::connect(uri, OpenSearchOptions::from_env()?)
                    .await
                    .with_context(|| format!("cannot open the OpenSearch index at {uri}"))?,
            ),
            rebuild: embedded_index::RebuildWatch::default(),
        },
        None => embedded_index::open(&settings, mode, &store, when).await?,
    };
    let archive: Arc<dyn archive::Archive> = match &settings.archive_s3 {
        Some(s3) => Arc::new(
            archive::S3Archive::open(s3, &settings.archive_path)
                .with_context(|| format!("cannot open the S3 archive in bucket {}", s3.bucket))?,
        ),
        None => Arc::new(
            archive::FileArchive::open(&settings.archive_path).with_context(|| {
                format!(
                    "cannot open the archive {}",
                    settings.archive_path.display()
                )
            })?,
        ),
    };
    let system_roles = store.system_roles().await?;
    Ok(AppState::with_rebuild(
        store,
        opened.index,
        archive,
        settings,
        system_roles,
        opened.rebuild,
    ))
}

/// `ALEPH_INDEX_URI` (or `ALEPH_ELASTICSEARCH_URI`) when it names a cluster over HTTP.
fn opensearch_uri(settings: &Settings) -> Option<&str> {
    settings
        .index_path
        .to_str()
        .filter(|s| s.starts_with("http://") || s.starts_with("https://"))
}

/// The credentials of an account made on first start.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub email: String,
    pub password: String,
    pub api_key: String,
}

/// On an empty store, create an admin account so that the instance can be used at once.
pub async fn bootstrap_admin(store: &Arc<dyn Store>) -> anyhow::Result<Option<Bootstrap>> {
    let query = RoleQuery {
        kind: Some(store::RoleKind::User),
        name_prefix: None,
        email: None,
        ids: None,
        limit: 1,
        offset: 0,
    };
    if store.list_roles(&query).await?.total > 0 {
        return Ok(None);
    }
    let email = "admin@aleph.local".to_string();
    let password = hex::encode(rand::random::<[u8; 12]>());
    let mut new = NewRole::user("password:admin@aleph.local", "Administrator", email.clone());
    new.is_admin = true;
    new.password = Some(store::PasswordHash::new(&password)?);
    let role = store.create_role(new).await?;
    let key = store.reset_api_key(role.id, None).await?;
    Ok(Some(Bootstrap {
        email,
        password,
        api_key: key.as_str().to_string(),
    }))
}

/// Run the HTTP server until the process is stopped.
pub async fn serve(state: AppState, bind: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!("listening on http://{bind}");
    services::notifications::start_background(&state)?;
    // The peer address goes into the audit log.
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut sig) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            sig.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
