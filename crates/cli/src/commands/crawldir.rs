//! `aleph crawldir`: add a directory tree to a collection of the local data directory,
//! as Aleph's server-side `crawldir` does, through the same service as the upload API.
//!
//! Files are streamed into the archive and queued for processing; `aleph serve` or
//! `aleph worker` on the same data then processes them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::Args;
use server::AppState;
use server::services::upload::{self, Content, Meta, Parent};
use store::{Collection, NewCollection, StoreError};

use super::serve::DataArgs;
use crate::crawl::manifest::{self, Journal, Manifest};
use crate::crawl::walk::base_name;
use crate::crawl::{self, AddError, AddedFile, CrawlOptions, Sink};

#[derive(Args)]
pub struct CrawlDirArgs {
    /// The directory (or single file) to add.
    pub path: PathBuf,
    /// The collection to add to; created if it does not exist.
    #[arg(short = 'f', long)]
    pub foreign_id: String,
    /// Label of the collection when it is created (defaults to the foreign id).
    #[arg(long)]
    pub label: Option<String>,
    /// Files added at once.
    #[arg(short = 'p', long, default_value_t = 4)]
    pub parallel: usize,
    /// Do not index the files after processing (Aleph's `--noindex`).
    #[arg(short = 'i', long)]
    pub noindex: bool,
    /// Also add hidden files and folders, Thumbs.db, desktop.ini and the like, which are
    /// left out by default.
    #[arg(long)]
    pub keep_junk: bool,
    /// Where to keep the crawl's manifest (default: under $XDG_STATE_HOME/aleph/manifests).
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Adds straight into the store and archive.
struct LocalSink {
    state: AppState,
    collection: Collection,
    index: bool,
    /// Folders by entity id, so that each file does not look its parent up again.
    parents: Mutex<HashMap<String, Parent>>,
}

impl LocalSink {
    async fn parent(&self, id: Option<&str>) -> Result<Option<Parent>, AddError> {
        let Some(id) = id else { return Ok(None) };
        if let Some(p) = self.parents.lock().ok().and_then(|m| m.get(id).cloned()) {
            return Ok(Some(p));
        }
        // A folder added by an earlier run: known from the manifest, not yet seen here.
        let parent = upload::resolve_parent(&self.state, &self.collection, id)
            .await
            .map_err(add_error)?;
        if let Ok(mut m) = self.parents.lock() {
            m.insert(id.to_string(), parent.clone());
        }
        Ok(Some(parent))
    }
}

fn add_error(e: server::error::ApiError) -> AddError {
    AddError {
        parent_missing: e.message == "Cannot load parent document",
        message: e.message,
    }
}

impl Sink for LocalSink {
    async fn add_folder(&self, rel: &str, parent: Option<&str>) -> Result<String, AddError> {
        let parent = self.parent(parent).await?;
        let meta = Meta::for_path(rel, base_name(rel));
        let added = upload::add_under(
            &self.state,
            &self.collection,
            parent.as_ref(),
            &meta,
            Content::Folder,
            self.index,
        )
        .await
        .map_err(add_error)?;
        if let Ok(mut m) = self.parents.lock() {
            m.insert(added.entity_id.clone(), added.as_parent());
        }
        Ok(added.entity_id)
    }

    async fn add_file(
        &self,
        rel: &str,
        path: &Path,
        parent: Option<&str>,
    ) -> Result<AddedFile, AddError> {
        let parent = self.parent(parent).await?;
        let file = upload::archive_file(&self.state, path)
            .await
            .map_err(|e| AddError::new(format!("cannot store the file: {e}")))?;
        let (sha1, size) = (file.content_hash.clone(), file.size);
        let meta = Meta::for_path(rel, base_name(rel));
        let added = upload::add_under(
            &self.state,
            &self.collection,
            parent.as_ref(),
            &meta,
            Content::File(file),
            self.index,
        )
        .await
        .map_err(add_error)?;
        Ok(AddedFile {
            id: added.entity_id,
            sha1,
            size,
        })
    }
}

async fn ensure_collection(
    state: &AppState,
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

/// Drop what the manifest records but the store does not hold (a manifest kept from
/// another data directory, or from before the store was restored from an older copy), so
/// that those files are added again rather than skipped. Returns how many were dropped.
async fn forget_missing(
    state: &AppState,
    collection_id: i64,
    manifest: &mut Manifest,
) -> anyhow::Result<usize> {
    let ids = manifest.recorded_ids();
    let mut present = std::collections::HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        let found = state.store.entities(collection_id, chunk).await?;
        present.extend(
            found
                .entities
                .iter()
                .filter_map(|e| e.entity.id().map(str::to_string)),
        );
    }
    Ok(manifest.keep_only(&present))
}

pub async fn crawldir(args: CrawlDirArgs) -> anyhow::Result<ExitCode> {
    let state = args.data.open().await?;
    let collection = ensure_collection(&state, &args.foreign_id, args.label.as_deref()).await?;
    // The data directory names the target; its absolute path keeps two of them apart.
    let target = std::fs::canonicalize(&args.data.data_dir)
        .unwrap_or_else(|_| args.data.data_dir.clone())
        .display()
        .to_string();
    let (manifest_path, legacy) = match &args.manifest {
        Some(p) => (p.clone(), None),
        None => (
            manifest::default_path(&args.path, &args.foreign_id, None)?,
            Some(manifest::legacy_path(&target, &args.foreign_id)?),
        ),
    };
    let mut loaded = Manifest::load_or_new(
        &manifest::readable(&manifest_path, legacy),
        &target,
        &args.foreign_id,
        &collection.id.to_string(),
    )?;
    let forgotten = forget_missing(&state, collection.id, &mut loaded).await?;
    if forgotten > 0 {
        println!(
            "{forgotten} files and folders of the manifest are not in this data directory: \
             they are added again"
        );
    }
    let mut journal = Journal::new(loaded, manifest_path);
    let sink = Arc::new(LocalSink {
        state: state.clone(),
        collection: collection.clone(),
        index: !args.noindex,
        parents: Mutex::new(HashMap::new()),
    });
    let options = CrawlOptions {
        root: args.path.clone(),
        parallel: args.parallel,
        keep_junk: args.keep_junk,
    };
    let summary = crawl::crawl(sink, &mut journal, &options).await?;
    summary.print(journal.path());
    if summary.files_added > 0 {
        println!(
            "{} files queued for processing in {}: `aleph serve` or `aleph worker` on this data \
             directory processes them",
            summary.files_added, collection.foreign_id
        );
    }
    Ok(summary.exit_code())
}
