//! Job queue throughput: enqueue N jobs, then let C concurrent claimers claim them L at a
//! time and report each one done, as workers would; also times the status counts and a
//! retry over the resulting ledger.
//!
//! ```sh
//! cargo run --release -p store --example jobs_bench -- [N] [CLAIMERS] [LIMIT] [URI]
//! ```
//! N defaults to 100000, CLAIMERS to 4, LIMIT (jobs per claim) to 10, URI to a SQLite
//! file in a temporary directory. A PostgreSQL URI runs in a schema of its own,
//! `jobs_bench_<pid>`, dropped at the end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use store::{
    Completion, DeleteMode, JobFilter, JobOutcome, JobState, NewCollection, NewJob, PgStore, Stage,
    Store,
};

const ENQUEUE_BATCH: usize = 1000;
const LEASE: Duration = Duration::from_secs(300);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let claimers: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(4);
    let limit: u32 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10);
    let tmp = tempfile::tempdir()?;
    let uri = args
        .next()
        .unwrap_or_else(|| tmp.path().join("aleph.db").display().to_string());
    let schema = format!("jobs_bench_{}", std::process::id());
    let postgres = uri.starts_with("postgres");
    let store: Arc<dyn Store> = if postgres {
        let s = PgStore::connect(&uri, Some(&schema)).await?;
        s.migrate().await?;
        Arc::new(s)
    } else {
        store::open(&uri).await?
    };
    let collection = store
        .create_collection(NewCollection::new(
            format!("jobs_bench_{}", std::process::id()),
            "Jobs bench",
        ))
        .await?
        .id;
    println!(
        "{:?}: {n} jobs, {claimers} claimers taking {limit} at a time",
        store.backend()
    );

    let jobs: Vec<NewJob> = (0..n)
        .map(|i| {
            NewJob::new(collection, Stage::INGEST)
                .entity(format!("{i:040x}"))
                .path(format!("folder{}/file{i}.pdf", i % 100))
                .payload(json!({"content_hash": format!("{i:040x}"), "languages": ["en"]}))
        })
        .collect();
    let start = Instant::now();
    for chunk in jobs.chunks(ENQUEUE_BATCH) {
        store.enqueue(chunk).await?;
    }
    report("enqueue", n, start.elapsed());

    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..claimers {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let worker = format!("bench-{w}");
            let (mut done, mut empty_claims) = (0usize, 0usize);
            loop {
                let claimed = store.claim(&worker, &["ingest"], limit, LEASE).await?;
                if claimed.is_empty() {
                    // Another claimer may hold rows it has not taken yet; stop only when
                    // nothing is queued.
                    let queued = JobFilter {
                        states: vec![JobState::Queued],
                        limit: 0,
                        ..JobFilter::collection(collection)
                    };
                    if store.list_jobs(&queued).await?.total == 0 {
                        break;
                    }
                    empty_claims += 1;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                }
                for job in claimed {
                    let outcome = if job.id % 50 == 0 {
                        JobOutcome::Failed {
                            class: "unsupported_format".into(),
                            message: "bench failure".into(),
                            retry: false,
                            processor_version: Some("1.0".into()),
                        }
                    } else {
                        JobOutcome::Succeeded {
                            processor_version: Some("1.0".into()),
                        }
                    };
                    match store.complete(&worker, job.id, outcome).await? {
                        Completion::Recorded(_) => done += 1,
                        Completion::NotHeld => {
                            return Err(store::StoreError::Backend(format!(
                                "job {} was not held by the worker that claimed it",
                                job.id
                            )));
                        }
                    }
                }
            }
            Ok::<_, store::StoreError>((done, empty_claims))
        }));
    }
    let (mut done, mut empty) = (0, 0);
    for t in tasks {
        let (d, e) = t.await??;
        done += d;
        empty += e;
    }
    report("claim + complete", done, start.elapsed());
    if done != n {
        return Err(format!("{done} jobs completed of {n}").into());
    }
    println!("  ({empty} empty claims while others held the rest)");

    let start = Instant::now();
    let counts = store.job_counts(Some(collection)).await?;
    let status_time = start.elapsed();
    let c = counts.first().ok_or("no counts")?;
    println!(
        "{:>18}: {:.1} ms (succeeded {}, failed {}, finished recently {})",
        "job_counts",
        status_time.as_secs_f64() * 1000.0,
        c.succeeded,
        c.failed,
        c.finished_recently
    );

    let start = Instant::now();
    let failures = JobFilter {
        states: vec![JobState::Failed],
        ..JobFilter::collection(collection)
    };
    let page = store.list_jobs(&failures).await?;
    println!(
        "{:>18}: {:.1} ms (first {} of {} failures)",
        "list failures",
        start.elapsed().as_secs_f64() * 1000.0,
        page.items.len(),
        page.total
    );
    let start = Instant::now();
    let retried = store.retry_jobs(&failures).await?;
    println!(
        "{:>18}: {:.1} ms ({retried} jobs queued again)",
        "retry failures",
        start.elapsed().as_secs_f64() * 1000.0
    );

    let start = Instant::now();
    let removed = store
        .delete_collection(collection, DeleteMode::Hard)
        .await?;
    println!(
        "{:>18}: {:.1} ms ({} job rows)",
        "delete collection",
        start.elapsed().as_secs_f64() * 1000.0,
        removed.jobs
    );
    if postgres {
        drop_schema(&uri, &schema).await?;
    }
    Ok(())
}

fn report(what: &str, n: usize, took: Duration) {
    let secs = took.as_secs_f64();
    println!(
        "{what:>18}: {n} jobs in {secs:.2}s: {:.0} jobs/s",
        n as f64 / secs
    );
}

async fn drop_schema(uri: &str, schema: &str) -> Result<(), Box<dyn std::error::Error>> {
    let (client, conn) = tokio_postgres::connect(uri, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .await?;
    Ok(())
}
