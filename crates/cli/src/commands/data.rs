//! `aleph load-entities`, `aleph search`, `aleph reindex`: working on the local data
//! directory without the HTTP server.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use index::{ReadScope, SearchQuery};
use server::services::reindex;
use store::{Collection, NewCollection, StoreError};

mod load;

use super::serve::DataArgs;

#[derive(Args)]
pub struct LoadArgs {
    /// The collection to load into; created if it does not exist.
    #[arg(short = 'f', long)]
    pub foreign_id: String,
    /// Label of the collection when it is created (defaults to the foreign id).
    #[arg(long)]
    pub label: Option<String>,
    /// FtM JSON lines; `-` is standard input.
    pub file: PathBuf,
    /// Trust the values as they are instead of cleaning them by type.
    #[arg(long)]
    pub cleaned: bool,
    /// Entities written per transaction.
    #[arg(long, default_value_t = 10_000)]
    pub batch: usize,
    /// Entities between index commits; each commit saves a checkpoint that a rerun of the
    /// same file after a crash resumes from.
    #[arg(long, default_value_t = 200_000)]
    pub commit_every: u64,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Find or make the collection a load goes into.
async fn ensure_collection(
    state: &server::AppState,
    foreign_id: &str,
    label: Option<&str>,
) -> anyhow::Result<Collection> {
    match state.store.collection_by_foreign_id(foreign_id).await {
        Ok(c) => Ok(c),
        Err(StoreError::NotFound { .. }) => {
            let new = NewCollection::new(foreign_id, label.unwrap_or(foreign_id));
            Ok(state.store.create_collection(new).await?)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn load_entities(args: LoadArgs) -> anyhow::Result<ExitCode> {
    load::run(args).await
}

#[derive(Args)]
pub struct SearchArgs {
    /// Query text in Aleph's syntax (empty matches everything).
    #[arg(default_value = "")]
    pub query: String,
    /// `field=value` filters (repeatable), e.g. `--filter schema=Person`.
    #[arg(long = "filter", value_name = "FIELD=VALUE")]
    pub filters: Vec<String>,
    /// Facets to count (repeatable).
    #[arg(long = "facet")]
    pub facets: Vec<String>,
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[command(flatten)]
    pub data: DataArgs,
}

pub async fn search(args: SearchArgs) -> anyhow::Result<ExitCode> {
    let state = args.data.open_read_only().await?;
    let mut params: Vec<(String, String)> = vec![
        ("q".into(), args.query.clone()),
        ("limit".into(), args.limit.to_string()),
        ("highlight".into(), "true".into()),
    ];
    for filter in &args.filters {
        let (field, value) = filter
            .split_once('=')
            .with_context(|| format!("a filter is FIELD=VALUE, not {filter:?}"))?;
        params.push((format!("filter:{field}"), value.to_string()));
    }
    for facet in &args.facets {
        params.push(("facet".into(), facet.clone()));
    }
    let query = SearchQuery::from_params(&params)?;
    // The local command line acts as an administrator of the data directory.
    let result = state.index.search(&ReadScope::All, &query).await?;
    if let Some(p) = state.index_rebuild.current() {
        // On stderr: the result lines keep their shape for scripts.
        eprintln!(
            "the search index is being rebuilt ({} of {} entities): results may be missing",
            p.indexed.min(p.total),
            p.total
        );
    }
    println!("{} results", result.total);
    for hit in &result.hits {
        let caption = ftm::Entity::from_json(hit.entity.clone(), true)
            .map(|e| e.caption())
            .unwrap_or_default();
        let schema = hit.entity["schema"].as_str().unwrap_or_default();
        println!(
            "{:<12} {:<44} {} [collection {}]",
            schema, hit.id, caption, hit.collection_id
        );
        for fragment in &hit.highlight {
            println!("    … {fragment} …");
        }
    }
    for (name, facet) in &result.facets {
        println!("\nfacet {name}:");
        for value in facet.values.iter().flatten() {
            println!("  {:>8}  {}", value.count, value.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct ReindexArgs {
    /// Only this collection (by foreign id); all collections if omitted.
    #[arg(long)]
    pub collection: Option<String>,
    /// Only compare the index with the store, collection by collection (counts, then the
    /// ids where the counts differ), changing nothing; exit 1 when they differ. Safe next
    /// to a running server.
    #[arg(long, conflicts_with = "reconcile")]
    pub check: bool,
    /// Compare as `--check` does and queue index jobs for every entity that differs, for
    /// the running workers to apply (what they also do by themselves every
    /// `ALEPH_RECONCILE_SECONDS`). Safe next to a running server.
    #[arg(long)]
    pub reconcile: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

pub async fn reindex_command(args: ReindexArgs) -> anyhow::Result<ExitCode> {
    if args.check || args.reconcile {
        return reconcile_command(&args).await;
    }
    let state = args.data.open().await?;
    let collections: Vec<Collection> = match &args.collection {
        Some(fid) => vec![state.store.collection_by_foreign_id(fid).await?],
        None => {
            let mut query = store::CollectionQuery::new(store::CollectionScope::All);
            query.limit = 10_000;
            state.store.list_collections(&query).await?.items
        }
    };
    if args.collection.is_none() {
        // Collections deleted from the store must not linger in the index either.
        let counts = state.index.collection_counts(&ReadScope::All).await?;
        let live: std::collections::HashSet<i64> = collections.iter().map(|c| c.id).collect();
        for stale in counts.keys().filter(|id| !live.contains(id)) {
            state.index.delete_collection(*stale).await?;
        }
    }
    for c in &collections {
        let done = reindex::collection(&state.store, &state.index, c.id, true)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        println!(
            "{}: {} entities indexed{}",
            c.foreign_id,
            done.entities,
            if done.broken > 0 {
                format!(", {} unreadable", done.broken)
            } else {
                String::new()
            }
        );
    }
    state.index.commit().await?;
    Ok(ExitCode::SUCCESS)
}

/// `aleph reindex --check` and `--reconcile`.
async fn reconcile_command(args: &ReindexArgs) -> anyhow::Result<ExitCode> {
    use server::services::reconcile;
    let state = args.data.open_read_only().await?;
    let only = match &args.collection {
        Some(fid) => Some(state.store.collection_by_foreign_id(fid).await?.id),
        None => None,
    };
    let report = reconcile::check(&state.store, &state.index, only)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    for drift in &report.drifts {
        if drift.orphaned {
            println!(
                "collection {}: {} entities in the index, none in the store (collection gone)",
                drift.collection_id, drift.indexed
            );
            continue;
        }
        println!(
            "collection {}: {} entities in the store, {} in the index: {} not indexed, \
             {} indexed but not stored",
            drift.collection_id,
            drift.stored,
            drift.indexed,
            drift.missing.len(),
            drift.extra.len()
        );
        for id in drift.missing.iter().take(5) {
            println!("    not indexed: {id}");
        }
        for id in drift.extra.iter().take(5) {
            println!("    not stored:  {id}");
        }
    }
    for collection_id in &report.busy {
        println!("collection {collection_id}: not compared, it has unfinished jobs");
    }
    println!(
        "{} collections compared, {} differ",
        report.collections,
        report.drifts.len()
    );
    if args.check {
        return Ok(if report.converged() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    // The embedded index has one writer, the server: a collection gone from the store is
    // removed by the server's own pass, not from here.
    let cluster = state
        .settings
        .index_path
        .to_str()
        .is_some_and(|s| s.starts_with("http://") || s.starts_with("https://"));
    let queued = reconcile::repair(&state.store, &state.index, &report, cluster)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    println!("{queued} index jobs queued for the workers");
    Ok(ExitCode::SUCCESS)
}
