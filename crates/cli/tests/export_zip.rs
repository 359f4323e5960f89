//! `aleph export zip` on a collection filled through a real `aleph serve`: the zip holds
//! the workbook with a row per entity, each document's original file byte for byte, and a
//! manifest listing every result; another collection's entities stay out.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::process::Command;

use common::{BIN, Server, deployment_env, describe};
use serde_json::json;

/// Every file in a zip, by name.
fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().unwrap().to_string(), content)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_zip_holds_workbook_rows_original_files_and_a_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let server = Server::start(&data, None, &[]).await;

    // Two documents crawled into "leak", two people loaded into it as well, and one
    // person in another collection that must not be exported.
    let files = tmp.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let memo = b"Memo: Katarina Lindqvist met the board.\n".to_vec();
    let minutes = b"Minutes of the meeting, nothing recorded.\n".to_vec();
    std::fs::write(files.join("memo.txt"), &memo).unwrap();
    std::fs::write(files.join("minutes.txt"), &minutes).unwrap();
    let leak_id = server.crawl(&files, "leak", tmp.path()).await;
    server
        .bulk(
            &leak_id,
            &json!([
                {"id": "p1", "schema": "Person", "properties": {"name": ["Katarina Lindqvist"]}},
                {"id": "p2", "schema": "Person", "properties": {"name": ["Oskar Brandt"]}},
            ]),
        )
        .await;
    let other_id = server.create_collection("other", "other").await;
    server
        .bulk(
            &other_id,
            &json!([{"id": "x1", "schema": "Person", "properties": {"name": ["Ingrid Outsider"]}}]),
        )
        .await;

    let zip_path = tmp.path().join("leak.zip");
    let run = |extra: &[&str], path: &std::path::Path| {
        let mut command = Command::new(BIN);
        command
            .args(["export", "zip", "--collection", "leak", "--data-dir"])
            .arg(&data)
            .arg("-o")
            .arg(path)
            .args(extra)
            .env("RUST_LOG", "warn");
        for (k, v) in deployment_env(&data) {
            command.env(k, v);
        }
        command.output().unwrap()
    };
    let out = run(&[], &zip_path);
    assert!(out.status.success(), "{}", describe(&out));
    let parts = unzip(&std::fs::read(&zip_path).unwrap());

    // The original files, byte for byte, under files/<entity id>/<file name>.
    let originals: BTreeMap<&str, &Vec<u8>> = parts
        .iter()
        .filter(|(name, _)| name.starts_with("files/"))
        .map(|(name, content)| (name.rsplit('/').next().unwrap(), content))
        .collect();
    assert_eq!(originals.get("memo.txt"), Some(&&memo));
    assert_eq!(originals.get("minutes.txt"), Some(&&minutes));

    // The manifest lists every entity of the collection and no other.
    let manifest = String::from_utf8(parts["manifest.csv"].clone()).unwrap();
    // entity_id,schema,caption,collection_id,file_path,content_hash (no commas in these
    // values, so the lines split plainly).
    let rows: Vec<Vec<&str>> = manifest
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let captions: Vec<&str> = rows.iter().map(|r| r[2]).collect();
    for expected in [
        "Katarina Lindqvist",
        "Oskar Brandt",
        "memo.txt",
        "minutes.txt",
    ] {
        assert!(captions.contains(&expected), "{expected} in {captions:?}");
    }
    assert!(!captions.contains(&"Ingrid Outsider"));
    let with_files: Vec<&str> = rows
        .iter()
        .map(|r| r[4])
        .filter(|p| !p.is_empty())
        .collect();
    assert_eq!(with_files.len(), 2, "{manifest}");
    for path in with_files {
        assert!(parts.contains_key(path), "{path} listed but not in the zip");
    }

    // The workbook: one sheet per schema, each person on a row.
    let workbook = unzip(&parts["export.xlsx"]);
    let text: String = workbook
        .iter()
        .filter(|(name, _)| name.starts_with("xl/"))
        .map(|(_, content)| String::from_utf8_lossy(content).into_owned())
        .collect();
    assert!(text.contains("Katarina Lindqvist") && text.contains("Oskar Brandt"));
    assert!(!text.contains("Ingrid Outsider"));
    let sheets = workbook
        .keys()
        .filter(|n| n.starts_with("xl/worksheets/sheet"))
        .count();
    assert!(
        sheets >= 2,
        "a sheet for people and one for documents: {sheets}"
    );

    // A search narrows the export.
    let narrow = tmp.path().join("narrow.zip");
    let out = run(&["--schema", "Person", "--query", "Oskar"], &narrow);
    assert!(out.status.success(), "{}", describe(&out));
    let parts = unzip(&std::fs::read(&narrow).unwrap());
    let manifest = String::from_utf8(parts["manifest.csv"].clone()).unwrap();
    assert_eq!(manifest.lines().count(), 2, "{manifest}");
    assert!(manifest.contains("Oskar Brandt"));
    assert!(!parts.keys().any(|n| n.starts_with("files/")));
    server.stop();
}
