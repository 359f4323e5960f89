//! `aleph load-entities` on a local data directory: loading a file twice leaves the same
//! entities, and a load killed in the middle leaves a consistent store whose index
//! `aleph reindex` restores, after which a rerun completes the collection.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, aleph_local as aleph, ok};

/// A file of `n` people and one ownership edge per ten of them, each with a few properties.
fn write_entities(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("entities.ftm.json");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..n {
        let line = if i % 10 == 9 {
            serde_json::json!({
                "id": format!("own-{i}"),
                "schema": "Ownership",
                "properties": {"owner": [format!("p-{}", i - 1)], "asset": [format!("p-{}", i - 2)],
                               "percentage": ["51"]},
            })
        } else {
            serde_json::json!({
                "id": format!("p-{i}"),
                "schema": "Person",
                "properties": {"name": [format!("Person Number{i}")], "nationality": ["de"],
                               "birthDate": ["1970-01-02"], "email": [format!("p{i}@example.org")]},
            })
        };
        serde_json::to_writer(&mut file, &line).unwrap();
        file.write_all(b"\n").unwrap();
    }
    file.flush().unwrap();
    path
}

/// The entity count of a collection in the store, from `aleph collection list`.
fn store_count(data: &Path, foreign_id: &str) -> u64 {
    let out = ok(aleph(data, &["collection", "list"]));
    for line in out.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1) == Some(&foreign_id) {
            let at = fields.iter().position(|f| *f == "entities").unwrap();
            return fields[at - 1].parse().unwrap();
        }
    }
    0
}

/// The number of entities the index finds for an empty query.
fn index_count(data: &Path) -> u64 {
    let out = ok(aleph(data, &["search", "", "--limit", "0"]));
    out.lines()
        .next()
        .and_then(|l| l.strip_suffix(" results"))
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn loading_the_same_file_twice_leaves_the_same_entities() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let file = write_entities(tmp.path(), 2_000);
    let file = file.to_str().unwrap();

    let first = ok(aleph(&data, &["load-entities", "-f", "people", file]));
    assert!(
        first.starts_with("2000 entities loaded into people"),
        "{first}"
    );
    assert_eq!(store_count(&data, "people"), 2_000);
    assert_eq!(index_count(&data), 2_000);
    let before = ok(aleph(&data, &["search", "Number1234", "--limit", "5"]));

    ok(aleph(&data, &["load-entities", "-f", "people", file]));
    assert_eq!(store_count(&data, "people"), 2_000);
    assert_eq!(index_count(&data), 2_000);
    // The same entity, with its values once (fragments of one origin are replaced, not added).
    let after = ok(aleph(&data, &["search", "Number1234", "--limit", "5"]));
    assert_eq!(before, after);
    assert!(after.starts_with("1 results"), "{after}");
    let emails = ok(aleph(
        &data,
        &[
            "search",
            "",
            "--filter",
            "emails=p1234@example.org",
            "--limit",
            "5",
        ],
    ));
    assert!(emails.starts_with("1 results"), "{emails}");
}

#[test]
fn a_load_killed_midway_leaves_a_consistent_store_that_reindex_and_a_rerun_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let total = 60_000;
    let batch = 500u64;
    let file = write_entities(tmp.path(), total);

    // Small batches, so that several transactions land before the kill.
    let mut child = Command::new(BIN)
        .args(["load-entities", "-f", "big", "--batch", &batch.to_string()])
        .arg(&file)
        .arg("--data-dir")
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = 0;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        if child.try_wait().unwrap().is_some() {
            break;
        }
        // A read-only command on a data directory without an index creates one, taking
        // the index's writer lock for a moment; polling before the load has made its
        // index could make the load fail on that lock (the flaky "never got going (0)").
        if !data.join("index").join("meta.json").exists() {
            continue;
        }
        seen = store_count(&data, "big");
        if seen >= 5 * batch {
            break;
        }
    }
    // SIGKILL: no destructor, no commit, no clean shutdown.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen >= 5 * batch, "the load never got going ({seen})");

    let landed = store_count(&data, "big");
    assert!(
        landed < total as u64,
        "the kill came too late to test anything"
    );
    // Each batch is one transaction: a kill never leaves half of one.
    assert_eq!(landed % batch, 0, "a partial batch landed: {landed}");

    let out = ok(aleph(&data, &["reindex", "--collection", "big"]));
    assert!(
        out.contains(&format!("big: {landed} entities indexed")),
        "{out}"
    );
    assert_eq!(index_count(&data), landed);

    let out = ok(aleph(
        &data,
        &["load-entities", "-f", "big", file.to_str().unwrap()],
    ));
    assert!(
        out.starts_with(&format!("{total} entities loaded")),
        "{out}"
    );
    assert_eq!(store_count(&data, "big"), total as u64);
    assert_eq!(index_count(&data), total as u64);
}

#[test]
fn a_rerun_after_a_kill_resumes_from_the_last_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let total = 60_000usize;
    let file = write_entities(tmp.path(), total);
    // One entity with the context an OpenSanctions file carries, which must survive.
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(
        &serde_json::json!({
            "id": "os-1", "schema": "Person", "referents": ["ofac-1", "eu-2"],
            "datasets": ["us_ofac_sdn", "eu_fsf"], "properties": {"name": ["Sanctioned One"]},
        })
        .to_string(),
    );
    text.push('\n');
    std::fs::write(&file, text).unwrap();
    let checkpoint = data.join("checkpoints").join("load-1.json");

    let mut child = Command::new(BIN)
        .args(["load-entities", "-f", "resumed", "--batch", "500"])
        .args(["--commit-every", "2000"])
        .arg(&file)
        .arg("--data-dir")
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline && !checkpoint.exists() {
        std::thread::sleep(Duration::from_millis(20));
        if child.try_wait().unwrap().is_some() {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&checkpoint).expect("a checkpoint was written"))
            .unwrap();
    let done_before = saved["loaded"].as_u64().unwrap();
    assert!(done_before > 0 && done_before < total as u64, "{saved}");

    let out = aleph(
        &data,
        &["load-entities", "-f", "resumed", file.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = ok(out);
    assert!(
        stderr.contains(&format!("({done_before} entities loaded before)")),
        "{stderr}"
    );
    assert!(
        stdout.starts_with(&format!("{} entities loaded", total + 1)),
        "{stdout}"
    );
    assert!(!checkpoint.exists(), "a finished load leaves no checkpoint");
    assert_eq!(store_count(&data, "resumed"), total as u64 + 1);
    assert_eq!(index_count(&data), total as u64 + 1);

    // Referents and datasets are kept in the store, and the entity is searchable.
    let found = ok(aleph(&data, &["search", "Sanctioned", "--limit", "5"]));
    assert!(found.starts_with("1 results"), "{found}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stored = runtime.block_on(async {
        let store = store::open(data.join("aleph.db").to_str().unwrap())
            .await
            .unwrap();
        let c = store.collection_by_foreign_id("resumed").await.unwrap();
        let ids = store.origin_entity_ids(c.id, "load").await.unwrap();
        let id = ids.into_iter().find(|i| i.starts_with("os-1.")).unwrap();
        store.entity(c.id, &id).await.unwrap().unwrap()
    });
    let mut referents = stored.entity.referents.clone();
    referents.sort();
    assert_eq!(referents, ["eu-2", "ofac-1"]);
    let mut datasets = stored.entity.datasets.clone();
    datasets.sort();
    assert_eq!(datasets, ["eu_fsf", "us_ofac_sdn"]);
}
