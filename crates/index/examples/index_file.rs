//! The index's own CPU cost on an FtM JSON-lines file, without the store or the JSON
//! reader in the measurement: the entities are parsed and their ids signed first (as
//! `aleph load-entities` signs them), then indexed with the bulk writer's settings
//! (192 MB heap, merges deferred, a commit every 200,000), and the process's CPU time
//! (user + system, all threads) spent indexing is printed.
//!
//! ```text
//! cargo run --release -p index --example index_file -- FILE [--limit N] [--dir PATH]
//! ```
//!
//! A layout change to the index shows here in isolation; `aleph load-entities` measures
//! the whole load.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hash::{DefaultHasher, Hasher};
use std::io::BufRead;
use std::path::PathBuf;

use index::{IndexDoc, MergeMode, SearchIndex, TantivyIndex, TantivyOptions};

/// A stand-in for the namespace signature: a 40-hex-digit suffix that, like an HMAC,
/// shares nothing between ids.
fn sign(id: &str) -> String {
    let mut out = format!("{id}.");
    for round in 0..3u8 {
        let mut h = DefaultHasher::new();
        h.write(id.as_bytes());
        h.write_u8(round);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(id.len() + 41);
    out
}

/// User + system seconds of this process so far (all threads).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    let mut limit = usize::MAX;
    let mut dir: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--limit" => limit = args.next().unwrap().parse().unwrap(),
            "--dir" => dir = Some(PathBuf::from(args.next().unwrap())),
            _ => file = Some(PathBuf::from(a)),
        }
    }
    let file = file.expect("usage: index_file FILE [--limit N] [--dir PATH]");
    let reader = std::io::BufReader::new(std::fs::File::open(&file).unwrap());
    let mut docs = Vec::new();
    for line in reader.lines().take(limit) {
        let line = line.unwrap();
        let mut entity = ftm::Entity::from_json_slice(line.as_bytes(), false).unwrap();
        let id = sign(entity.id().unwrap());
        entity.set_id(Some(id));
        entity.rewrite_references(|r| Some(sign(r)));
        docs.push(IndexDoc::new(entity, 1));
    }
    let dir = dir.unwrap_or_else(|| std::env::temp_dir().join("index_file"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let index = TantivyIndex::open(
        &dir,
        TantivyOptions {
            writer_heap_bytes: 192 << 20,
            merges: MergeMode::Deferred,
            ..TantivyOptions::default()
        },
    )
    .unwrap();
    let n = docs.len();
    let start_cpu = cpu_seconds();
    let start = std::time::Instant::now();
    let mut since_commit = 0;
    let mut batch = Vec::with_capacity(5000);
    for doc in docs {
        batch.push(doc);
        if batch.len() == 5000 {
            since_commit += batch.len();
            index.index_new(std::mem::take(&mut batch)).await.unwrap();
            if since_commit >= 200_000 {
                index.commit().await.unwrap();
                since_commit = 0;
            }
        }
    }
    index.index_new(batch).await.unwrap();
    index.commit().await.unwrap();
    let cpu = cpu_seconds() - start_cpu;
    let wall = start.elapsed().as_secs_f64();
    let (bytes, segments) = index.disk_usage().unwrap();
    println!(
        "{n} entities: {cpu:.2} CPU-s indexing ({:.0} per CPU-s), {wall:.1} s wall, \
         {:.1} MB in {segments} segments",
        n as f64 / cpu,
        bytes as f64 / 1e6
    );
}
