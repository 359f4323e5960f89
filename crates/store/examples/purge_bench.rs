//! Delete a collection of N entities the background way and print what each part costs:
//! retiring it (what the API request waits for), deciding which blobs go, and purging
//! its rows in bounded transactions, beside deleting it in one transaction as before.
//!
//! ```sh
//! cargo run --release -p store --example purge_bench -- [N] [ROWS] [M]
//! ```
//! N defaults to 200000, ROWS (rows per purge transaction) to 2000, M (documents of
//! another collection that stays, which the old blob decision had to read) to N. The
//! store is a SQLite file in a temporary directory. Times are wall seconds and the
//! process's CPU seconds.
//!
//! The blob decision is measured both ways on the same data: releasing the collection's
//! `file_refs` (what the purge does now), and, as the baseline, what it did before: read
//! every fragment of the deleted collection and of every other collection, page by page,
//! and collect the 40-hex keys in them.

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::json;
use store::{DeleteMode, NewCollection, PurgeStep, Store};

/// A collection of `n` people: the same writes with no hash to record.
async fn fill_people(
    store: &dyn Store,
    foreign_id: &str,
    n: usize,
) -> Result<i64, Box<dyn std::error::Error>> {
    fill_with(store, foreign_id, n, |i| {
        json!({
            "id": format!("p{i:09}"),
            "schema": "Person",
            "properties": {
                "name": [format!("Person {i}")],
                "idNumber": [format!("{:040}", i)],
            },
        })
    })
    .await
}

/// Runs of exactly 40 lowercase hex digits, as the old purge read fragments.
fn hex_runs(text: &str, out: &mut BTreeSet<String>) {
    let bytes = text.as_bytes();
    let mut start = None;
    for (i, b) in bytes.iter().chain(std::iter::once(&b' ')).enumerate() {
        let hex = b.is_ascii_digit() || (b'a'..=b'f').contains(b);
        match (hex, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s == 40 {
                    out.insert(text[s..i].to_string());
                }
                start = None;
            }
            _ => {}
        }
    }
}

/// The old purge's blob decision: the collection's keys, minus every key any other
/// collection's fragments mention, both read 2,000 fragments at a time in key order.
/// Returns how many blobs it would delete.
fn old_blob_decision(path: &std::path::Path, id: i64) -> Result<usize, Box<dyn std::error::Error>> {
    let conn = rusqlite::Connection::open(path)?;
    let scan = |sql: &str| -> Result<BTreeSet<String>, Box<dyn std::error::Error>> {
        let mut stmt = conn.prepare(sql)?;
        let mut out = BTreeSet::new();
        let mut after = (i64::MIN, String::new(), String::new());
        loop {
            let mut rows = stmt.query(rusqlite::params![id, after.0, after.1, after.2])?;
            let mut seen = 0;
            while let Some(row) = rows.next()? {
                let data: String = row.get(3)?;
                hex_runs(&data, &mut out);
                after = (row.get(0)?, row.get(1)?, row.get(2)?);
                seen += 1;
            }
            if seen < 2000 {
                return Ok(out);
            }
        }
    };
    let mine = scan(
        "SELECT collection_id, entity_id, origin, data FROM fragments
         WHERE collection_id = ?1 AND collection_id >= ?2 AND (entity_id, origin) > (?3, ?4)
         ORDER BY collection_id, entity_id, origin LIMIT 2000",
    )?;
    let others = scan(
        "SELECT collection_id, entity_id, origin, data FROM fragments
         WHERE collection_id <> ?1 AND (collection_id, entity_id, origin) > (?2, ?3, ?4)
         ORDER BY collection_id, entity_id, origin LIMIT 2000",
    )?;
    Ok(mine.difference(&others).count())
}

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

/// A collection of `n` documents whose content hashes are `first..first + n`.
async fn fill(
    store: &dyn Store,
    foreign_id: &str,
    n: usize,
    first: usize,
) -> Result<i64, Box<dyn std::error::Error>> {
    fill_with(store, foreign_id, n, |i| {
        json!({
            "id": format!("e{i:09}"),
            "schema": "Document",
            "properties": {
                "fileName": [format!("file {i}.pdf")],
                "contentHash": [format!("{:040x}", first + i)],
            },
        })
    })
    .await
}

/// A new collection holding the `n` entities `entity(0..n)`, written 5,000 at a time.
async fn fill_with(
    store: &dyn Store,
    foreign_id: &str,
    n: usize,
    entity: impl Fn(usize) -> serde_json::Value,
) -> Result<i64, Box<dyn std::error::Error>> {
    let collection = store
        .create_collection(NewCollection::new(foreign_id, "Purge bench"))
        .await?
        .id;
    let mut batch = Vec::with_capacity(5000);
    for i in 0..n {
        batch.push(ftm::Entity::from_json(entity(i), false)?);
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
    let m: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(n);
    let tmp = tempfile::tempdir()?;
    let path = tmp.path().join("aleph.db");
    let store = store::open(&path.display().to_string()).await?;
    let tag = std::process::id();

    let measure = |label: &str, wall: Instant, cpu: f64| {
        println!(
            "{label:<32} {:>8.3} s wall {:>8.3} CPU-s",
            wall.elapsed().as_secs_f64(),
            cpu_seconds() - cpu
        );
    };

    let (wall, cpu) = (Instant::now(), cpu_seconds());
    fill(&*store, &format!("bystander_{tag}"), m, n).await?;
    measure(&format!("fill {m} documents (other)"), wall, cpu);
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    fill_people(&*store, &format!("people_{tag}"), n).await?;
    measure(&format!("fill {n} people (no hashes)"), wall, cpu);
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let doomed = fill(&*store, &format!("purge_bench_{tag}"), n, 0).await?;
    measure(&format!("fill {n} documents (doomed)"), wall, cpu);
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let job = store.retire_collection(doomed, None).await?;
    measure("retire (the API request)", wall, cpu);

    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let scanned = old_blob_decision(&path, doomed)?;
    measure(&format!("old blob decision ({scanned})"), wall, cpu);

    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let mut unreferenced = 0;
    loop {
        let step = store.release_collection_blobs(doomed, rows).await?;
        if step.released == 0 {
            break;
        }
        unreferenced += step.unreferenced.len();
        let marked: Vec<String> = step.unreferenced;
        store.forget_blob_deletions(&marked).await?;
    }
    measure(&format!("release blobs ({unreferenced})"), wall, cpu);
    // Every doomed blob goes: the bystanders hold other hashes and the people none (their
    // 40-digit idNumbers look like keys to the old rule, which therefore keeps some).
    assert_eq!(unreferenced, n);
    assert!(scanned <= n);

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
    let again = fill(&*store, &format!("purge_bench_old_{tag}"), n, 2 * n + m).await?;
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    store.delete_collection(again, DeleteMode::Hard).await?;
    measure("one-transaction delete", wall, cpu);
    Ok(())
}
