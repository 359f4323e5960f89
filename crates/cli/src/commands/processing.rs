//! `aleph status` and `aleph retry`: the job ledger in the terminal.

use std::process::ExitCode;

use clap::Args;
use store::{JobFilter, JobState, Stage};

use super::serve::DataArgs;

#[derive(Args)]
pub struct StatusArgs {
    /// A collection's foreign id; all collections with work if omitted.
    pub foreign_id: Option<String>,
    /// How many failed files to list.
    #[arg(long, default_value_t = 20)]
    pub failures: u32,
    #[command(flatten)]
    pub data: DataArgs,
}

pub async fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let state = args.data.open_read_only().await?;
    let collection = match &args.foreign_id {
        Some(fid) => Some(state.store.collection_by_foreign_id(fid).await?),
        None => None,
    };
    if let Some(p) = state.index_rebuild.current() {
        println!(
            "search index rebuilding: {} of {} entities; searches see only those so far",
            p.indexed.min(p.total),
            p.total
        );
    }
    let counts = state
        .store
        .job_counts(collection.as_ref().map(|c| c.id))
        .await?;
    if counts.is_empty() {
        println!("no jobs");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>6} {:<10} {:>8} {:>8} {:>10} {:>7} {:>6} {:>10}",
        "coll", "stage", "queued", "running", "succeeded", "failed", "dead", "cancelled"
    );
    for c in &counts {
        println!(
            "{:>6} {:<10} {:>8} {:>8} {:>10} {:>7} {:>6} {:>10}",
            c.collection_id,
            c.stage.as_str(),
            c.queued,
            c.running,
            c.succeeded,
            c.failed,
            c.dead,
            c.cancelled
        );
    }
    let report = server::services::status::processing_report(&counts);
    println!(
        "\n{} unfinished, {} jobs/minute over the last 10 minutes{}",
        report["unfinished"],
        report["jobs_per_minute"],
        match report["eta_seconds"].as_u64() {
            Some(s) => format!(", about {} min left", s.div_ceil(60)),
            None => String::new(),
        }
    );
    if args.failures > 0 {
        let mut filter = JobFilter {
            collection_id: collection.as_ref().map(|c| c.id),
            states: vec![JobState::Failed, JobState::Dead],
            limit: args.failures,
            ..JobFilter::default()
        };
        filter.offset = 0;
        let page = state.store.list_jobs(&filter).await?;
        if page.total > 0 {
            println!(
                "\n{} failed files (showing {}):",
                page.total,
                page.items.len()
            );
            for j in &page.items {
                println!(
                    "  [{}] {} {} ({}, {} attempts): {}",
                    j.state.as_str(),
                    j.stage.as_str(),
                    j.path.as_deref().unwrap_or("-"),
                    j.error_class.as_deref().unwrap_or("-"),
                    j.attempts,
                    j.error_message.as_deref().unwrap_or("")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct RetryArgs {
    /// The collection's foreign id.
    pub foreign_id: String,
    /// Only failures of this class (`corrupt`, `encrypted`, `tool`, `limit`…).
    #[arg(long)]
    pub error_class: Option<String>,
    /// Only this stage (`process`, `index`…). `analyze` also re-analyses files that a
    /// matching `process` job handled (with `--before-version`, an older analyzer).
    #[arg(long)]
    pub stage: Option<String>,
    /// Also re-run files that a processor version older than this handled.
    #[arg(long)]
    pub before_version: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
}

pub async fn retry(args: RetryArgs) -> anyhow::Result<ExitCode> {
    let state = args.data.open_read_only().await?;
    let collection = state
        .store
        .collection_by_foreign_id(&args.foreign_id)
        .await?;
    let mut filter = JobFilter::collection(collection.id);
    if let Some(stage) = &args.stage {
        filter.stages.push(Stage::new(stage.clone())?);
    }
    filter.error_class = args.error_class.clone();
    filter.processor_version_before = args.before_version.clone();
    let queued = server::services::pipeline::retry(&*state.store, &filter).await?;
    println!("{queued} jobs queued again in {}", collection.foreign_id);
    Ok(ExitCode::SUCCESS)
}
