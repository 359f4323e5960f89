//! Crash test: 500 files (text, HTML, CSV, email, PDF, zip) queued on an `aleph serve`
//! that only indexes, extracted by an `aleph worker` process. The worker is killed with
//! SIGKILL in the middle and a new one started, then the server itself is killed and
//! restarted. Every file must end in a final state, once: one Document per path, one
//! `process` row and one `index` row per file (no `ingest` or `analyze` rows: nothing
//! queues them here), and the collection status must never have said "nothing left" while
//! work remained.
#![allow(clippy::unwrap_used)]

mod common;
mod corpus;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{BIN, Server, aleph, describe};
use corpus::build::{Member, zip_bytes};
use corpus::pdf::Pdf;

const LEASE: &str = "4";

/// 500 files of six kinds; returns the number of files the collection will hold
/// (uploaded files plus zip members).
fn write_files(root: &Path) -> usize {
    let mut documents = 0;
    for i in 0..500 {
        let dir = root.join(format!("batch-{}", i % 7));
        std::fs::create_dir_all(&dir).unwrap();
        let word = format!("file{i}");
        let (name, bytes): (String, Vec<u8>) = match i % 6 {
            0 => (
                format!("{i}.txt"),
                format!("Plain text {word}.\n").into_bytes(),
            ),
            1 => (
                format!("{i}.html"),
                format!(
                    "<html><head><title>{word}</title></head><body><p>{word}</p></body></html>"
                )
                .into_bytes(),
            ),
            2 => (
                format!("{i}.csv"),
                format!("a,b\n{word},2\nx,y\n").into_bytes(),
            ),
            3 => (
                format!("{i}.eml"),
                format!(
                    "From: a@example.org\r\nTo: b@example.org\r\nSubject: {word}\r\n\
                     Message-ID: <{word}@example.org>\r\n\r\nBody of {word}.\r\n"
                )
                .into_bytes(),
            ),
            4 => (
                format!("{i}.pdf"),
                Pdf::text(&[&[&format!("Page one of {word}")], &["Page two"]]).to_bytes(),
            ),
            _ => {
                documents += 2;
                (
                    format!("{i}.zip"),
                    zip_bytes(
                        &[
                            Member::File("a.txt", format!("first of {word}").as_bytes()),
                            Member::File("b.txt", b"second"),
                        ],
                        zip::write::SimpleFileOptions::default(),
                    ),
                )
            }
        };
        std::fs::write(dir.join(name), bytes).unwrap();
        documents += 1;
    }
    documents
}

fn start_worker(data: &Path, log: &Path) -> Child {
    Command::new(BIN)
        .args(["worker", "-c", "2", "--data-dir"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .env("ALEPH_WORKER_LEASE_SECONDS", LEASE)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

/// Counts of the collection's jobs by stage and state, from the processing report.
async fn job_counts(server: &Server, cid: &str) -> Option<BTreeMap<(String, String), u64>> {
    let response = reqwest::Client::new()
        .get(format!("{}/api/2/collections/{cid}/processing", server.url))
        .header("Authorization", format!("ApiKey {}", server.api_key))
        .send()
        .await
        .ok()?;
    let body: serde_json::Value = response.json().await.ok()?;
    let mut out = BTreeMap::new();
    for stage in body["summary"]["stages"].as_array()? {
        for (state, n) in stage["counts"].as_object()? {
            out.insert(
                (stage["stage"].as_str()?.to_string(), state.clone()),
                n.as_u64()?,
            );
        }
    }
    Some(out)
}

/// Every ledger row of one stage: (entity id, state).
async fn ledger(server: &Server, cid: &str, stage: &str) -> Vec<(String, String)> {
    let mut query: Vec<(&str, &str)> = vec![("format", "csv"), ("stage", stage)];
    for s in [
        "queued",
        "running",
        "succeeded",
        "failed",
        "dead",
        "cancelled",
    ] {
        query.push(("state", s));
    }
    let csv = reqwest::Client::new()
        .get(format!("{}/api/2/collections/{cid}/processing", server.url))
        .query(&query)
        .header("Authorization", format!("ApiKey {}", server.api_key))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // path,stage,state,error_class,error_message,attempts,processor_version,finished_at,entity_id
    csv.lines()
        .skip(1)
        .map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            (fields.last().unwrap().to_string(), fields[2].to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_and_server_lose_nothing_and_status_never_lies() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("files");
    let data = dir.path().join("data");
    let documents = write_files(&root);
    let env = [("ALEPH_WORKER_LEASE_SECONDS", LEASE)];
    let server = Server::start_with_workers(&data, None, &env, 0).await;
    let key = server.api_key.clone();

    let out = aleph(
        &[
            "client",
            "crawldir",
            root.to_str().unwrap(),
            "--foreign-id",
            "crash",
            "--host",
            &server.url,
            "--api-key",
            &key,
        ],
        &dir.path().join("state"),
    );
    assert!(out.status.success(), "{}", describe(&out));
    let cid = server.collection_id("crash").await;

    // Watch the status from now until the end: (time, pending + running).
    let seen: Arc<Mutex<Vec<(Instant, u64)>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (seen, done, url, key, cid) = (
            seen.clone(),
            done.clone(),
            server.url.clone(),
            key.clone(),
            cid.clone(),
        );
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let r = http
                    .get(format!("{url}/api/2/collections/{cid}/status"))
                    .header("Authorization", format!("ApiKey {key}"))
                    .send()
                    .await;
                // The server is down for a moment in the middle: no answer is no claim.
                if let Ok(r) = r
                    && let Ok(body) = r.json::<serde_json::Value>().await
                    && let (Some(p), Some(n)) = (body["pending"].as_u64(), body["running"].as_u64())
                {
                    seen.lock().unwrap().push((Instant::now(), p + n));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    // First worker: killed once a third of the files are processed.
    let mut worker = start_worker(&data, &dir.path().join("worker1.log"));
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let counts = job_counts(&server, &cid).await.unwrap_or_default();
        let ingested = counts
            .get(&("process".to_string(), "succeeded".to_string()))
            .copied()
            .unwrap_or(0);
        if ingested as usize >= documents / 3 {
            break;
        }
        assert!(Instant::now() < deadline, "no progress: {counts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    worker.kill().unwrap();
    worker.wait().unwrap();
    let killed_at = Instant::now();
    // Its jobs are still leased: the status shows them as running, not done.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let counts = job_counts(&server, &cid).await.unwrap();
    let unfinished: u64 = counts
        .iter()
        .filter(|((_, state), _)| state == "queued" || state == "running")
        .map(|(_, n)| n)
        .sum();
    assert!(unfinished > 0, "{counts:?}");

    // A new worker takes over, and the expired leases return to the queue by themselves.
    let mut worker = start_worker(&data, &dir.path().join("worker2.log"));
    // Then the server (the indexer) is killed in the middle of its work and restarted.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let counts = job_counts(&server, &cid).await.unwrap_or_default();
        let indexed = counts
            .get(&("index".to_string(), "succeeded".to_string()))
            .copied()
            .unwrap_or(0);
        if indexed as usize >= documents / 2 {
            break;
        }
        assert!(Instant::now() < deadline, "no progress: {counts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = server.url.clone();
    server.stop();
    let server = Server::start_with_workers(&data, Some(&key), &env, 0).await;
    assert_ne!(server.url, url);
    // The watcher asks the old address; point it at the new one by restarting it.
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    watcher.await.unwrap();
    done.store(false, std::sync::atomic::Ordering::SeqCst);
    let watcher = {
        let (seen, done, url, key, cid) = (
            seen.clone(),
            done.clone(),
            server.url.clone(),
            key.clone(),
            cid.clone(),
        );
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(r) = http
                    .get(format!("{url}/api/2/collections/{cid}/status"))
                    .header("Authorization", format!("ApiKey {key}"))
                    .send()
                    .await
                    && let Ok(body) = r.json::<serde_json::Value>().await
                    && let (Some(p), Some(n)) = (body["pending"].as_u64(), body["running"].as_u64())
                {
                    seen.lock().unwrap().push((Instant::now(), p + n));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    server.wait_idle(&cid).await;
    // `wait_idle` polls on its own: let the watcher see the end too before stopping it
    // (it polls every 50 ms and could otherwise stop just before its first idle answer).
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let seen_end = seen.lock().unwrap().iter().any(|(_, busy)| *busy == 0);
        if seen_end || Instant::now() > until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    watcher.await.unwrap();
    worker.kill().unwrap();
    worker.wait().unwrap();

    // The first "nothing pending or running" came only when everything was done.
    let seen = seen.lock().unwrap().clone();
    let first_idle = seen.iter().find(|(_, busy)| *busy == 0).map(|(t, _)| *t);
    let first_idle = first_idle.expect("the status never showed the end");
    assert!(first_idle > killed_at, "idle before the work was done");
    assert!(
        seen.iter().filter(|(t, _)| *t < first_idle).count() > 10,
        "the watcher saw too little"
    );
    for stage in ["ingest", "analyze"] {
        let rows = ledger(&server, &cid, stage).await;
        assert!(rows.is_empty(), "{stage}: {rows:?}");
    }
    for stage in ["process", "index"] {
        let rows = ledger(&server, &cid, stage).await;
        let ids: BTreeSet<&String> = rows.iter().map(|(id, _)| id).collect();
        assert_eq!(ids.len(), rows.len(), "{stage}: two rows for one file");
        assert_eq!(rows.len(), documents, "{stage}: {} rows", rows.len());
        let states: BTreeSet<&str> = rows.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(states, BTreeSet::from(["succeeded"]), "{stage}");
    }

    // One Document per path (by_path fails on two), each processed successfully.
    let all = corpus::check::entities(&server, &cid).await;
    let paths = corpus::check::by_path(&all);
    let files: Vec<&String> = paths
        .iter()
        .filter(|(_, id)| !corpus::check::first(&all[*id], "contentHash").is_empty())
        .map(|(p, _)| p)
        .collect();
    assert_eq!(files.len(), documents);
    for (path, id) in &paths {
        assert_eq!(
            corpus::check::first(&all[id], "processingStatus"),
            "success",
            "{path}"
        );
    }
    // And all of it is searchable: a word from the last file of each kind.
    for i in 494..500 {
        let hits = corpus::check::search(&server, &cid, &format!("file{i}")).await;
        assert!(!hits.is_empty(), "file{i} is not searchable");
    }
}
