//! `aleph xref`: cross-reference a collection in-process (the same run the worker does:
//! checkpointed, resumable, incremental) and print or export its matches. With a
//! watchlist loaded as a collection, this screens a whole leak in one command.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use server::services::xref::{self as service, RunOptions};
use store::{XrefItem, XrefQuery};

use super::serve::DataArgs;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// How candidate pairs are found.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RouteArg {
    /// In memory, a chunk of sources at a time (`ALEPH_XREF_CHUNK`, 200,000 by default).
    Auto,
    /// The collection's entities in memory, the targets streamed through them.
    Memory,
    /// Each batch of entities asks the search index for candidates: memory does not grow
    /// with the collection.
    Index,
}

#[derive(Args)]
pub struct XrefArgs {
    /// The collection to cross-reference.
    pub foreign_id: String,
    /// Match only against these collections (repeatable); every collection by default.
    #[arg(long = "against", value_name = "FOREIGN_ID")]
    pub against: Vec<String>,
    /// Show matches scoring above this.
    #[arg(long, default_value_t = service::SCORE_CUTOFF)]
    pub threshold: f64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Start over instead of resuming an interrupted run or matching only what changed.
    #[arg(long)]
    pub full: bool,
    /// Target entities per batch (and checkpoint).
    #[arg(long, default_value_t = service::DEFAULT_BATCH)]
    pub batch: u32,
    /// Print matches only, without running.
    #[arg(long)]
    pub no_run: bool,
    /// How candidate pairs are found (a resumed run keeps its route).
    #[arg(long, value_enum, default_value_t = RouteArg::Auto)]
    pub route: RouteArg,
    #[command(flatten)]
    pub data: DataArgs,
}

pub async fn run(args: XrefArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.threshold) {
        anyhow::bail!("the threshold is a score in [0, 1]");
    }
    let settings = server::Settings::from_env(Some(args.data.data_dir.clone()))?;
    // The index is only searched here: a running server may be writing it.
    let state = server::open_with(settings, server::IndexMode::ReadOnly).await?;
    let store = state.store.clone();
    let collection = store
        .collection_by_foreign_id(&args.foreign_id)
        .await
        .with_context(|| format!("no collection {:?}", args.foreign_id))?;
    let mut against = Vec::new();
    for fid in &args.against {
        let c = store
            .collection_by_foreign_id(fid)
            .await
            .with_context(|| format!("no collection {fid:?}"))?;
        against.push(c.id);
    }
    let against_ids = (!against.is_empty()).then_some(against);
    if !args.no_run {
        let options = RunOptions {
            against: against_ids.clone(),
            full: args.full,
            batch_size: args.batch.max(1),
            index: Some(state.index.clone()),
            route: match args.route {
                RouteArg::Auto => None,
                RouteArg::Memory => Some(service::Route::Memory),
                RouteArg::Index => Some(service::Route::Index),
            },
            ..RunOptions::default()
        };
        let started = std::time::Instant::now();
        let summary = service::run(&store, collection.id, &options).await?;
        eprintln!(
            "xref {} ({} run, {} route): {} sources, {} target entities in {} batches, {} matches written, {:.1}s",
            collection.foreign_id,
            summary.mode,
            summary.route,
            summary.sources,
            summary.scanned,
            summary.batches,
            summary.written,
            started.elapsed().as_secs_f64()
        );
    }
    let mut query = XrefQuery::collection(collection.id);
    query.match_collections = against_ids;
    // Above the threshold, as the listing's `filter:gte:score` is.
    query.min_score = Some(args.threshold - 1e-9);
    query.limit = 1000;
    let mut labels = std::collections::HashMap::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Format::Csv = args.format {
        writeln!(
            out,
            "score,entity_id,entity_schema,entity_name,match_collection,match_id,match_schema,match_name,judgement"
        )?;
    }
    let mut shown = 0u64;
    loop {
        let page = store.xref_matches(&query).await?;
        let n = page.items.len();
        for item in &page.items {
            let row = describe(&store, &mut labels, item).await?;
            match args.format {
                Format::Json => writeln!(out, "{row}")?,
                Format::Csv => {
                    let cells: Vec<String> = [
                        format!("{:.4}", item.matched.score),
                        text(&row["entity"]["id"]),
                        text(&row["entity"]["schema"]),
                        text(&row["entity"]["name"]),
                        text(&row["match"]["collection"]),
                        text(&row["match"]["id"]),
                        text(&row["match"]["schema"]),
                        text(&row["match"]["name"]),
                        text(&row["judgement"]),
                    ]
                    .iter()
                    .map(|c| csv_field(c))
                    .collect();
                    writeln!(out, "{}", cells.join(","))?;
                }
                Format::Table => writeln!(
                    out,
                    "{:.3}  {:<40}  {:<40}  {}",
                    item.matched.score,
                    cut(&format!(
                        "{} [{}]",
                        text(&row["entity"]["name"]),
                        text(&row["entity"]["schema"])
                    )),
                    cut(&format!(
                        "{} [{}]",
                        text(&row["match"]["name"]),
                        text(&row["match"]["schema"])
                    )),
                    text(&row["match"]["collection"]),
                )?,
            }
            shown += 1;
        }
        if (n as u64) < query.limit {
            break;
        }
        query.offset += n as u64;
    }
    out.flush()?;
    if let Format::Table = args.format {
        eprintln!("{shown} matches above {}", args.threshold);
    }
    Ok(ExitCode::SUCCESS)
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn cut(s: &str) -> String {
    if s.chars().count() <= 40 {
        return s.to_string();
    }
    let mut out: String = s.chars().take(39).collect();
    out.push('…');
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One match with both sides' names, as JSON.
async fn describe(
    store: &std::sync::Arc<dyn store::Store>,
    labels: &mut std::collections::HashMap<i64, String>,
    item: &XrefItem,
) -> anyhow::Result<Value> {
    let m = &item.matched;
    let side = |collection_id: i64, id: &str| {
        let store = store.clone();
        let id = id.to_string();
        async move {
            let found = store.entity(collection_id, &id).await?;
            Ok::<_, anyhow::Error>(match found {
                Some(e) => json!({"id": id, "schema": e.entity.schema().name(),
                    "name": e.entity.caption()}),
                None => json!({"id": id}),
            })
        }
    };
    let entity = side(m.collection_id, &m.entity_id).await?;
    let mut matched = side(m.match_collection_id, &m.match_id).await?;
    if let std::collections::hash_map::Entry::Vacant(slot) = labels.entry(m.match_collection_id) {
        let c = store.collection(m.match_collection_id).await?;
        slot.insert(c.foreign_id);
    }
    matched["collection"] = json!(labels.get(&m.match_collection_id));
    Ok(json!({
        "score": m.score,
        "entity": entity,
        "match": matched,
        "countries": m.countries,
        "judgement": item.judgement.map_or("no_judgement", store::PairJudgement::as_str),
        "explanation": m.explanation,
    }))
}
