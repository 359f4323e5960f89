//! `aleph xref` on a local data directory: screening a collection against a watchlist
//! prints the matches in every format, a second run is incremental, and `--threshold`
//! and `--against` narrow what is shown. With `ALEPH_TEST_CONFIG=distributed` the data
//! directory stands for a PostgreSQL database, an OpenSearch index and an S3 bucket.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::BIN;

fn aleph(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "warn")
        .envs(common::deployment_env(data))
        .output()
        .unwrap()
}

fn ok(output: Output) -> (String, String) {
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {out}\nstderr: {err}",
        output.status
    );
    (out, err)
}

fn load(data: &Path, foreign_id: &str, entities: &[serde_json::Value]) {
    let path = data.with_extension(format!("{foreign_id}.json"));
    let mut file = std::fs::File::create(&path).unwrap();
    for e in entities {
        writeln!(file, "{e}").unwrap();
    }
    drop(file);
    ok(aleph(
        data,
        &["load-entities", "-f", foreign_id, path.to_str().unwrap()],
    ));
}

/// A fresh, empty data directory (removed with the guard).
fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    (dir, data)
}

/// The leak's person that both tests expect on the watchlist.
fn putin_in_the_leak() -> serde_json::Value {
    serde_json::json!({"id": "l1", "schema": "Person", "properties": {
        "name": ["Vladimir Putin"], "birthDate": ["1952-10-07"]}})
}

fn putin_on_the_watchlist() -> serde_json::Value {
    serde_json::json!({"id": "w1", "schema": "Person", "properties": {
        "name": ["PUTIN, Vladimir Vladimirovich"], "birthDate": ["1952-10-07"]}})
}

#[test]
fn screens_a_collection_against_a_watchlist() {
    let (_dir, data) = data_dir();
    load(
        &data,
        "leak",
        &[
            putin_in_the_leak(),
            serde_json::json!({"id": "l2", "schema": "Company", "properties": {
                "name": ["Acme Trading Ltd"], "jurisdiction": ["gb"]}}),
            serde_json::json!({"id": "l3", "schema": "Person", "properties": {
                "name": ["Nobody In Particular"]}}),
        ],
    );
    load(
        &data,
        "watchlist",
        &[
            putin_on_the_watchlist(),
            serde_json::json!({"id": "w2", "schema": "Company", "properties": {
                "name": ["ACME TRADING LIMITED"], "jurisdiction": ["gb"]}}),
        ],
    );
    load(
        &data,
        "other",
        &[
            serde_json::json!({"id": "o1", "schema": "Person", "properties": {
            "name": ["Vladimir Putin"]}}),
        ],
    );

    // JSON lines: one match per line with both sides and the explanation.
    let (out, err) = ok(aleph(
        &data,
        &["xref", "leak", "--against", "watchlist", "--format", "json"],
    ));
    assert!(err.contains("full run"), "{err}");
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pairs: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["entity"]["name"].as_str().unwrap().to_string(),
                r["match"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(pairs.contains(&(
        "Vladimir Putin".to_string(),
        "PUTIN, Vladimir Vladimirovich".to_string()
    )));
    assert!(pairs.contains(&(
        "Acme Trading Ltd".to_string(),
        "ACME TRADING LIMITED".to_string()
    )));
    assert!(rows.iter().all(|r| r["match"]["collection"] == "watchlist"));
    assert!(rows[0]["score"].as_f64().unwrap() >= rows[1]["score"].as_f64().unwrap());
    assert!(rows[0]["explanation"]["features"].is_array());

    // Run again: nothing changed, so the incremental run scans nothing new; CSV output.
    let (out, err) = ok(aleph(
        &data,
        &["xref", "leak", "--against", "watchlist", "--format", "csv"],
    ));
    assert!(err.contains("incremental run"), "{err}");
    let mut lines = out.lines();
    assert!(lines.next().unwrap().starts_with("score,entity_id,"));
    assert_eq!(lines.count(), 2, "{out}");

    // A threshold above every score shows nothing; the table format prints a count.
    let (out, err) = ok(aleph(
        &data,
        &["xref", "leak", "--no-run", "--threshold", "0.9999999"],
    ));
    assert!(out.trim().is_empty(), "{out}");
    assert!(err.contains("0 matches"), "{err}");

    // Against every collection: the other collection's namesake appears too.
    let (out, _) = ok(aleph(&data, &["xref", "leak", "--format", "table"]));
    assert!(out.contains("other"), "{out}");
    assert!(out.contains("watchlist"), "{out}");

    // Unknown collections are an error, not an empty result.
    let failed = aleph(&data, &["xref", "nope"]);
    assert!(!failed.status.success());
}

#[test]
fn the_index_route_prints_the_same_matches_as_the_memory_route() {
    let (_dir, data) = data_dir();
    load(
        &data,
        "leak",
        &[
            putin_in_the_leak(),
            serde_json::json!({"id": "l2", "schema": "Company", "properties": {
                "name": ["Acme Trading Ltd"], "registrationNumber": ["HE-12345"]}}),
            serde_json::json!({"id": "l3", "schema": "Person", "properties": {
                "name": ["Jane Roe"]}}),
        ],
    );
    load(
        &data,
        "watchlist",
        &[
            putin_on_the_watchlist(),
            serde_json::json!({"id": "w2", "schema": "Company", "properties": {
                "name": ["Zenith Holdings"], "registrationNumber": ["HE-12345"]}}),
            serde_json::json!({"id": "w3", "schema": "Person", "properties": {
                "name": ["Roe, Jane"]}}),
        ],
    );
    let run = |route: &str| {
        let (out, err) = ok(aleph(
            &data,
            &[
                "xref",
                "leak",
                "--against",
                "watchlist",
                "--full",
                "--route",
                route,
                "--threshold",
                "0.3",
                "--format",
                "csv",
            ],
        ));
        assert!(err.contains(&format!("{route} route")), "{err}");
        out
    };
    let memory = run("memory");
    let index = run("index");
    // Putin and Roe at least; the shared registration number may add the company.
    assert!(memory.lines().count() >= 3, "{memory}");
    assert_eq!(index, memory);
}
