//! `aleph`: one binary for the server, the workers, administration and data tools.

mod client;
mod commands;
mod crawl;
mod io;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "aleph",
    version,
    about = "Documents and structured data into searchable, cross-referenced FollowTheMoney entities"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API and web interface (and, embedded, the workers).
    Serve(commands::serve::ServeArgs),
    /// Run workers only (any number of processes on any number of machines).
    Worker(commands::serve::WorkerArgs),
    /// Processing status from the job ledger: counts by stage and state, failures.
    Status(commands::processing::StatusArgs),
    /// Queue failed files again (by error class, stage, or older processor version).
    Retry(commands::processing::RetryArgs),
    /// Bring the database schema up to date (also done at every start); `--check` only
    /// tells which migrations would run.
    Upgrade(commands::serve::UpgradeArgs),
    /// Read the audit log: who logged in, searched, viewed, downloaded, exported, changed.
    Audit(commands::audit::AuditArgs),
    /// Load FtM JSON lines into a collection (created if missing), store and index.
    LoadEntities(commands::data::LoadArgs),
    /// Search the local index and print results and facets.
    Search(commands::data::SearchArgs),
    /// Add a directory tree to a collection of the local data directory (resumable).
    Crawldir(commands::crawldir::CrawlDirArgs),
    /// Work with an Aleph server over its API: crawldir, verify.
    Client(commands::client::ClientArgs),
    /// Rebuild the search index from the store.
    Reindex(commands::data::ReindexArgs),
    /// Move an embedded instance onto PostgreSQL, OpenSearch and S3 (resumable; checks
    /// the counts at the end).
    Migrate(commands::migrate::MigrateArgs),
    /// Create a user and print their API key.
    Createuser(commands::admin::CreateUserArgs),
    /// Manage users: list, block, unblock, make-admin, remove-admin, reset-api-key.
    #[command(subcommand)]
    User(commands::admin::UserCommand),
    /// Manage groups and their members.
    #[command(subcommand)]
    Group(commands::admin::GroupCommand),
    /// Manage collections: list, delete, grant, revoke.
    #[command(subcommand)]
    Collection(commands::admin::CollectionCommand),
    /// Ingest one file as the worker's child process (reads a request on standard input).
    #[command(hide = true)]
    IngestFile,
    /// FollowTheMoney data tools (validate, aggregate, sign, dump-model), like `ftm`.
    #[command(subcommand)]
    Ftm(commands::ftm::FtmCommand),
    /// Run a mapping file over CSV files or SQL tables into FtM JSON lines, like `ftm map`.
    Map(commands::mapping::MapArgs),
    /// Cross-reference a collection against others (all by default) and print or export
    /// the matches: `aleph xref leak --against sanctions --format csv`.
    Xref(commands::xref::XrefArgs),
    /// Export FtM JSON lines as CSV, Excel, Cypher, Neo4j CSV, GEXF or RDF, like `ftm export-*`.
    #[command(subcommand)]
    Export(commands::export::ExportCommand),
}

// Extraction and the store's JSON work allocate a lot of small, short-lived values; mimalloc
// took 14 % off PDF extraction's CPU against glibc's malloc (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = run(cli.command);
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        // Stream tools need no runtime.
        Command::Ftm(cmd) => return commands::ftm::run(cmd),
        Command::Map(args) => return commands::mapping::run(args),
        Command::Export(cmd) => return commands::export::run(cmd),
        Command::IngestFile => return ingest_file(),
        _ => {}
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match command {
            Command::Serve(args) => commands::serve::serve(args).await,
            Command::Upgrade(args) => commands::serve::upgrade(args).await,
            Command::Audit(args) => commands::audit::run(args).await,
            Command::Worker(args) => commands::serve::worker(args).await,
            Command::Status(args) => commands::processing::status(args).await,
            Command::Retry(args) => commands::processing::retry(args).await,
            Command::LoadEntities(args) => commands::data::load_entities(args).await,
            Command::Search(args) => commands::data::search(args).await,
            Command::Crawldir(args) => commands::crawldir::crawldir(args).await,
            Command::Client(args) => commands::client::run(args).await,
            Command::Reindex(args) => commands::data::reindex_command(args).await,
            Command::Migrate(args) => commands::migrate::run(args).await,
            Command::Createuser(args) => commands::admin::create_user(args).await,
            Command::User(cmd) => commands::admin::user(cmd).await,
            Command::Group(cmd) => commands::admin::group(cmd).await,
            Command::Collection(cmd) => commands::admin::collection(cmd).await,
            Command::Xref(args) => commands::xref::run(args).await,
            Command::Ftm(_) | Command::Map(_) | Command::Export(_) | Command::IngestFile => {
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// The child side of the worker's sandbox: files one after another until its input ends
/// (see `ingest::remote`).
fn ingest_file() -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin().lock();
    let stdout = std::io::BufWriter::new(std::io::stdout().lock());
    Ok(match ingest::remote::serve(stdin, stdout) {
        Ok(()) => ExitCode::SUCCESS,
        // The failure was reported on standard output as the final message.
        Err(_) => ExitCode::from(2),
    })
}

/// Logs go to standard error; `RUST_LOG` selects what (default: warnings, and our info).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,server=info,aleph=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
