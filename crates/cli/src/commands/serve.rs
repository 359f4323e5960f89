//! `aleph serve` and `aleph upgrade`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "ALEPH_BIND")]
    pub bind: SocketAddr,
    /// Files processed at once by workers inside the server (0: none; run `aleph worker`).
    #[arg(long, env = "ALEPH_WORKERS")]
    pub workers: Option<usize>,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args)]
pub struct MetricsArgs {
    /// Where to serve Prometheus metrics (`/metrics`): a port (all interfaces), an
    /// address:port, or 0 for none.
    #[arg(long, env = "ALEPH_METRICS_BIND", default_value = "127.0.0.1:9100")]
    pub metrics_bind: String,
}

impl MetricsArgs {
    /// Serve metrics in the background, if asked to.
    async fn spawn(&self, state: &server::AppState) -> anyhow::Result<()> {
        if let Some(bind) = server::metrics::parse_bind(&self.metrics_bind)? {
            server::metrics::spawn(state.clone(), bind).await;
        }
        Ok(())
    }
}

#[derive(Args)]
pub struct WorkerArgs {
    /// Files processed at once (default: one per core).
    #[arg(long, short = 'c')]
    pub concurrency: Option<usize>,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    #[command(flatten)]
    pub data: DataArgs,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Start workers in the background; they stop when the returned sender says so.
fn spawn_workers(
    state: &server::AppState,
    concurrency: usize,
    index: bool,
) -> anyhow::Result<(
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
)> {
    let work_root = state.settings.data_dir.join("work");
    std::fs::create_dir_all(&work_root)?;
    let pipeline = server::services::pipeline::PipelineConfig::detect(work_root)?;
    let mut options = server::worker::WorkerOptions::new(concurrency, pipeline);
    options.index = index;
    // How often index workers compare the index with the store (default 1800 s; 0: never).
    if let Some(secs) = std::env::var("ALEPH_RECONCILE_SECONDS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        options.reconcile_every = (secs > 0).then(|| std::time::Duration::from_secs(secs));
    }
    // How long a job stays with a worker that stopped sending heartbeats (default 120 s).
    if let Some(secs) = std::env::var("ALEPH_WORKER_LEASE_SECONDS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s > 0)
    {
        options.lease = std::time::Duration::from_secs(secs);
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let handle = tokio::spawn(server::worker::run(state.clone(), options, stopped));
    Ok((stop, handle))
}

pub async fn worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    // The embedded index has one writer, the server: a separate worker extracts and
    // analyses files and leaves their indexing to it. A cluster takes writes from anyone,
    // so there every worker indexes too (index jobs are leased like any other).
    let state = args.data.open_read_only().await?;
    let concurrency = args.concurrency.unwrap_or_else(cores).max(1);
    args.metrics.spawn(&state).await?;
    let indexes = cluster_uri(&state.settings).is_some();
    let (stop, handle) = spawn_workers(&state, concurrency, indexes)?;
    println!("worker running with {concurrency} slots; Ctrl-C to stop");
    tokio::signal::ctrl_c().await?;
    println!("finishing the jobs in progress…");
    let _ = stop.send(true);
    handle.await?;
    Ok(ExitCode::SUCCESS)
}

/// Where the data lives; every command that touches the store takes these.
#[derive(Args, Clone)]
pub struct DataArgs {
    /// The data directory (SQLite file, index, archive) of the embedded mode.
    #[arg(long, env = "ALEPH_DATA", default_value = "aleph-data")]
    pub data_dir: PathBuf,
}

impl DataArgs {
    /// Open everything, as the writer of the embedded index (fails while a server runs).
    pub async fn open(&self) -> anyhow::Result<server::AppState> {
        let settings = server::Settings::from_env(Some(self.data_dir.clone()))?;
        server::open(settings).await
    }

    /// Open everything, reading the index only: safe next to a running server.
    pub async fn open_read_only(&self) -> anyhow::Result<server::AppState> {
        let settings = server::Settings::from_env(Some(self.data_dir.clone()))?;
        server::open_with(settings, server::IndexMode::ReadOnly).await
    }
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut settings = server::Settings::from_env(Some(args.data.data_dir.clone()))?;
    if std::env::var_os("ALEPH_UI_URL").is_none() {
        // Without a public URL configured, links point at the address we listen on.
        let host = if args.bind.ip().is_unspecified() {
            format!("localhost:{}", args.bind.port())
        } else {
            args.bind.to_string()
        };
        settings.ui_url = format!("http://{host}/");
    }
    let state = server::open_serving(settings).await?;
    if let Some(admin) = server::bootstrap_admin(&state.store).await? {
        // Printed once: the account is new and nothing else knows its password.
        println!("Created the first account, an administrator:");
        println!("  email:    {}", admin.email);
        println!("  password: {}", admin.password);
        println!("  API key:  {}", admin.api_key);
    }
    args.metrics.spawn(&state).await?;
    server::audit::spawn_pruner(state.store.clone(), state.settings.audit_retention_days);
    let workers = args.workers.unwrap_or_else(cores);
    // `--workers` sets the server's file slots. It owns the embedded index, so it always
    // indexes there; with a cluster, `--workers 0` leaves indexing to `aleph worker`
    // processes too, so that API nodes only answer requests.
    let indexes = workers > 0 || cluster_uri(&state.settings).is_none();
    let background = Some(spawn_workers(&state, workers, indexes)?);
    println!(
        "Aleph is listening on http://{}/ ({workers} worker slots)",
        args.bind
    );
    server::serve(state, args.bind).await?;
    if let Some((stop, handle)) = background {
        let _ = stop.send(true);
        handle.await?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct UpgradeArgs {
    /// Only tell which migrations would run, changing nothing. Exits with 0 when the
    /// schema is up to date and 1 when migrations would run.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

pub async fn upgrade(args: UpgradeArgs) -> anyhow::Result<ExitCode> {
    let settings = server::Settings::from_env(Some(args.data.data_dir.clone()))?;
    if args.check {
        let database = check_upgrade(&settings.database_uri).await?;
        let index = check_index(&settings).await?;
        return Ok(if database && index {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let Some(store) = store::open_unmigrated(&settings.database_uri).await? else {
        let store = store::open(&settings.database_uri).await?;
        println!(
            "created a new database at schema version {}",
            store::LATEST_VERSION
        );
        upgrade_index(&settings, &store).await?;
        return Ok(ExitCode::SUCCESS);
    };
    let done = store.migrate().await?;
    if done.from == done.to {
        println!("database schema is up to date (version {})", done.to);
    } else {
        println!(
            "database schema upgraded from version {} to {}",
            done.from, done.to
        );
    }
    upgrade_index(&settings, &store).await?;
    Ok(ExitCode::SUCCESS)
}

/// An OpenSearch index is created, or rebuilt behind its alias when its layout is older
/// than this build's; an embedded index this build cannot read is rebuilt from the store.
async fn upgrade_index(
    settings: &server::Settings,
    store: &std::sync::Arc<dyn store::Store>,
) -> anyhow::Result<()> {
    let Some(uri) = cluster_uri(settings) else {
        match server::embedded_index::check(settings) {
            server::embedded_index::Check::Rebuild => println!(
                "the index {} is in an older format: rebuilding it from the store",
                settings.index_path.display()
            ),
            server::embedded_index::Check::Unfinished => println!(
                "the rebuild of the index {} was stopped: finishing it",
                settings.index_path.display()
            ),
            _ => {
                println!("index format is up to date");
                return Ok(());
            }
        }
        server::open(settings.clone()).await?;
        println!("index rebuilt");
        return Ok(());
    };
    println!("checking the OpenSearch index at {uri}");
    match super::index_upgrade::upgrade(uri, store).await? {
        super::index_upgrade::IndexUpgrade::UpToDate => println!("index layout is up to date"),
        super::index_upgrade::IndexUpgrade::Created => println!("created the index and its alias"),
        super::index_upgrade::IndexUpgrade::Rebuilt { entities } => println!(
            "rebuilt the index from the store with the new layout ({entities} entities); \
             the alias now points at it"
        ),
    }
    Ok(())
}

/// What an OpenSearch index upgrade would do; whether the index is up to date.
async fn check_index(settings: &server::Settings) -> anyhow::Result<bool> {
    let Some(uri) = cluster_uri(settings) else {
        return Ok(match server::embedded_index::check(settings) {
            server::embedded_index::Check::Rebuild => {
                println!(
                    "the index {} is in an older format: `aleph upgrade` (or the next start) \
                     rebuilds it from the store",
                    settings.index_path.display()
                );
                false
            }
            server::embedded_index::Check::Unfinished => {
                println!(
                    "the index {} is being rebuilt (by a running server), or its rebuild was \
                     stopped: `aleph serve` resumes it in the background, `aleph upgrade` \
                     finishes it",
                    settings.index_path.display()
                );
                false
            }
            _ => true,
        });
    };
    let options = index::OpenSearchOptions::from_env()?;
    Ok(match super::index_upgrade::layout(uri, &options).await? {
        super::index_upgrade::Layout::Current => {
            println!("OpenSearch index layout is up to date");
            true
        }
        super::index_upgrade::Layout::Missing => {
            println!("no OpenSearch index at {uri} yet: `aleph upgrade` creates it");
            false
        }
        super::index_upgrade::Layout::Older(indices) => {
            println!(
                "OpenSearch index {} has an older layout: `aleph upgrade` rebuilds it \
                     from the store behind the alias",
                indices.join(", ")
            );
            false
        }
    })
}

/// The index URI when it names an OpenSearch cluster rather than a local directory.
fn cluster_uri(settings: &server::Settings) -> Option<&str> {
    settings
        .index_path
        .to_str()
        .filter(|s| s.starts_with("http://") || s.starts_with("https://"))
}

/// What a database upgrade would do; whether the schema is up to date.
async fn check_upgrade(uri: &str) -> anyhow::Result<bool> {
    let Some(store) = store::open_unmigrated(uri).await? else {
        println!("no database at {uri} yet: every migration runs on first start");
        for m in store::pending(0)? {
            println!("  {:>3}  {}", m.version, m.name);
        }
        return Ok(false);
    };
    let current = store.schema_version().await?;
    let pending = store::pending(current)?;
    if pending.is_empty() {
        println!("database schema is up to date (version {current})");
        return Ok(true);
    }
    println!(
        "database schema is at version {current}; `aleph upgrade` (or the next start) would run:"
    );
    for m in &pending {
        println!("  {:>3}  {}", m.version, m.name);
    }
    Ok(false)
}
