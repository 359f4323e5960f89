//! `aleph map MAPPING --foreign-id X`: the mapping's entities loaded into a collection of
//! the data directory, as Aleph's `bulkload` does. Each query of each dataset writes under
//! its own fragment origin (`mapping:<file>:<dataset>:<query>`), so running the mapping
//! again replaces exactly what it wrote before. Rows that fail are reported and skipped.

use std::process::ExitCode;

use anyhow::Context;
use ftm::mapping::{MappingFile, QueryMapping};
use server::services::mappings::{self, MappingReport};
use store::{Collection, NewCollection, StoreError};

use super::{MapArgs, sources};

pub fn run(args: MapArgs) -> anyhow::Result<ExitCode> {
    let foreign_id = args
        .foreign_id
        .clone()
        .context("--foreign-id is required to load a mapping")?;
    let file = MappingFile::load(&args.mapping)?;
    let stem = args
        .mapping
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "mapping".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let state = args.data.open().await?;
        let collection = ensure_collection(&state, &foreign_id, args.label.as_deref()).await?;
        let tmp = state.settings.data_dir.join("tmp");
        let mut failed = false;
        for dataset in &file.datasets {
            let name = args.dataset.as_deref().unwrap_or(&dataset.name);
            for (i, config) in dataset.queries.iter().enumerate() {
                let query = QueryMapping::new(config, Some(name), Some(name))
                    .with_context(|| format!("{}", args.mapping.display()))?;
                let origin = mappings::mapping_origin(&format!("{stem}:{}:{i}", dataset.name));
                let records = sources::open(&query)?;
                let collection_ref = collection.clone();
                let tmp = tmp.clone();
                let run = tokio::task::spawn_blocking(move || {
                    mappings::map_records(&query, records, &collection_ref, None, &tmp)
                })
                .await?
                .map_err(|e| anyhow::anyhow!(e.message))?;
                let report =
                    mappings::write_run(&state.store, &state.index, &collection, &origin, run)
                        .await
                        .map_err(|e| anyhow::anyhow!(e.message))?;
                failed |= report.error_count > 0;
                print_report(&dataset.name, i, &report, &collection, args.quiet);
            }
        }
        Ok(if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    })
}

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

fn print_report(
    dataset: &str,
    query: usize,
    report: &MappingReport,
    collection: &Collection,
    quiet: bool,
) {
    if !quiet {
        for error in &report.errors {
            eprintln!("row {}: {}", error.row, error.message);
        }
        if report.error_count > report.errors.len() as u64 {
            eprintln!(
                "… and {} more rows with errors",
                report.error_count - report.errors.len() as u64
            );
        }
    }
    println!(
        "{dataset} query {query}: {} rows, {} entities loaded into {} (id {}), {} values or \
         entities dropped, {} rows with errors",
        report.rows,
        report.entities,
        collection.foreign_id,
        collection.id,
        report.warnings,
        report.error_count
    );
}
