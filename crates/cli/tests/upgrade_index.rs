//! `aleph upgrade` with an OpenSearch index (`ALEPH_TEST_OPENSEARCH_URL`): an index of an
//! older layout is rebuilt from the store into a new index and the alias moved to it; a
//! missing one is created; an up-to-date one is left alone.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{BIN, describe, stdout};
use serde_json::{Value, json};

fn run(args: &[&str], data: &Path, index: &str) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "warn")
        .env("ALEPH_INDEX_URI", index)
        .output()
        .unwrap()
}

async fn get(url: &str) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_rebuilds_an_old_opensearch_layout_behind_the_alias() {
    let Ok(os) = std::env::var("ALEPH_TEST_OPENSEARCH_URL") else {
        eprintln!("skipped: ALEPH_TEST_OPENSEARCH_URL is needed (scripts/test-all.sh sets it)");
        return;
    };
    let os = os.trim_end_matches('/').to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let alias = format!("upgrade{}", std::process::id());
    let index = format!("{os}/{alias}");
    let http = reqwest::Client::new();
    let _ = http.delete(format!("{os}/{alias}-*")).send().await;

    // The store has entities; the index was made by an older build.
    let entities = dir.path().join("e.jsonl");
    let lines: String = (0..12)
        .map(|i| {
            format!(
                "{}\n",
                json!({"id": format!("e{i}"), "schema": "Person",
                       "properties": {"name": [format!("Person {i}")]}})
            )
        })
        .collect();
    std::fs::write(&entities, lines).unwrap();
    let loaded = Command::new(BIN)
        .args(["load-entities", "-f", "people", entities.to_str().unwrap()])
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(loaded.status.success(), "{}", describe(&loaded));
    let old = http
        .put(format!("{os}/{alias}-1"))
        .json(&json!({
            "mappings": {"_meta": {"aleph_layout": 0}},
            "aliases": {alias.clone(): {"is_write_index": true}}
        }))
        .send()
        .await
        .unwrap();
    assert!(old.status().is_success(), "{}", old.text().await.unwrap());

    let check = run(&["upgrade", "--check"], &data, &index);
    assert_eq!(check.status.code(), Some(1), "{}", describe(&check));
    assert!(
        stdout(&check).contains("older layout"),
        "{}",
        describe(&check)
    );

    let upgraded = run(&["upgrade"], &data, &index);
    assert!(upgraded.status.success(), "{}", describe(&upgraded));
    assert!(
        stdout(&upgraded).contains("rebuilt"),
        "{}",
        describe(&upgraded)
    );
    let behind: Vec<String> = get(&format!("{os}/_alias/{alias}"))
        .await
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(behind, [format!("{alias}-2")]);
    http.post(format!("{os}/{alias}/_refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&format!("{os}/{alias}/_count")).await["count"], 12);
    // The old index is gone.
    let gone = http.get(format!("{os}/{alias}-1")).send().await.unwrap();
    assert_eq!(gone.status(), reqwest::StatusCode::NOT_FOUND);

    let again = run(&["upgrade"], &data, &index);
    assert!(again.status.success(), "{}", describe(&again));
    assert!(
        stdout(&again).contains("index layout is up to date"),
        "{}",
        describe(&again)
    );

    // A missing index is created with its alias.
    let fresh = format!("{alias}new");
    let created = run(&["upgrade"], &data, &format!("{os}/{fresh}"));
    assert!(
        stdout(&created).contains("created the index"),
        "{}",
        describe(&created)
    );
    let behind = get(&format!("{os}/_alias/{fresh}")).await;
    assert!(behind.get(format!("{fresh}-1")).is_some(), "{behind}");

    for name in [format!("{alias}-2"), format!("{fresh}-1")] {
        let _ = http.delete(format!("{os}/{name}")).send().await;
    }
}
