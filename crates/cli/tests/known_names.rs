//! The known-entity gazetteer through a real `aleph serve`: a watchlist loaded over the API
//! links the documents of another collection that name its people, in Latin or Cyrillic
//! script, and `filter:peopleMentioned` finds those documents.
#![allow(clippy::unwrap_used)]

mod common;

use common::Server;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_naming_a_watchlist_person_link_to_them_in_either_script() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let server = Server::start(&data, None, &[]).await;

    // The watchlist: one person with a Cyrillic alias, one namesake-free company.
    let watch_id = server.create_collection("watchlist", "Watchlist").await;
    server
        .bulk(
            &watch_id,
            &json!([
                {"id": "pep-1", "schema": "Person", "properties": {
                    "name": ["Viktor Yanukovych"], "alias": ["Віктор Янукович"], "nationality": ["ua"]}},
                {"id": "co-1", "schema": "Company", "properties": {"name": ["Mezhyhirya Holdings"]}},
            ]),
        )
        .await;
    let pep = server
        .get(
            "/api/2/entities",
            &[
                ("filter:collection_id", watch_id.as_str()),
                ("filter:schema", "Person"),
            ],
        )
        .await["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The leak: three documents, two naming him in different scripts, one not at all.
    let leak = tmp.path().join("leak");
    std::fs::create_dir_all(&leak).unwrap();
    std::fs::write(
        leak.join("memo-en.txt"),
        "Memo. The payment was approved by Viktor Yanukovych himself in March 2013.\n",
    )
    .unwrap();
    std::fs::write(
        leak.join("memo-ru.txt"),
        "Записка. Платёж лично одобрил Виктор Янукович в марте 2013 года.\n",
    )
    .unwrap();
    std::fs::write(
        leak.join("other.txt"),
        "Minutes of the board meeting; no names were recorded.\n",
    )
    .unwrap();
    let leak_id = server.crawl(&leak, "leak", tmp.path()).await;

    let found = server
        .get(
            "/api/2/entities",
            &[
                ("filter:collection_id", leak_id.as_str()),
                ("filter:schemata", "Document"),
                ("filter:peopleMentioned", "Viktor Yanukovych"),
            ],
        )
        .await;
    let mut names: Vec<&str> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["properties"]["fileName"][0].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["memo-en.txt", "memo-ru.txt"], "{found}");

    // Each of the two documents has a Mention resolved to the watchlist's entity.
    let mentions = server
        .get(
            "/api/2/entities",
            &[
                ("filter:collection_id", leak_id.as_str()),
                ("filter:schema", "Mention"),
                ("limit", "50"),
            ],
        )
        .await;
    let resolved: Vec<&Value> = mentions["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            let r = &m["properties"]["resolved"][0];
            r.as_str() == Some(pep.as_str()) || r["id"].as_str() == Some(pep.as_str())
        })
        .collect();
    assert_eq!(resolved.len(), 2, "{mentions}");
    for m in resolved {
        assert_eq!(m["properties"]["detectedSchema"][0], "Person");
    }
}
