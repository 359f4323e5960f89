//! What only the OpenSearch backend has: the alias, rebuilds and reindexing behind it,
//! layout checks, bulk writes in many requests from many callers, and a clear error when
//! the cluster cannot be reached. The query language itself is checked on both backends
//! by the other suites.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use index::{IndexError, OpenSearchIndex, OpenSearchOptions, ReadScope, SearchIndex};

fn node() -> Option<String> {
    match Backend::opensearch() {
        Some(Backend::OpenSearch(url)) => Some(url),
        _ => None,
    }
}

async fn connect(url: &str, alias: &str) -> OpenSearchIndex {
    OpenSearchIndex::connect(url, opensearch_options(alias.to_string()))
        .await
        .unwrap()
}

async fn total(index: &dyn SearchIndex) -> u64 {
    index.count(&ReadScope::All, &params(&[])).await.unwrap()
}

#[tokio::test]
async fn an_unreachable_cluster_is_an_error_naming_it() {
    let err = OpenSearchIndex::connect("http://127.0.0.1:9", OpenSearchOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, IndexError::Engine(_)), "{err}");
    assert!(err.to_string().contains("127.0.0.1:9"), "{err}");
}

#[tokio::test]
async fn reindex_moves_the_alias_and_keeps_every_entity() {
    let Some(url) = node() else { return };
    let alias = unique_alias();
    let index = connect(&url, &alias).await;
    assert_eq!(
        index.concrete_indices().await.unwrap(),
        [format!("{alias}-1")]
    );
    index.index(fixture_docs()).await.unwrap();
    index.commit().await.unwrap();

    let new = index.reindex().await.unwrap();
    assert_eq!(new, format!("{alias}-2"));
    assert_eq!(index.concrete_indices().await.unwrap(), [new]);
    assert_eq!(total(&index).await, 13);
    assert_eq!(matching(&index, "Путин").await, ["c2", "d3", "p1", "p2"]);
    // Writes go to the new index through the alias.
    index
        .index(vec![doc(
            1,
            entity("Person", "late", &[("name", "Late Comer")]),
        )])
        .await
        .unwrap();
    index.commit().await.unwrap();
    assert_eq!(matching(&index, "comer").await, ["late"]);
}

#[tokio::test]
async fn a_rebuild_is_invisible_until_finished() {
    let Some(url) = node() else { return };
    let alias = unique_alias();
    let live = connect(&url, &alias).await;
    live.index(fixture_docs()).await.unwrap();
    live.commit().await.unwrap();

    let uri = format!("{url}/{alias}");
    let rebuild = OpenSearchIndex::begin_rebuild(&uri, opensearch_options(alias.clone()))
        .await
        .unwrap();
    let companies: Vec<_> = fixture_docs()
        .into_iter()
        .filter(|d| d.entity.schema().name() == "Company")
        .collect();
    rebuild.index.index(companies).await.unwrap();
    rebuild.index.commit().await.unwrap();
    // Searches on the alias still read the old index.
    assert_eq!(total(&live).await, 13);
    assert_eq!(total(&rebuild.index).await, 3);

    let finished = rebuild.finish().await.unwrap();
    assert_eq!(total(&live).await, 3);
    assert_eq!(total(&finished).await, 3);
    assert_eq!(
        live.concrete_indices().await.unwrap(),
        [format!("{alias}-2")]
    );
}

#[tokio::test]
async fn an_index_of_another_layout_is_refused_and_can_be_rebuilt() {
    let Some(url) = node() else { return };
    let alias = unique_alias();
    let http = reqwest::Client::new();
    let made = http
        .put(format!("{url}/{alias}-1"))
        .json(&serde_json::json!({
            "mappings": {"_meta": {"aleph_layout": 0}},
            "aliases": {alias.clone(): {}},
        }))
        .send()
        .await
        .unwrap();
    assert!(made.status().is_success());
    let err = OpenSearchIndex::connect(&url, opensearch_options(alias.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, IndexError::IncompatibleLayout { .. }),
        "{err}"
    );

    let rebuild = OpenSearchIndex::begin_rebuild(&url, opensearch_options(alias.clone()))
        .await
        .unwrap();
    rebuild.index.index(fixture_docs()).await.unwrap();
    rebuild.finish().await.unwrap();
    let index = connect(&url, &alias).await;
    assert_eq!(total(&index).await, 13);
}

#[tokio::test]
async fn concurrent_bulk_writes_all_land() {
    let Some(url) = node() else { return };
    let alias = unique_alias();
    let index = connect(&url, &alias).await;
    let mut tasks = Vec::new();
    for t in 0..4 {
        let index = index.clone();
        tasks.push(tokio::spawn(async move {
            let docs = (0..60)
                .map(|i| {
                    let id = format!("t{t}-{i}");
                    doc(
                        t,
                        entity("Person", &id, &[("name", &format!("Person {t} {i}"))]),
                    )
                })
                .collect();
            index.index(docs).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    index.commit().await.unwrap();
    assert_eq!(total(&index).await, 240);
    let counts = index.collection_counts(&ReadScope::All).await.unwrap();
    assert_eq!(counts.values().sum::<u64>(), 240);
    assert_eq!(counts.len(), 4);
    let ids = index
        .stream_ids(&ReadScope::collections([2]), &params(&[]))
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(ids.len(), 60);
    assert!(ids.iter().all(|id| id.starts_with("t2-")));
}

#[tokio::test]
async fn bulk_requests_are_bounded_by_bytes() {
    let Some(url) = node() else { return };
    // Room for about two small documents per request, and one far larger than the bound,
    // which must go alone rather than fail or be split.
    let options = OpenSearchOptions {
        bulk_docs: 500,
        bulk_bytes: 4096,
        ..opensearch_options(unique_alias())
    };
    let index = OpenSearchIndex::connect(&url, options).await.unwrap();
    let big = "word ".repeat(20_000);
    let mut docs: Vec<_> = (0..30)
        .map(|i| {
            let id = format!("b{i}");
            doc(
                1,
                entity("Person", &id, &[("name", &format!("Person {i}"))]),
            )
        })
        .collect();
    docs.push(doc(
        1,
        entity("PlainText", "big", &[("bodyText", big.as_str())]),
    ));
    index.index(docs).await.unwrap();
    index.commit().await.unwrap();
    assert_eq!(total(&index).await, 31);
    index
        .delete_entities((0..30).map(|i| format!("b{i}")).collect())
        .await
        .unwrap();
    index.commit().await.unwrap();
    assert_eq!(total(&index).await, 1);
}

#[tokio::test]
async fn a_new_index_takes_the_configured_shards_and_replicas() {
    let Some(url) = node() else { return };
    let alias = unique_alias();
    let options = opensearch_options(alias.clone())
        .with_layout(Some("3"), Some("0"))
        .unwrap();
    let index = OpenSearchIndex::connect(&url, options).await.unwrap();
    index.index(fixture_docs()).await.unwrap();
    index.commit().await.unwrap();
    assert_eq!(total(&index).await, 13);
    let settings: serde_json::Value = reqwest::Client::new()
        .get(format!("{url}/{alias}/_settings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let concrete = settings.as_object().unwrap().values().next().unwrap();
    assert_eq!(concrete["settings"]["index"]["number_of_shards"], "3");
    assert_eq!(concrete["settings"]["index"]["number_of_replicas"], "0");
    assert_eq!(
        concrete["settings"]["index"]["auto_expand_replicas"],
        "false"
    );
}
