//! `aleph client …`: working with any Aleph-compatible server over its API, like
//! alephclient: `crawldir` (upload a tree, resumable) and `verify` (is all of it there?).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::client::verify::{self, Standing};
use crate::client::{Api, ApiError};
use crate::crawl::manifest::{self, Journal, Manifest};
use crate::crawl::walk::base_name;
use crate::crawl::{self, AddError, AddedFile, CrawlOptions, Sink};

/// How to reach the server; alephclient's flags and environment variables.
#[derive(Args, Clone)]
pub struct Connection {
    /// The server's URL (also ALEPHCLIENT_HOST, ALEPH_HOST, MEMORIOUS_ALEPH_HOST).
    #[arg(long, global = true, env = "ALEPHCLIENT_HOST")]
    pub host: Option<String>,
    /// Your API key (also ALEPHCLIENT_API_KEY, ALEPH_API_KEY, MEMORIOUS_ALEPH_API_KEY).
    #[arg(
        long,
        global = true,
        env = "ALEPHCLIENT_API_KEY",
        hide_env_values = true
    )]
    pub api_key: Option<String>,
    /// Tries per request when the connection fails or the server answers 5xx.
    #[arg(
        short = 'r',
        long,
        global = true,
        env = "ALEPHCLIENT_MAX_TRIES",
        default_value_t = 5
    )]
    pub retries: u32,
}

fn first_env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| std::env::var(n).ok())
        .find(|v| !v.trim().is_empty())
}

impl Connection {
    fn api(&self) -> anyhow::Result<Api> {
        let host = self
            .host
            .clone()
            .or_else(|| first_env(&["ALEPH_HOST", "MEMORIOUS_ALEPH_HOST"]))
            .ok_or_else(|| anyhow::anyhow!("no server: give --host URL or set ALEPHCLIENT_HOST"))?;
        let key = self
            .api_key
            .clone()
            .or_else(|| first_env(&["ALEPH_API_KEY", "MEMORIOUS_ALEPH_API_KEY"]));
        Api::new(&host, key, self.retries)
    }
}

#[derive(Args)]
pub struct ClientArgs {
    #[command(flatten)]
    pub connection: Connection,
    #[command(subcommand)]
    pub command: ClientCommand,
}

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Upload a directory tree; a rerun uploads only new, changed or failed files.
    Crawldir(ClientCrawlArgs),
    /// Report every local file that is not on the server, processed without error.
    Verify(VerifyArgs),
}

#[derive(Args)]
pub struct ClientCrawlArgs {
    /// The directory (or single file) to upload.
    pub path: PathBuf,
    /// The collection to upload to; created if it does not exist.
    #[arg(short = 'f', long)]
    pub foreign_id: String,
    /// Files uploaded at once.
    #[arg(short = 'p', long, default_value_t = 4)]
    pub parallel: usize,
    /// Do not index the files after processing.
    #[arg(short = 'i', long)]
    pub noindex: bool,
    /// Create the collection as a personal investigation (when it is created).
    #[arg(long)]
    pub casefile: bool,
    /// Language of the documents (repeatable; when the collection is created).
    #[arg(short = 'l', long = "language")]
    pub languages: Vec<String>,
    /// Also upload hidden files and folders, Thumbs.db, desktop.ini and the like.
    #[arg(long)]
    pub keep_junk: bool,
    /// Leave out junk: the default, accepted for alephclient's sake.
    #[arg(short = 'd', long, hide = true)]
    pub nojunk: bool,
    /// Where to keep the crawl's manifest (default: under $XDG_STATE_HOME/aleph/manifests).
    #[arg(long)]
    pub manifest: Option<PathBuf>,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The local directory (or file) that was uploaded.
    pub path: PathBuf,
    /// The collection it was uploaded to.
    #[arg(short = 'f', long)]
    pub foreign_id: String,
    /// Local junk files were uploaded too (crawldir --keep-junk).
    #[arg(long)]
    pub keep_junk: bool,
}

pub async fn run(args: ClientArgs) -> anyhow::Result<ExitCode> {
    let api = args.connection.api()?;
    match args.command {
        ClientCommand::Crawldir(a) => crawldir(api, a).await,
        ClientCommand::Verify(a) => verify_command(api, a).await,
    }
}

/// Uploads through the API.
struct ApiSink {
    api: Api,
    collection_id: String,
    index: bool,
}

fn meta(rel: &str, parent: Option<&str>) -> Value {
    let mut meta = json!({"foreign_id": rel, "file_name": base_name(rel)});
    if let Some(p) = parent {
        meta["parent_id"] = json!(p);
    }
    meta
}

fn add_error(e: ApiError) -> AddError {
    AddError {
        parent_missing: e.message.contains("Cannot load parent document"),
        message: e.message,
    }
}

impl Sink for ApiSink {
    async fn add_folder(&self, rel: &str, parent: Option<&str>) -> Result<String, AddError> {
        self.api
            .ingest_folder(&self.collection_id, &meta(rel, parent), self.index)
            .await
            .map_err(add_error)
    }

    async fn add_file(
        &self,
        rel: &str,
        path: &Path,
        parent: Option<&str>,
    ) -> Result<AddedFile, AddError> {
        let (id, sha1, size) = self
            .api
            .ingest_file(&self.collection_id, path, &meta(rel, parent), self.index)
            .await
            .map_err(add_error)?;
        Ok(AddedFile { id, sha1, size })
    }
}

fn collection_id(collection: &Value) -> anyhow::Result<String> {
    match &collection["id"] {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => anyhow::bail!("the server's collection has no id: {collection}"),
    }
}

async fn crawldir(api: Api, args: ClientCrawlArgs) -> anyhow::Result<ExitCode> {
    let collection = api
        .ensure_collection(&args.foreign_id, args.casefile, &args.languages)
        .await
        .map_err(|e| anyhow::anyhow!("cannot find or create {}: {e}", args.foreign_id))?;
    let collection_id = collection_id(&collection)?;
    let target = api.host();
    let (manifest_path, legacy) = match &args.manifest {
        Some(p) => (p.clone(), None),
        None => (
            manifest::default_path(&args.path, &args.foreign_id, Some(&target))?,
            Some(manifest::legacy_path(&target, &args.foreign_id)?),
        ),
    };
    let loaded = Manifest::load_or_new(
        &manifest::readable(&manifest_path, legacy),
        &target,
        &args.foreign_id,
        &collection_id,
    )?;
    let mut journal = Journal::new(loaded, manifest_path);
    let sink = Arc::new(ApiSink {
        api,
        collection_id,
        index: !args.noindex,
    });
    let options = CrawlOptions {
        root: args.path.clone(),
        parallel: args.parallel,
        keep_junk: args.keep_junk,
    };
    let summary = crawl::crawl(sink, &mut journal, &options).await?;
    summary.print(journal.path());
    Ok(summary.exit_code())
}

async fn verify_command(api: Api, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let collection = api
        .collection_by_foreign_id(&args.foreign_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no collection {} on the server", args.foreign_id))?;
    let collection_id = collection_id(&collection)?;
    let root = args.path.clone();
    let keep_junk = args.keep_junk;
    let local =
        tokio::task::spawn_blocking(move || verify::local_files(&root, keep_junk)).await??;
    let docs = verify::list_documents(&api, &collection_id).await?;
    let by_path = verify::paths(&docs);
    let (mut ok, mut missing, mut different, mut pending, mut failed) = (0, 0, 0, 0, 0);
    for (rel, sha1) in &local {
        match verify::standing(by_path.get(rel), sha1) {
            Standing::Ok => ok += 1,
            Standing::Missing => {
                missing += 1;
                println!("missing: {rel}");
            }
            Standing::Different => {
                different += 1;
                println!("different: {rel} (the server has other content at this path)");
            }
            Standing::Pending => {
                pending += 1;
                println!("pending: {rel} (not processed yet)");
            }
            Standing::Failed(error) => {
                failed += 1;
                println!("failed: {rel}: {error}");
            }
        }
    }
    println!(
        "{} local files: {ok} ok, {missing} missing, {different} different, {pending} pending, {failed} failed",
        local.len()
    );
    Ok(if ok == local.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
