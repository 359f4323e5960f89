//! `aleph upgrade` with the embedded index: an index written in a format this build cannot
//! read (an older release's) is rebuilt from the store instead of stopping the instance, a
//! rebuild that was cut short is done again, and `--check` tells both without changing
//! anything.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{aleph_local as aleph, describe as text, ok};

fn hits(data: &Path, query: &str) -> String {
    ok(aleph(data, &["search", query, "--limit", "5"]))
}

#[test]
fn an_unreadable_embedded_index_is_rebuilt_from_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let file = tmp.path().join("people.ftm.json");
    let lines: Vec<String> = (0..50)
        .map(|i| {
            serde_json::json!({"id": format!("p{i}"), "schema": "Person",
                               "properties": {"name": [format!("Ada Upgrade{i}")]}})
            .to_string()
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    ok(aleph(
        &data,
        &["load-entities", "-f", "people", file.to_str().unwrap()],
    ));
    assert!(hits(&data, "Upgrade7").starts_with("1 results"));

    let check = aleph(&data, &["upgrade", "--check"]);
    assert!(check.status.success(), "{}", text(&check));

    // What an index of the previous on-disk format looks like to this build.
    let index = data.join("index");
    let current_layout = std::fs::read_to_string(index.join("aleph-layout")).unwrap();
    std::fs::write(index.join("aleph-layout"), "1\n").unwrap();
    let check = aleph(&data, &["upgrade", "--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    assert!(text(&check).contains("older format"), "{}", text(&check));
    // Checking changed nothing; a reader is told what to do rather than given nothing.
    assert_eq!(
        std::fs::read_to_string(index.join("aleph-layout")).unwrap(),
        "1\n"
    );
    let search = aleph(&data, &["search", "Upgrade7"]);
    assert!(!search.status.success(), "{}", text(&search));
    assert!(text(&search).contains("aleph upgrade"), "{}", text(&search));

    let out = ok(aleph(&data, &["upgrade"]));
    assert!(out.contains("index rebuilt"), "{out}");
    assert_eq!(
        std::fs::read_to_string(index.join("aleph-layout")).unwrap(),
        current_layout
    );
    assert!(!data.join("index.outdated").exists());
    assert!(hits(&data, "Upgrade7").starts_with("1 results"));
    assert!(ok(aleph(&data, &["search", "", "--limit", "0"])).starts_with("50 results"));
    assert!(ok(aleph(&data, &["upgrade"])).contains("index format is up to date"));

    // A rebuild killed half way leaves its marker: the next writer starts it over.
    std::fs::write(index.join("aleph-rebuilding"), b"").unwrap();
    let check = aleph(&data, &["upgrade", "--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    let out = ok(aleph(&data, &["upgrade"]));
    assert!(out.contains("index rebuilt"), "{out}");
    assert!(!index.join("aleph-rebuilding").exists());
    assert!(ok(aleph(&data, &["search", "", "--limit", "0"])).starts_with("50 results"));
}
