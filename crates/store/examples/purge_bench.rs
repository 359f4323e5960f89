//! Delete a collection of N entities the background way and print what each part costs:
//! retiring it (what the API request waits for), finding its blob references, and purging
//! its rows in bounded transactions, beside deleting it in one transaction as before.
//!
//! ```sh
//! cargo run --release -p store --example purge_bench -- [N] [ROWS] [URI]
//! ```
//! N defaults to 200000, ROWS (rows per purge transaction) to 2000, URI to a SQLite file in
//! a temporary directory. Times are wall seconds and the process's CPU seconds.

use std::time::Instant;

use serde_json::json;
use store::{DeleteMode, NewCollection, PurgeStep, Store};

/// User plus system CPU seconds of this process so far (Linux `/proc/self/stat`).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

async fn fill(
    store: &dyn Store,
    foreign_id: &str,
    n: usize,
) -> Result<i64, Box<dyn std::error::Error>> {
    let collection = store
        .create_collection(NewCollection::new(foreign_id, "Purge bench"))
        .await?
        .id;
    let mut batch = Vec::with_capacity(5000);
    for i in 0..n {
        let value = json!({
            "id": format!("e{i:09}"),
            "schema": "Document",
            "properties": {
                "fileName": [format!("file {i}.pdf")],
                "contentHash": [format!("{:040x}", i)],
            },
        });
        batch.push(ftm::Entity::from_json(value, false)?);
        if batch.len() == 5000 || i + 1 == n {
            store.put_fragments(collection, "bench", &batch).await?;
            batch.clear();
        }
    }
    Ok(collection)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(200_000);
    let rows: u32 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2000);
    let tmp = tempfile::tempdir()?;
    let uri = match args.next() {
        Some(uri) => uri,
        None => tmp.path().join("aleph.db").display().to_string(),
    };
    let store = store::open(&uri).await?;
    let tag = std::process::id();

    let measure = |label: &str, wall: Instant, cpu: f64| {
        println!(
            "{label:<32} {:>8.3} s wall {:>8.3} CPU-s",
            wall.elapsed().as_secs_f64(),
            cpu_seconds() - cpu
        );
    };

    let doomed = fill(&*store, &format!("purge_bench_{tag}"), n).await?;
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let job = store.retire_collection(doomed, None).await?;
    measure("retire (the API request)", wall, cpu);

    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let blobs = store::collection_blobs(&*store, doomed, 2000).await?;
    let used = store::blobs_in_use(&*store, &blobs, doomed, 2000).await?;
    measure(&format!("blob references ({})", blobs.len()), wall, cpu);
    assert!(used.is_empty());

    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let mut batches = 0u64;
    let mut longest = 0f64;
    loop {
        let t = Instant::now();
        let step = store.purge_collection_batch(doomed, job, rows).await?;
        longest = longest.max(t.elapsed().as_secs_f64());
        match step {
            PurgeStep::Removed { .. } => batches += 1,
            PurgeStep::Finished => break,
        }
    }
    measure(&format!("purge rows ({batches} batches)"), wall, cpu);
    println!("longest purge transaction          {longest:>8.3} s");

    // The old way, for comparison: one transaction holding the whole collection.
    let again = fill(&*store, &format!("purge_bench_old_{tag}"), n).await?;
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    store.delete_collection(again, DeleteMode::Hard).await?;
    measure("one-transaction delete", wall, cpu);
    Ok(())
}
