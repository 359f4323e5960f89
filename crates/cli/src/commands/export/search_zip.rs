//! `aleph export zip`: a collection's search results as the zip that Aleph's search export
//! makes (`export.xlsx` with a sheet per schema, the documents' original files under
//! `files/`, `manifest.csv`), written by the same code as `POST /api/2/search/export`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use server::params::Params;
use server::services::exports;

use crate::commands::serve::DataArgs;

#[derive(Args)]
pub struct ZipArgs {
    /// The collection to export, by foreign id.
    #[arg(short = 'f', long = "collection")]
    collection: String,
    /// Search text, as in the search box (Aleph's `q`); default: every entity.
    #[arg(short, long)]
    query: Option<String>,
    /// Only entities of this schema or its descendants (repeatable).
    #[arg(short, long)]
    schema: Vec<String>,
    /// The zip file to write.
    #[arg(short, long)]
    outfile: PathBuf,
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(args: ZipArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let state = args.data.open_read_only().await?;
        let collection = state
            .store
            .collection_by_foreign_id(&args.collection)
            .await
            .with_context(|| format!("collection {:?}", args.collection))?;
        let mut params = Params(Vec::new());
        if let Some(q) = &args.query {
            params.push("q", q);
        }
        for schema in &args.schema {
            params.push("filter:schemata", schema);
        }
        let stats = exports::write_collection_zip(&state, collection.id, &params, &args.outfile)
            .await
            .map_err(anyhow::Error::msg)?;
        eprintln!(
            "{}: {} entities, {} original files ({} missing from the archive)",
            args.outfile.display(),
            stats.results,
            stats.files,
            stats.missing_files
        );
        Ok(ExitCode::SUCCESS)
    })
}
