//! The ingestion pipeline end to end on a corpus the test writes itself: a file of every
//! format the ingestors read, broken and hostile files, a 10,000-page PDF and a CSV of
//! 200 MB, sent with `aleph client crawldir` to a real `aleph serve` (sandboxed extractor
//! processes, then analysis in the same `process` job, then index). Each file must end
//! with the expected schema, status, children and derived entities, and a word from it
//! must be searchable.
#![allow(clippy::unwrap_used)]

mod common;
mod corpus;

use common::{Server, aleph, describe};

async fn crawl_and_check(
    server: &Server,
    root: &std::path::Path,
    fid: &str,
    expects: &[corpus::Expect],
) {
    let state = root.with_extension("state");
    let out = aleph(
        &[
            "client",
            "crawldir",
            root.to_str().unwrap(),
            "--foreign-id",
            fid,
            "--host",
            &server.url,
            "--api-key",
            &server.api_key,
        ],
        &state,
    );
    assert!(out.status.success(), "{}", describe(&out));
    let cid = server.collection_id(fid).await;
    server.wait_idle(&cid).await;
    let problems = corpus::check::problems(server, &cid, expects).await;
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_ends_in_its_schema_with_status_children_and_searchable_text() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpus");
    let expects = corpus::write_all(&root, &dir.path().join("scratch"));
    let server = Server::start(&dir.path().join("data"), None, &[]).await;
    crawl_and_check(&server, &root, "corpus", &expects).await;

    // The failures are listed with their reasons in the ledger's CSV export, by path.
    let cid = server.collection_id("corpus").await;
    let csv = reqwest::Client::new()
        .get(format!(
            "{}/api/2/collections/{cid}/processing?format=csv",
            server.url
        ))
        .header("Authorization", format!("ApiKey {}", server.api_key))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for x in expects.iter().filter(|x| x.status == "failure") {
        let line = csv
            .lines()
            .find(|l| l.contains(x.rel.as_str()))
            .unwrap_or_else(|| panic!("{} is not in the failure list:\n{csv}", x.rel));
        assert!(line.to_lowercase().contains(x.error.unwrap()), "{line}");
    }
    assert_eq!(
        csv.lines().count() - 1,
        expects.iter().filter(|x| x.status == "failure").count(),
        "{csv}"
    );
}

/// A 10,000-page PDF and a 200 MB CSV, with each extractor process capped at 1 GiB of
/// address space: both are read whole (every page, every row counted) in bounded memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_thousand_page_pdf_and_a_200_mb_csv_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("large");
    let expects = corpus::write_large(&root, 200);
    let server = Server::start(
        &dir.path().join("data"),
        None,
        &[("ALEPH_INGEST_MEMORY_MB", "1024")],
    )
    .await;
    crawl_and_check(&server, &root, "large", &expects).await;
    let cid = server.collection_id("large").await;
    let all = corpus::check::entities(&server, &cid).await;
    let table = all
        .values()
        .find(|e| corpus::check::first(e, "fileName") == "rows.csv")
        .unwrap();
    let lines = std::io::BufRead::lines(std::io::BufReader::new(
        std::fs::File::open(root.join("large/rows.csv")).unwrap(),
    ))
    .count();
    assert_eq!(corpus::check::first(table, "rowCount"), lines.to_string());
}
