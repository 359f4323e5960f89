//! Crawling a directory into a collection: the part both crawls share (`aleph crawldir`
//! into a local data directory, `aleph client crawldir` over the API).
//!
//! The tree is walked breadth-first ([`walk`]). Folders are added one at a time, because
//! everything inside needs the folder's id as its parent; files are added `parallel` at a
//! time. The [`manifest`] remembers what was added, so a rerun adds only new, changed or
//! failed files, and children of known folders get the folder's id without adding it again.
//! Where the files go is a [`Sink`].

pub mod manifest;
pub mod walk;

use std::collections::HashMap;
use std::future::Future;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use manifest::{Decision, FileRecord, Journal, Outcome};
use walk::{Entry, FileStat, Skipped, Walk, WalkOptions};

/// A file the sink added.
#[derive(Debug, Clone)]
pub struct AddedFile {
    pub id: String,
    /// Hex SHA-1 of the bytes added.
    pub sha1: String,
    pub size: u64,
}

/// Why the sink could not add something.
#[derive(Debug, Clone)]
pub struct AddError {
    pub message: String,
    /// The parent id was refused as unknown: the folder is gone from the server, so its
    /// id in the manifest is stale.
    pub parent_missing: bool,
}

impl AddError {
    pub fn new(message: impl Into<String>) -> AddError {
        AddError {
            message: message.into(),
            parent_missing: false,
        }
    }
}

/// Where a crawl adds folders and files. `rel` is the path relative to the crawl root
/// (the foreign id); `parent` the id of the folder it goes in.
pub trait Sink: Send + Sync + 'static {
    fn add_folder(
        &self,
        rel: &str,
        parent: Option<&str>,
    ) -> impl Future<Output = Result<String, AddError>> + Send;

    fn add_file(
        &self,
        rel: &str,
        path: &Path,
        parent: Option<&str>,
    ) -> impl Future<Output = Result<AddedFile, AddError>> + Send;
}

/// How to crawl.
#[derive(Debug, Clone)]
pub struct CrawlOptions {
    pub root: PathBuf,
    /// Files added at once.
    pub parallel: usize,
    pub keep_junk: bool,
}

/// What a crawl did.
#[derive(Debug, Default)]
pub struct Summary {
    pub files_added: u64,
    pub bytes_added: u64,
    pub files_unchanged: u64,
    pub folders_added: u64,
    pub folders_known: u64,
    /// `(relative path, reason)` of every file or folder that was not added.
    pub failures: Vec<(String, String)>,
    pub skipped: Skipped,
    /// Stopped by Ctrl-C before the end.
    pub interrupted: bool,
}

impl Summary {
    /// The end-of-run report.
    pub fn print(&self, manifest: &Path) {
        println!(
            "{} files added ({}), {} unchanged, {} failed; {} folders added, {} already there",
            self.files_added,
            human_bytes(self.bytes_added),
            self.files_unchanged,
            self.failures.len(),
            self.folders_added,
            self.folders_known,
        );
        let s = &self.skipped;
        if s.junk + s.symlinks + s.special > 0 {
            println!(
                "left out: {} junk (use --keep-junk to add them), {} symbolic links, {} special files",
                s.junk, s.symlinks, s.special
            );
        }
        if !self.failures.is_empty() {
            println!("not added (tried again on the next run):");
            for (rel, reason) in &self.failures {
                println!("  {rel}: {reason}");
            }
        }
        if self.interrupted {
            println!("interrupted: run the same command again to go on");
        }
        println!("manifest: {}", manifest.display());
    }

    /// 0 when everything is in, 1 when something failed, 130 when interrupted.
    pub fn exit_code(&self) -> std::process::ExitCode {
        if self.interrupted {
            std::process::ExitCode::from(130)
        } else if self.failures.is_empty() {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        }
    }
}

fn human_bytes(n: u64) -> String {
    indicatif::HumanBytes(n).to_string()
}

/// Hex SHA-1 of a file, read in blocks.
pub fn sha1_file(path: &Path) -> std::io::Result<String> {
    use sha1::{Digest, Sha1};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha1::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The state of a folder during this run.
#[derive(Debug, Clone)]
enum FolderState {
    Added(String),
    Failed(String),
}

/// What happened to one file in a worker.
enum FileResult {
    Added {
        stat: FileStat,
        parent: Option<String>,
        added: AddedFile,
    },
    /// Same content as recorded, only its modification time changed.
    Unchanged { stat: FileStat },
    Failed {
        stat: FileStat,
        parent_rel: Option<String>,
        parent: Option<String>,
        error: AddError,
    },
}

/// Count the files a walk will find, for the progress bar.
async fn count_files(root: PathBuf, options: WalkOptions) -> u64 {
    tokio::task::spawn_blocking(move || match Walk::new(&root, options) {
        Ok(walk) => walk.filter(|e| matches!(e, Entry::File { .. })).count() as u64,
        Err(_) => 0,
    })
    .await
    .unwrap_or(0)
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} files ({per_sec}, {eta} left) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Crawl `options.root` into `sink`, recording progress in `journal`.
pub async fn crawl<S: Sink>(
    sink: Arc<S>,
    journal: &mut Journal,
    options: &CrawlOptions,
) -> anyhow::Result<Summary> {
    let root = std::fs::canonicalize(&options.root)
        .map_err(|e| anyhow::anyhow!("cannot crawl {}: {e}", options.root.display()))?;
    let mut exclude = vec![
        journal.path().to_path_buf(),
        manifest::temp_path(journal.path()),
    ];
    if let Ok(real) = std::fs::canonicalize(journal.path()) {
        exclude.push(manifest::temp_path(&real));
        exclude.push(real);
    }
    let walk_options = WalkOptions {
        keep_junk: options.keep_junk,
        exclude,
    };
    let total = count_files(root.clone(), walk_options.clone()).await;
    let bar = progress_bar(total);
    let mut walk = Walk::new(&root, walk_options)?;

    // The walk runs on a thread of its own and hands entries over a short queue, so the
    // tree is never held in memory.
    let (tx, mut rx) = mpsc::channel::<Entry>(256);
    let walker = tokio::task::spawn_blocking(move || {
        for entry in walk.by_ref() {
            if tx.blocking_send(entry).is_err() {
                break;
            }
        }
        walk.skipped
    });

    let mut summary = Summary::default();
    let mut folders: HashMap<String, FolderState> = HashMap::new();
    let slots = Arc::new(Semaphore::new(options.parallel.max(1)));
    let mut tasks: JoinSet<(String, FileResult)> = JoinSet::new();
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);

    loop {
        let entry = tokio::select! {
            entry = rx.recv() => entry,
            _ = &mut interrupt => {
                summary.interrupted = true;
                None
            }
        };
        let Some(entry) = entry else { break };
        while let Some(done) = tasks.try_join_next() {
            let (rel, result) = done?;
            settle(journal, &mut summary, &bar, &rel, result)?;
        }
        match entry {
            Entry::Unreadable { rel, message } => {
                bar.suspend(|| eprintln!("cannot read {rel}: {message}"));
                summary.failures.push((rel, message));
            }
            Entry::Folder { rel, parent } => {
                let state = match parent_state(&folders, parent.as_deref()) {
                    Err(reason) => FolderState::Failed(reason),
                    Ok(parent_id) => {
                        let known = journal
                            .manifest
                            .known_folder(&rel, parent_id.as_deref())
                            .map(str::to_string);
                        if let Some(id) = known {
                            summary.folders_known += 1;
                            FolderState::Added(id)
                        } else {
                            bar.set_message(format!("folder {rel}"));
                            match sink.add_folder(&rel, parent_id.as_deref()).await {
                                Ok(id) => {
                                    summary.folders_added += 1;
                                    journal.record_folder(&rel, id.clone(), parent_id)?;
                                    FolderState::Added(id)
                                }
                                Err(e) => {
                                    if e.parent_missing
                                        && let Some(p) = &parent
                                    {
                                        journal.forget_folder(p)?;
                                    }
                                    summary.failures.push((rel.clone(), e.message.clone()));
                                    FolderState::Failed(e.message)
                                }
                            }
                        }
                    }
                };
                folders.insert(rel, state);
            }
            Entry::File {
                rel,
                parent,
                path,
                stat,
            } => {
                let parent_id = match parent_state(&folders, parent.as_deref()) {
                    Ok(id) => id,
                    Err(reason) => {
                        let error = AddError::new(reason);
                        settle(
                            journal,
                            &mut summary,
                            &bar,
                            &rel,
                            FileResult::Failed {
                                stat,
                                parent_rel: None,
                                parent: None,
                                error,
                            },
                        )?;
                        continue;
                    }
                };
                let decision = journal.manifest.decide(&rel, stat, parent_id.as_deref());
                if decision == Decision::Unchanged {
                    summary.files_unchanged += 1;
                    bar.inc(1);
                    continue;
                }
                let permit = slots.clone().acquire_owned().await?;
                let sink = sink.clone();
                tasks.spawn(async move {
                    let result =
                        add_one(&*sink, &rel, &path, stat, parent, parent_id, decision).await;
                    drop(permit);
                    (rel, result)
                });
            }
        }
    }
    if summary.interrupted {
        // Uploads in flight are not recorded: the next run adds them again.
        tasks.abort_all();
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((rel, result)) => settle(journal, &mut summary, &bar, &rel, result)?,
            Err(e) if e.is_cancelled() => {}
            Err(e) => return Err(e.into()),
        }
    }
    drop(rx);
    summary.skipped = walker.await.unwrap_or_default();
    journal.flush()?;
    bar.finish_and_clear();
    Ok(summary)
}

/// The id of the folder `parent` names, or why there is none.
fn parent_state(
    folders: &HashMap<String, FolderState>,
    parent: Option<&str>,
) -> Result<Option<String>, String> {
    let Some(parent) = parent else {
        return Ok(None);
    };
    match folders.get(parent) {
        Some(FolderState::Added(id)) => Ok(Some(id.clone())),
        Some(FolderState::Failed(reason)) => {
            Err(format!("its folder {parent} was not added ({reason})"))
        }
        // The walk hands out every folder before its contents; this is a bug if reached.
        None => Err(format!("its folder {parent} was not seen")),
    }
}

async fn add_one<S: Sink>(
    sink: &S,
    rel: &str,
    path: &Path,
    stat: FileStat,
    parent_rel: Option<String>,
    parent: Option<String>,
    decision: Decision,
) -> FileResult {
    if let Decision::CheckHash { sha1 } = &decision {
        let owned = path.to_path_buf();
        let hash = tokio::task::spawn_blocking(move || sha1_file(&owned)).await;
        if let Ok(Ok(hash)) = hash
            && &hash == sha1
        {
            return FileResult::Unchanged { stat };
        }
    }
    match sink.add_file(rel, path, parent.as_deref()).await {
        Ok(added) => FileResult::Added {
            stat,
            parent,
            added,
        },
        Err(error) => FileResult::Failed {
            stat,
            parent_rel,
            parent,
            error,
        },
    }
}

/// Record a file's result in the manifest and the summary.
fn settle(
    journal: &mut Journal,
    summary: &mut Summary,
    bar: &ProgressBar,
    rel: &str,
    result: FileResult,
) -> anyhow::Result<()> {
    bar.inc(1);
    match result {
        FileResult::Added {
            stat,
            parent,
            added,
        } => {
            summary.files_added += 1;
            summary.bytes_added += added.size;
            journal.record_file(
                rel,
                FileRecord {
                    size: stat.size,
                    mtime_ns: stat.mtime_ns,
                    sha1: Some(added.sha1),
                    parent_id: parent,
                    outcome: Outcome::Uploaded { id: added.id },
                },
            )?;
        }
        FileResult::Unchanged { stat } => {
            summary.files_unchanged += 1;
            if let Some(record) = journal.manifest.files.get(rel).cloned() {
                journal.record_file(
                    rel,
                    FileRecord {
                        mtime_ns: stat.mtime_ns,
                        ..record
                    },
                )?;
            }
        }
        FileResult::Failed {
            stat,
            parent_rel,
            parent,
            error,
        } => {
            if error.parent_missing
                && let Some(p) = &parent_rel
            {
                journal.forget_folder(p)?;
            }
            bar.suspend(|| eprintln!("failed: {rel}: {}", error.message));
            summary
                .failures
                .push((rel.to_string(), error.message.clone()));
            bar.set_message(format!("{} failed", summary.failures.len()));
            journal.record_file(
                rel,
                FileRecord {
                    size: stat.size,
                    mtime_ns: stat.mtime_ns,
                    sha1: None,
                    parent_id: parent,
                    outcome: Outcome::Failed {
                        error: error.message,
                    },
                },
            )?;
        }
    }
    Ok(())
}
