//! `aleph migrate`: moving an embedded instance (SQLite, Tantivy, local archive) onto
//! PostgreSQL, OpenSearch and S3 (or another directory), resumably, with the counts
//! checked at the end.
//!
//! The store is copied table by table ([`tables`]); the archive blob by blob, skipping
//! blobs the target has ([`blobs`]); the index is not copied but rebuilt from the migrated
//! store, which is the source of truth, for each collection whose index count does not
//! match yet. Every part can be rerun after a crash and continues where it stopped.

mod blobs;
mod tables;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use index::ReadScope;
use server::services::reindex;
use store::{CollectionQuery, CollectionScope, Store};

use super::serve::DataArgs;

#[derive(Args)]
pub struct MigrateArgs {
    /// The PostgreSQL database to copy the store into (`postgresql://user@host/db`); it
    /// must be empty (a new database, or one an interrupted migrate left behind).
    #[arg(long)]
    pub to_database: String,
    /// The OpenSearch cluster and index alias to build (`http://host:9200/aleph`).
    #[arg(long)]
    pub to_index: String,
    /// Where to copy the archive: `s3://bucket` (endpoint and credentials from
    /// `ARCHIVE_ENDPOINT_URL`/`AWS_ENDPOINT_URL` and `AWS_*`), or a directory. Without it
    /// the blobs stay in the data directory's archive.
    #[arg(long)]
    pub to_archive: Option<String>,
    /// Rows per transaction when copying the store.
    #[arg(long, default_value_t = 1000)]
    pub batch_size: usize,
    /// Crash on purpose after this many committed batches (tests of resuming).
    #[arg(long, hide = true)]
    pub abort_after_batches: Option<u64>,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Where the archive goes.
enum ArchiveTarget {
    S3(archive::S3Config),
    Directory(PathBuf),
}

fn archive_target(uri: &str) -> anyhow::Result<ArchiveTarget> {
    if let Some(bucket) = uri.strip_prefix("s3://") {
        let bucket = bucket.trim_end_matches('/');
        anyhow::ensure!(
            !bucket.is_empty() && !bucket.contains('/'),
            "--to-archive s3://BUCKET names a bucket only, not {uri:?}"
        );
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        return Ok(ArchiveTarget::S3(archive::S3Config {
            bucket: bucket.to_string(),
            endpoint: env("ARCHIVE_ENDPOINT_URL").or_else(|| env("AWS_ENDPOINT_URL")),
            region: env("AWS_REGION"),
            access_key_id: env("AWS_ACCESS_KEY_ID"),
            secret_access_key: env("AWS_SECRET_ACCESS_KEY"),
        }));
    }
    anyhow::ensure!(
        !uri.contains("://") || uri.starts_with("file://"),
        "--to-archive takes s3://BUCKET or a directory, not {uri:?}"
    );
    Ok(ArchiveTarget::Directory(PathBuf::from(
        uri.trim_start_matches("file://"),
    )))
}

/// One line of the final check.
struct Check {
    what: String,
    source: u64,
    target: u64,
}

pub async fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.to_database.starts_with("postgres://")
            || args.to_database.starts_with("postgresql://"),
        "--to-database must be a postgresql:// URI"
    );
    anyhow::ensure!(
        args.to_index.starts_with("http://") || args.to_index.starts_with("https://"),
        "--to-index must be an http(s):// OpenSearch URI"
    );
    let archive_target = args.to_archive.as_deref().map(archive_target).transpose()?;
    let data_dir = args.data.data_dir.clone();
    let sqlite_path = data_dir.join("aleph.db");
    anyhow::ensure!(
        sqlite_path.is_file(),
        "no embedded database at {} (stop the server and point --data-dir at its directory)",
        sqlite_path.display()
    );

    // Opening migrates both databases to this build's schema, so that they match.
    let source: Arc<dyn Store> = Arc::new(
        store::SqliteStore::open(&sqlite_path)
            .await
            .with_context(|| format!("cannot open {}", sqlite_path.display()))?,
    );
    let mut settings = server::Settings::from_env(Some(data_dir.clone()))?;
    settings.database_uri = args.to_database.clone();
    settings.index_path = PathBuf::from(&args.to_index);
    // The target archive is opened here only to copy blobs into; the state's own
    // archive stays the embedded one, never written.
    settings.archive_path = data_dir.join("archive");
    settings.archive_s3 = None;
    let target = server::open(settings)
        .await
        .context("cannot open the target database and index")?;

    println!("copying the store into {}", args.to_database);
    let options = tables::CopyOptions {
        batch_rows: args.batch_size,
        abort_after_batches: args.abort_after_batches,
    };
    let (path, uri) = (sqlite_path.clone(), args.to_database.clone());
    let table_counts = tokio::task::spawn_blocking(move || {
        tables::copy_tables(&path, &uri, options, &mut |line| println!("{line}"))
    })
    .await??;

    let blob_counts = match &archive_target {
        None => None,
        Some(t) => {
            let destination: Arc<dyn archive::Archive> = match t {
                ArchiveTarget::S3(config) => {
                    println!("copying the archive into bucket {}", config.bucket);
                    Arc::new(archive::S3Archive::open(
                        config,
                        data_dir.join("migrate-spool"),
                    )?)
                }
                ArchiveTarget::Directory(dir) => {
                    println!("copying the archive into {}", dir.display());
                    Arc::new(archive::FileArchive::open(dir)?)
                }
            };
            Some(blobs::copy_blobs(&data_dir.join("archive"), destination.as_ref()).await?)
        }
    };

    println!("building the index at {}", args.to_index);
    let mut query = CollectionQuery::new(CollectionScope::All);
    query.limit = 1_000_000;
    query.include_deleted = false;
    let collections = target.store.list_collections(&query).await?.items;
    let indexed = target.index.collection_counts(&ReadScope::All).await?;
    for c in &collections {
        let stored = target.store.count_entities(c.id).await?;
        let have = indexed.get(&c.id).copied().unwrap_or(0);
        if have == stored {
            println!("  {:<24} {stored} entities already indexed", c.foreign_id);
            continue;
        }
        let done = reindex::collection(&target.store, &target.index, c.id, true)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        println!("  {:<24} {} entities indexed", c.foreign_id, done.entities);
    }
    target.index.commit().await?;

    // The checks: every table, job states, and per collection the entities in both stores
    // and in the new index.
    let mut checks: Vec<Check> = table_counts
        .iter()
        .map(|t| Check {
            what: format!("table {}", t.table),
            source: t.source,
            target: t.target,
        })
        .collect();
    let (path, uri) = (sqlite_path.clone(), args.to_database.clone());
    let states = tokio::task::spawn_blocking(move || tables::job_states(&path, &uri)).await??;
    checks.extend(states.into_iter().map(|(state, a, b)| Check {
        what: format!("jobs {state}"),
        source: a,
        target: b,
    }));
    let indexed = target.index.collection_counts(&ReadScope::All).await?;
    for c in &collections {
        let in_source = source.count_entities(c.id).await?;
        checks.push(Check {
            what: format!("{} entities in the store", c.foreign_id),
            source: in_source,
            target: target.store.count_entities(c.id).await?,
        });
        checks.push(Check {
            what: format!("{} entities in the index", c.foreign_id),
            source: in_source,
            target: indexed.get(&c.id).copied().unwrap_or(0),
        });
    }
    if let Some(b) = blob_counts {
        checks.push(Check {
            what: "archive blobs".into(),
            source: b.source,
            target: b.present,
        });
    }

    println!("\n{:<48} {:>12} {:>12}", "check", "embedded", "target");
    let mut mismatches = 0;
    for c in &checks {
        let flag = if c.source == c.target {
            ""
        } else {
            mismatches += 1;
            "  MISMATCH"
        };
        println!("{:<48} {:>12} {:>12}{flag}", c.what, c.source, c.target);
    }
    if mismatches > 0 {
        eprintln!("{mismatches} counts differ; rerun `aleph migrate` to continue");
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "\nmigrated: run `aleph serve` with ALEPH_DATABASE_URI={} ALEPH_INDEX_URI={}{} and \
         ALEPH_SECRET_KEY from {}",
        args.to_database,
        args.to_index,
        match &archive_target {
            Some(ArchiveTarget::S3(c)) => format!(" ARCHIVE_TYPE=s3 ARCHIVE_BUCKET={}", c.bucket),
            Some(ArchiveTarget::Directory(d)) => format!(" ARCHIVE_PATH={}", d.display()),
            None => format!(" ARCHIVE_PATH={}", data_dir.join("archive").display()),
        },
        data_dir.join("secret.key").display()
    );
    Ok(ExitCode::SUCCESS)
}
