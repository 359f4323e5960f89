use std::sync::Arc;

use futures_util::TryStreamExt;
use serde_json::json;
use store::{Access, EntityFilter, EntityKey, StoreError, stream_entities};

use super::{collection, entity, person};
use crate::common::Harness;

pub async fn fragments_merge_across_origins<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "merge").await;
    let legal = entity(json!({
        "id": "x1", "schema": "LegalEntity",
        "properties": {"email": ["info@example.org"], "name": ["Ex One"]}
    }));
    store.put_fragments(c, "bulk", &[legal]).await.unwrap();
    let first = store.entity(c, "x1").await.unwrap().unwrap();
    assert_eq!(first.entity.schema().name(), "LegalEntity");
    assert_eq!(first.origins, ["bulk"]);

    let person = entity(json!({
        "id": "x1", "schema": "Person",
        "properties": {"name": ["Ex One", "Ex Uno"], "birthDate": ["1970-01-01"]}
    }));
    store.put_fragments(c, "ingest", &[person]).await.unwrap();
    let merged = store.entity(c, "x1").await.unwrap().unwrap();
    assert_eq!(merged.collection_id, c);
    assert_eq!(merged.entity.id(), Some("x1"));
    assert_eq!(merged.entity.schema().name(), "Person");
    assert_eq!(merged.entity.get("name"), ["Ex One", "Ex Uno"]);
    assert_eq!(merged.entity.get("email"), ["info@example.org"]);
    assert_eq!(merged.entity.get("birthDate"), ["1970-01-01"]);
    assert_eq!(merged.origins, ["bulk", "ingest"]);
    assert!(merged.skipped.is_empty());
    assert_eq!(merged.created_at, first.created_at);
    assert!(merged.updated_at >= first.updated_at);

    // A fragment whose schema cannot merge is reported, not fatal.
    let company = entity(json!({
        "id": "x1", "schema": "Company", "properties": {"name": ["Ex Corp"]}
    }));
    store.put_fragments(c, "mapping", &[company]).await.unwrap();
    let merged = store.entity(c, "x1").await.unwrap().unwrap();
    assert_eq!(merged.entity.schema().name(), "Person");
    assert_eq!(merged.origins, ["bulk", "ingest"]);
    assert_eq!(merged.skipped.len(), 1);
    assert_eq!(merged.skipped[0].origin, "mapping");
    assert_eq!(merged.skipped[0].schema, "Company");

    // Writing the same key again replaces that fragment only.
    let legal2 = entity(json!({
        "id": "x1", "schema": "LegalEntity", "properties": {"email": ["new@example.org"]}
    }));
    store.put_fragments(c, "bulk", &[legal2]).await.unwrap();
    let merged = store.entity(c, "x1").await.unwrap().unwrap();
    assert_eq!(merged.entity.get("email"), ["new@example.org"]);
    assert_eq!(merged.entity.get("name"), ["Ex One", "Ex Uno"]);
    assert_eq!(merged.created_at, first.created_at);

    // Context keys survive the round trip.
    let with_context = entity(json!({
        "id": "ctx", "schema": "Thing", "properties": {"name": ["Ctx"]},
        "datasets": ["ds1"], "custom_key": {"a": 1}
    }));
    store
        .put_fragments(c, "bulk", std::slice::from_ref(&with_context))
        .await
        .unwrap();
    let back = store.entity(c, "ctx").await.unwrap().unwrap();
    assert_eq!(back.entity.to_json(), with_context.to_json());

    let batch = store
        .entities(c, &["x1".into(), "nope".into(), "ctx".into()])
        .await
        .unwrap();
    let ids: Vec<&str> = batch
        .entities
        .iter()
        .map(|e| e.entity.id().unwrap())
        .collect();
    assert_eq!(ids, ["ctx", "x1"]);
    assert!(batch.broken.is_empty());
    assert_eq!(store.entity(c, "nope").await.unwrap(), None);
    assert_eq!(store.count_entities(c).await.unwrap(), 2);
}

pub async fn batches_are_all_or_nothing<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "atomic").await;
    store
        .put_fragments(c, "bulk", &[person("a", "Original A"), person("b", "B")])
        .await
        .unwrap();

    let no_id = entity(json!({"schema": "Person", "properties": {"name": ["No Id"]}}));
    let batch = vec![person("a", "Changed A"), no_id, person("c", "C")];
    let err = store.put_fragments(c, "bulk", &batch).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let too_long = person(&"x".repeat(store::MAX_ENTITY_ID_LEN + 1), "Long");
    let err = store
        .put_fragments(c, "bulk", &[person("c", "C"), too_long])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert!(matches!(
        store.put_fragments(c, "", &[person("c", "C")]).await,
        Err(StoreError::Invalid(_))
    ));

    assert_eq!(store.count_entities(c).await.unwrap(), 2);
    let a = store.entity(c, "a").await.unwrap().unwrap();
    assert_eq!(a.entity.get("name"), ["Original A"]);
    assert_eq!(store.entity(c, "c").await.unwrap(), None);

    assert!(matches!(
        store
            .put_fragments(c + 1000, "bulk", &[person("c", "C")])
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // Duplicates within one batch: the last one wins.
    let n = store
        .put_fragments(c, "bulk", &[person("d", "D1"), person("d", "D2")])
        .await
        .unwrap();
    assert_eq!(n, 1);
    let d = store.entity(c, "d").await.unwrap().unwrap();
    assert_eq!(d.entity.get("name"), ["D2"]);
    assert_eq!(store.put_fragments(c, "bulk", &[]).await.unwrap(), 0);
}

pub async fn deleting_entities_and_origins<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "deletes").await;
    let other = collection(&*store, "other").await;
    store
        .put_fragments(c, "a", &[person("p1", "A1"), person("p2", "A2")])
        .await
        .unwrap();
    store
        .put_fragments(c, "b", &[person("p1", "B1"), person("p3", "B3")])
        .await
        .unwrap();
    store
        .put_fragments(other, "a", &[person("p1", "Other")])
        .await
        .unwrap();
    assert_eq!(store.count_entities(c).await.unwrap(), 3);

    assert_eq!(store.delete_origin(c, "a").await.unwrap(), 2);
    assert_eq!(store.count_entities(c).await.unwrap(), 2);
    let p1 = store.entity(c, "p1").await.unwrap().unwrap();
    assert_eq!(p1.origins, ["b"]);
    assert_eq!(store.entity(c, "p2").await.unwrap(), None);

    assert_eq!(store.delete_entity(c, "p1").await.unwrap(), 1);
    assert_eq!(store.delete_entity(c, "p1").await.unwrap(), 0);
    assert_eq!(store.count_entities(c).await.unwrap(), 1);
    // The same id in another collection is a different entity.
    assert!(store.entity(other, "p1").await.unwrap().is_some());
    assert!(store.collection(c).await.unwrap().data_updated_at.is_some());
    assert!(matches!(
        store.delete_entity(c + 1000, "p1").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_origin(c + 1000, "a").await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn streams_are_ordered_and_complete<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c1 = collection(&*store, "big").await;
    let c2 = collection(&*store, "small").await;
    // Ids written out of order, some with two origins, more than several pages' worth.
    let mut ids: Vec<String> = (0..300)
        .map(|i| format!("e{:04}", (i * 37) % 300))
        .collect();
    let batch: Vec<_> = ids.iter().map(|id| person(id, id)).collect();
    store.put_fragments(c1, "one", &batch).await.unwrap();
    let twice: Vec<_> = ids
        .iter()
        .filter(|id| id.ends_with('7'))
        .map(|id| person(id, &format!("{id} again")))
        .collect();
    store.put_fragments(c1, "two", &twice).await.unwrap();
    let small: Vec<_> = (0..25).map(|i| person(&format!("s{i:02}"), "S")).collect();
    store.put_fragments(c2, "one", &small).await.unwrap();
    ids.sort();

    for page_size in [1, 7, 64, 1000] {
        let got: Vec<_> = stream_entities(store.clone(), EntityFilter::collection(c1), page_size)
            .try_collect()
            .await
            .unwrap();
        let got_ids: Vec<&str> = got.iter().map(|e| e.entity.id().unwrap()).collect();
        assert_eq!(got_ids, ids, "page size {page_size}");
        for e in &got {
            let id = e.entity.id().unwrap();
            let expected = if id.ends_with('7') { 2 } else { 1 };
            assert_eq!(e.origins.len(), expected, "{id} at page size {page_size}");
            assert_eq!(e.entity.get("name").len(), expected);
        }
    }

    let all: Vec<_> = stream_entities(store.clone(), EntityFilter::all(), 50)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 325);
    let keys: Vec<EntityKey> = all.iter().map(|e| e.key()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted);
    assert_eq!(keys[0].collection_id, c1.min(c2));

    // Paging by hand gives the same pages and ends with no cursor.
    let first = store
        .entity_page(EntityFilter::collection(c2), None, 20)
        .await
        .unwrap();
    assert_eq!(first.batch.entities.len(), 20);
    let next = first.next.clone().unwrap();
    assert_eq!(next.entity_id, "s19");
    let rest = store
        .entity_page(EntityFilter::collection(c2), Some(&next), 20)
        .await
        .unwrap();
    assert_eq!(rest.batch.entities.len(), 5);
    assert_eq!(rest.next, None);

    // Ids compare bytewise on every backend, as Rust strings do.
    let odd = collection(&*store, "odd").await;
    let mut odd_ids = vec!["b", "B", "ä", "a", "Z", "é1", "_x", "10", "9", "a b", "a-b"];
    let batch: Vec<_> = odd_ids.iter().map(|id| person(id, "Odd")).collect();
    store.put_fragments(odd, "one", &batch).await.unwrap();
    odd_ids.sort();
    let got: Vec<_> = stream_entities(store.clone(), EntityFilter::collection(odd), 2)
        .try_collect()
        .await
        .unwrap();
    let got_ids: Vec<&str> = got.iter().map(|e| e.entity.id().unwrap()).collect();
    assert_eq!(got_ids, odd_ids);

    let empty = collection(&*store, "empty").await;
    let none: Vec<_> = stream_entities(store.clone(), EntityFilter::collection(empty), 10)
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
}

pub async fn updated_since_selects_recent_entities<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "catchup").await;
    let other = collection(&*store, "catchup2").await;
    store
        .put_fragments(c, "a", &[person("old1", "O"), person("old2", "O")])
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mark = store::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store
        .put_fragments(c, "a", &[person("new1", "N")])
        .await
        .unwrap();
    // A new fragment of an old entity makes the whole entity due again.
    store
        .put_fragments(c, "b", &[person("old2", "O again")])
        .await
        .unwrap();
    store
        .put_fragments(other, "a", &[person("new2", "N")])
        .await
        .unwrap();

    let since = |filter: EntityFilter| filter.updated_since(mark);
    let got: Vec<_> = stream_entities(store.clone(), since(EntityFilter::collection(c)), 1)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = got.iter().map(|e| e.entity.id().unwrap()).collect();
    assert_eq!(ids, ["new1", "old2"]);
    assert_eq!(got[1].origins, ["a", "b"]);
    let everywhere: Vec<_> = stream_entities(store.clone(), since(EntityFilter::all()), 2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(everywhere.len(), 3);
}

pub async fn concurrent_writers_and_readers<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let viewer = super::user(&*store, "viewer").await;
    let mut collections = Vec::new();
    for i in 0..2 {
        collections.push(collection(&*store, &format!("par{i}")).await);
    }
    let mut tasks = Vec::new();
    // Two writers per collection, writing the same entity ids under their own origins,
    // while reads, permission changes and deletions go on.
    for n in 0..4 {
        let store = Arc::clone(&store);
        let c = collections[n % 2];
        tasks.push(tokio::spawn(async move {
            for round in 0..5 {
                let batch: Vec<_> = (0..200)
                    .map(|i| person(&format!("w{round}-{i:03}"), &format!("W{n}")))
                    .collect();
                store
                    .put_fragments(c, &format!("origin{n}"), &batch)
                    .await
                    .unwrap();
                // The other writer may have deleted one id of each round so far.
                let seen = store.count_entities(c).await.unwrap();
                assert!(seen >= (round + 1) * 199, "{seen} after round {round}");
                store
                    .delete_entity(c, &format!("w{round}-000"))
                    .await
                    .unwrap();
            }
        }));
    }
    for &c in &collections {
        let store = Arc::clone(&store);
        let viewer = viewer.id;
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let access = if i % 2 == 0 {
                    Access::Read
                } else {
                    Access::None
                };
                store.set_permission(c, viewer, access).await.unwrap();
                store.touch_collection(c).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for &c in &collections {
        // Each round's first id may have been deleted before or after the other writer
        // wrote it, so it may or may not be there.
        let count = store.count_entities(c).await.unwrap();
        assert!((995..=1000).contains(&count), "{count}");
        let all: Vec<_> = stream_entities(store.clone(), EntityFilter::collection(c), 300)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len() as u64, count);
        let full = all.iter().filter(|e| e.origins.len() == 2).count();
        assert!(full >= 995, "{full}");
    }
}

pub async fn replacing_an_origin_swaps_its_fragments<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "replace").await;
    let origin = "ingest:doc1";
    let pages = |n: usize, tag: &str| -> Vec<_> {
        (0..n)
            .map(|i| person(&format!("page-{i}"), &format!("{tag} {i}")))
            .collect()
    };
    assert_eq!(
        store
            .replace_origin(c, origin, &pages(3, "first"))
            .await
            .unwrap(),
        3
    );
    store
        .put_fragments(c, "bulk", &[person("page-0", "From bulk")])
        .await
        .unwrap();
    store
        .put_fragments(c, "ingest:doc2", &[person("other", "Other")])
        .await
        .unwrap();
    assert_eq!(
        store.origin_entity_ids(c, origin).await.unwrap(),
        ["page-0", "page-1", "page-2"]
    );

    // A shorter run loses the extra pages; what other origins wrote stays.
    assert_eq!(
        store
            .replace_origin(c, origin, &pages(2, "second"))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store.origin_entity_ids(c, origin).await.unwrap(),
        ["page-0", "page-1"]
    );
    assert!(store.entity(c, "page-2").await.unwrap().is_none());
    let p0 = store.entity(c, "page-0").await.unwrap().unwrap();
    assert_eq!(p0.origins, ["bulk", origin]);
    assert_eq!(p0.entity.get("name"), ["From bulk", "second 0"]);
    assert_eq!(
        store.origin_entity_ids(c, "ingest:doc2").await.unwrap(),
        ["other"]
    );

    // A bad batch changes nothing.
    let bad = vec![
        person("page-9", "Nine"),
        entity(json!({"schema": "Person", "properties": {"name": ["No id"]}})),
    ];
    assert!(matches!(
        store.replace_origin(c, origin, &bad).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.origin_entity_ids(c, origin).await.unwrap().len(), 2);

    // Replacing with nothing removes the origin.
    assert_eq!(store.replace_origin(c, origin, &[]).await.unwrap(), 0);
    assert!(store.origin_entity_ids(c, origin).await.unwrap().is_empty());
    assert_eq!(
        store.entity(c, "page-0").await.unwrap().unwrap().origins,
        ["bulk"]
    );

    store
        .delete_collection(c, store::DeleteMode::Soft)
        .await
        .unwrap();
    assert!(matches!(
        store.replace_origin(c, origin, &pages(1, "late")).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn several_origins_are_replaced_together<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "replace-many").await;
    let (ingest, analyze) = ("ingest:doc".to_string(), "analyze:doc".to_string());
    store
        .replace_origin(c, &ingest, &[person("doc", "Old"), person("page-1", "Old")])
        .await
        .unwrap();
    store
        .replace_origin(c, &analyze, &[person("mention-old", "Old")])
        .await
        .unwrap();
    store
        .put_fragments(c, "bulk", &[person("doc", "From bulk")])
        .await
        .unwrap();

    let written = store
        .replace_origins(
            c,
            &[
                (ingest.clone(), vec![person("doc", "New")]),
                (
                    analyze.clone(),
                    vec![person("doc", "Mentioned"), person("mention-new", "New")],
                ),
            ],
        )
        .await
        .unwrap();
    assert_eq!(written, 3);
    assert_eq!(store.origin_entity_ids(c, &ingest).await.unwrap(), ["doc"]);
    assert_eq!(
        store.origin_entity_ids(c, &analyze).await.unwrap(),
        ["doc", "mention-new"]
    );
    assert!(store.entity(c, "page-1").await.unwrap().is_none());
    assert!(store.entity(c, "mention-old").await.unwrap().is_none());
    let doc = store.entity(c, "doc").await.unwrap().unwrap();
    assert_eq!(
        doc.origins,
        [analyze.clone(), "bulk".to_string(), ingest.clone()]
    );
    assert_eq!(doc.entity.get("name"), ["Mentioned", "From bulk", "New"]);

    // One bad entity in any origin changes none of them.
    let bad = entity(json!({"schema": "Person", "properties": {"name": ["No id"]}}));
    assert!(matches!(
        store
            .replace_origins(
                c,
                &[
                    (ingest.clone(), vec![person("doc", "Newer")]),
                    (analyze.clone(), vec![bad]),
                ],
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.origin_entity_ids(c, &ingest).await.unwrap(), ["doc"]);
    let doc = store.entity(c, "doc").await.unwrap().unwrap();
    assert!(!doc.entity.get("name").contains(&"Newer".to_string()));

    // An origin named twice is refused rather than half applied.
    assert!(matches!(
        store
            .replace_origins(
                c,
                &[
                    (ingest.clone(), vec![person("doc", "A")]),
                    (ingest.clone(), vec![person("doc", "B")]),
                ],
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.origin_entity_ids(c, &ingest).await.unwrap(), ["doc"]);

    // Nothing for an origin removes it; the other is still replaced.
    assert_eq!(
        store
            .replace_origins(
                c,
                &[
                    (ingest.clone(), vec![person("doc", "Last")]),
                    (analyze.clone(), Vec::new()),
                ],
            )
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .origin_entity_ids(c, &analyze)
            .await
            .unwrap()
            .is_empty()
    );
    let doc = store.entity(c, "doc").await.unwrap().unwrap();
    assert_eq!(doc.origins, ["bulk".to_string(), ingest.clone()]);

    store
        .delete_collection(c, store::DeleteMode::Soft)
        .await
        .unwrap();
    assert!(matches!(
        store
            .replace_origins(c, &[(ingest.clone(), vec![person("doc", "Late")])])
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn readers_never_see_an_origin_half_replaced<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "swap").await;
    let origin = "ingest:swap";
    let run = |n: usize, round: usize| -> Vec<_> {
        (0..n)
            .map(|i| person(&format!("p{i:03}"), &format!("round {round}")))
            .collect()
    };
    store.replace_origin(c, origin, &run(50, 0)).await.unwrap();
    let writer = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            for round in 1..=20 {
                let n = if round % 2 == 0 { 50 } else { 20 };
                store
                    .replace_origin(c, origin, &run(n, round))
                    .await
                    .unwrap();
            }
        })
    };
    let mut reads = 0;
    while !writer.is_finished() || reads == 0 {
        let ids = store.origin_entity_ids(c, origin).await.unwrap();
        assert!(ids.len() == 50 || ids.len() == 20, "saw {} ids", ids.len());
        reads += 1;
        tokio::task::yield_now().await;
    }
    writer.await.unwrap();
    assert_eq!(store.origin_entity_ids(c, origin).await.unwrap().len(), 50);
}
