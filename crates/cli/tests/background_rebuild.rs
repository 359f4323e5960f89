//! `aleph serve` on a data directory whose embedded index an older release wrote: it
//! answers at once while the index is rebuilt from the store in the background, says so,
//! keeps the writes made meanwhile, ends with what a fresh rebuild gives, and a rebuild
//! that was stopped resumes at the next start. (Embedded configuration only: the layout
//! marker is the Tantivy directory's.)
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{Server, aleph_local, describe, ok};
use serde_json::{Value, json};

/// Slow enough that every check below runs before the rebuild of 60 entities ends
/// (20 batches, 400 ms apart: about 8 s).
const SLOW: [(&str, &str); 2] = [
    ("ALEPH_INDEX_REBUILD_BATCH", "3"),
    ("ALEPH_INDEX_REBUILD_PAUSE_MS", "400"),
];

fn outdate(data: &Path) {
    std::fs::write(data.join("index").join("aleph-layout"), "1\n").unwrap();
}

async fn readyz(server: &Server) -> Value {
    reqwest::get(format!("{}/readyz", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Every Person the search finds: id → properties.
async fn people(server: &Server) -> (Value, BTreeMap<String, Value>) {
    let page = server
        .get(
            "/api/2/entities",
            &[("filter:schemata", "Person"), ("limit", "200")],
        )
        .await;
    let all = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_string(),
                e["properties"].clone(),
            )
        })
        .collect();
    (page, all)
}

/// `aleph_index_rebuild_remaining` as the metrics endpoint at `url` says it.
async fn rebuild_remaining(url: &str) -> u64 {
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("aleph_index_rebuild_remaining "))
        .unwrap_or_else(|| panic!("no rebuild gauge in {text}"))
        .trim()
        .parse()
        .unwrap()
}

async fn wait_rebuilt(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while readyz(server).await["index"]["status"] != "ok" {
        assert!(
            Instant::now() < deadline,
            "the rebuild did not end: {}\n{}",
            readyz(server).await,
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn send(method: reqwest::Method, server: &Server, path: &str, body: Option<Value>) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", server.url))
        .header("Authorization", format!("ApiKey {}", server.api_key));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.text().await.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_while_the_index_is_rebuilt_and_keeps_writes_made_meanwhile() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&data, None, &[]).await;
    let key = server.api_key.clone();
    let collection = server.create_collection("people", "People").await;
    let entities: Vec<Value> = (0..60)
        .map(|i| {
            json!({"id": format!("p{i:02}"), "schema": "Person",
                   "properties": {"name": [format!("Ada Rebuild{i:02}")]}})
        })
        .collect();
    server.bulk(&collection, &json!(entities)).await;
    let (_, before) = people(&server).await;
    assert_eq!(before.len(), 60);
    let id_of = |name: &str| {
        before
            .iter()
            .find(|(_, p)| p["name"][0] == name)
            .map(|(id, _)| id.clone())
            .unwrap()
    };
    let (first, last) = (id_of("Ada Rebuild00"), id_of("Ada Rebuild59"));
    server.stop();

    // Background rebuild: the server answers before it ends, and says how far it is.
    outdate(&data);
    let metrics_bind = format!("127.0.0.1:{}", common::free_port());
    let metrics_url = format!("http://{metrics_bind}/metrics");
    let mut env = SLOW.to_vec();
    env.push(("ALEPH_METRICS_BIND", &metrics_bind));
    let server = Server::start(&data, Some(&key), &env).await;
    let ready = readyz(&server).await;
    assert_eq!(ready["status"], "degraded", "{ready}");
    assert_eq!(ready["index"]["status"], "rebuilding", "{ready}");
    assert_eq!(ready["index"]["total"], 60, "{ready}");
    let remaining = rebuild_remaining(&metrics_url).await;
    assert!((1..=60).contains(&remaining), "{remaining}");
    // What the rebuild has reached shows at its checkpoints (every second).
    let deadline = Instant::now() + Duration::from_secs(30);
    let (page, partial) = loop {
        let (page, partial) = people(&server).await;
        if !partial.is_empty() {
            break (page, partial);
        }
        assert!(Instant::now() < deadline, "nothing searchable: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(partial.len() < 60, "{page}");
    assert_eq!(page["total_type"], "gte", "{page}");
    assert!(page["index_rebuilding"]["percent"].as_u64().unwrap() < 100);
    let status = server.get("/api/2/status", &[]).await;
    let task = status["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r.get("index_rebuild").is_some())
        .unwrap_or_else(|| panic!("no rebuild in {status}"));
    assert_eq!(task["index_rebuild"]["total"], 60, "{status}");
    // A reader next to the server (a worker, `aleph status`) learns it from the marker.
    let cli = ok(aleph_local(&data, &["status"]));
    assert!(cli.contains("search index rebuilding:"), "{cli}");
    let search = aleph_local(&data, &["search", "Ada"]);
    assert!(search.status.success(), "{}", describe(&search));
    assert!(
        describe(&search).contains("the search index is being rebuilt"),
        "{}",
        describe(&search)
    );
    let check = aleph_local(&data, &["upgrade", "--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", describe(&check));
    assert!(
        describe(&check).contains("being rebuilt"),
        "{}",
        describe(&check)
    );

    // Writes during the rebuild: one entity it has read already, one it has not, an edit
    // and a new one.
    assert!(partial.contains_key(&first), "{page}");
    assert!(!partial.contains_key(&last), "{page}");
    for id in [&first, &last] {
        send(
            reqwest::Method::DELETE,
            &server,
            &format!("/api/2/entities/{id}"),
            None,
        )
        .await;
    }
    server
        .bulk(
            &collection,
            &json!([
                {"id": "p30", "schema": "Person", "properties": {"name": ["Ada Edited"]}},
                {"id": "new", "schema": "Person", "properties": {"name": ["Ada Newcomer"]}},
            ]),
        )
        .await;
    wait_rebuilt(&server).await;
    assert_eq!(rebuild_remaining(&metrics_url).await, 0);
    let (page, after) = people(&server).await;
    assert_eq!(page["total_type"], "eq", "{page}");
    assert!(page.get("index_rebuilding").is_none(), "{page}");
    assert_eq!(after.len(), 59, "{page}");
    assert!(!after.contains_key(&first) && !after.contains_key(&last));
    let names: Vec<&str> = after
        .values()
        .map(|p| p["name"][0].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Ada Newcomer"), "{names:?}");
    assert!(names.contains(&"Ada Edited") && !names.contains(&"Ada Rebuild30"));
    assert!(!data.join("index.outdated").exists());
    assert!(!data.join("index").join("aleph-rebuilding").exists());
    server.stop();

    // The same as a rebuild from scratch in the foreground.
    outdate(&data);
    let upgrade = aleph_local(&data, &["upgrade"]);
    assert!(
        describe(&upgrade).contains("index rebuilt"),
        "{}",
        describe(&upgrade)
    );
    let server = Server::start(&data, Some(&key), &[]).await;
    assert_eq!(readyz(&server).await["index"]["status"], "ok");
    assert_eq!(people(&server).await.1, after);
    server.stop();

    // Stopped half way (after a checkpoint), it resumes at the next start.
    outdate(&data);
    let server = Server::start(&data, Some(&key), &SLOW).await;
    let marker = data.join("index").join("aleph-rebuilding");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&marker).unwrap_or_default();
        let checkpoint: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !checkpoint["after"].is_null() {
            break;
        }
        assert!(Instant::now() < deadline, "no checkpoint: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop();
    assert!(marker.exists());
    let server = Server::start(&data, Some(&key), &[]).await;
    wait_rebuilt(&server).await;
    assert!(
        std::fs::read_to_string(server_log(&data))
            .unwrap()
            .contains("resuming"),
        "{}",
        server.log_tail()
    );
    assert_eq!(people(&server).await.1, after);
}

/// The log of the last server started on `data` (beside it, named by port).
fn server_log(data: &Path) -> std::path::PathBuf {
    let parent = data.parent().unwrap();
    std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .unwrap()
}
