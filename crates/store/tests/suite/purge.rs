use std::collections::BTreeSet;

use serde_json::{Map, json};
use store::{
    AuditAction, EntitySetType, ExportContent, ExportOperation, ExportOutcome, JobState,
    NewCollection, NewDecision, NewEntitySet, NewEntitySetItem, NewExport, NewJob, NewMapping,
    NewNotification, PURGE_STAGE, PairJudgement, PurgeStep, PurgeTable, Stage, StoreError,
    XrefMatch, XrefRun, XrefRunState, now,
};

use super::{collection, entity, person, user};
use crate::common::Harness;

fn hash(n: u32) -> String {
    format!("{n:040x}")
}

fn document(id: &str, content_hash: &str) -> ftm::Entity {
    entity(json!({
        "id": id,
        "schema": "Document",
        "properties": {"fileName": [format!("{id}.pdf")], "contentHash": [content_hash]},
    }))
}

fn item(entity_id: &str, collection_id: i64) -> NewEntitySetItem {
    NewEntitySetItem {
        entity_id: entity_id.to_string(),
        collection_id,
        judgement: store::Judgement::Positive,
        compared_to_entity_id: None,
        added_by_id: None,
    }
}

fn export(creator_id: i64, collection_id: Option<i64>) -> NewExport {
    NewExport {
        operation: ExportOperation::Search,
        label: "export".into(),
        creator_id,
        collection_id,
        params: Map::new(),
        meta: Map::new(),
        file_name: "export.zip".into(),
        mime_type: "application/zip".into(),
        expires_at: now() + chrono::Duration::days(30),
        max_attempts: 2,
    }
}

fn run(collection_id: i64, against: i64) -> XrefRun {
    XrefRun {
        collection_id,
        state: XrefRunState::Running,
        against: vec![against],
        cursor: json!({}),
        processed: 0,
        total: 1,
        matches: 0,
        started_at: now(),
        updated_at: now(),
        finished_at: None,
        watermark: None,
    }
}

fn pair(c: i64, e: &str, mc: i64, m: &str) -> XrefMatch {
    XrefMatch {
        collection_id: c,
        entity_id: e.into(),
        match_collection_id: mc,
        match_id: m.into(),
        score: 0.9,
        schema: "Person".into(),
        countries: vec![],
        method: "xref-v1".into(),
        explanation: json!({}),
        created_at: now(),
    }
}

/// Rows of every table that can hold a collection's data, for one collection.
const LEFTOVERS: &[(&str, &str)] = &[
    (
        "collections",
        "SELECT COUNT(*) FROM collections WHERE id = ?1",
    ),
    (
        "fragments",
        "SELECT COUNT(*) FROM fragments WHERE collection_id = ?1",
    ),
    (
        "documents",
        "SELECT COUNT(*) FROM documents WHERE collection_id = ?1",
    ),
    ("jobs", "SELECT COUNT(*) FROM jobs WHERE collection_id = ?1"),
    (
        "permissions",
        "SELECT COUNT(*) FROM permissions WHERE collection_id = ?1",
    ),
    (
        "entitysets",
        "SELECT COUNT(*) FROM entitysets WHERE collection_id = ?1",
    ),
    (
        "entityset_items",
        "SELECT COUNT(*) FROM entityset_items WHERE collection_id = ?1
         OR entityset_id IN (SELECT id FROM entitysets WHERE collection_id = ?1)",
    ),
    (
        "mappings",
        "SELECT COUNT(*) FROM mappings WHERE collection_id = ?1",
    ),
    (
        "notifications",
        "SELECT COUNT(*) FROM notifications WHERE collection_id = ?1",
    ),
    (
        "exports",
        "SELECT COUNT(*) FROM exports WHERE collection_id = ?1",
    ),
    (
        "xref_matches",
        "SELECT COUNT(*) FROM xref_matches WHERE collection_id = ?1 OR match_collection_id = ?1",
    ),
    (
        "xref_decisions",
        "SELECT COUNT(*) FROM xref_decisions WHERE collection_id = ?1 OR match_collection_id = ?1",
    ),
    (
        "xref_runs",
        "SELECT COUNT(*) FROM xref_runs WHERE collection_id = ?1",
    ),
];

async fn leftovers<H: Harness>(h: &H, id: i64) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for (table, sql) in LEFTOVERS {
        let n = h.count(sql, id).await;
        if n > 0 {
            out.push((*table, n));
        }
    }
    out
}

pub async fn a_retired_collection_is_purged_in_batches_and_leaves_nothing<H: Harness>() {
    let (store, h) = H::fresh().await;
    let owner = user(&*store, "owner").await;
    let reader = user(&*store, "reader").await;
    let doomed = collection(&*store, "doomed").await;
    let kept = collection(&*store, "kept").await;
    store
        .set_permission(doomed, reader.id, store::Access::Read)
        .await
        .unwrap();
    store
        .set_permission(kept, reader.id, store::Access::Read)
        .await
        .unwrap();

    // Entities: some only here, one blob shared with the kept collection, one with a
    // search export, plus enough people that the purge takes several batches.
    let mut mine = vec![
        document("d1", &hash(1)),
        document("d2", &hash(2)),
        document("d7", &hash(7)),
    ];
    mine.extend((0..5).map(|i| person(&format!("p{i}"), "Someone")));
    store.put_fragments(doomed, "bulk", &mine).await.unwrap();
    store
        .put_fragments(doomed, "other", &[person("p0", "Else")])
        .await
        .unwrap();
    store
        .put_fragments(
            kept,
            "bulk",
            &[document("k1", &hash(2)), person("k2", "Kept")],
        )
        .await
        .unwrap();
    // Uploaded files: a folder with a child, and a file the kept collection has too.
    let (root, _) = store
        .upsert_document(doomed, None, Some("folder"), Some(&hash(3)))
        .await
        .unwrap();
    store
        .upsert_document(doomed, Some(root), Some("child"), Some(&hash(4)))
        .await
        .unwrap();
    store
        .upsert_document(doomed, None, None, Some(&hash(5)))
        .await
        .unwrap();
    store
        .upsert_document(kept, None, None, Some(&hash(5)))
        .await
        .unwrap();
    // Exports: one of the collection, one search export sharing a blob with an entity.
    for (collection_id, content) in [(Some(doomed), hash(6)), (None, hash(7))] {
        let e = store
            .create_export(export(owner.id, collection_id))
            .await
            .unwrap();
        store
            .claim_exports("w", 5, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        store
            .finish_export(
                "w",
                e.id,
                ExportOutcome::Succeeded(ExportContent {
                    content_hash: content,
                    file_size: 1,
                }),
            )
            .await
            .unwrap();
    }
    // Entity sets: the collection's own (with a mapping), and the kept collection's set
    // holding one of its entities.
    let own = store
        .create_entityset(NewEntitySet::new(doomed, EntitySetType::Diagram, "Own"))
        .await
        .unwrap();
    store
        .judge_entityset_item(own.id, item("k2", kept))
        .await
        .unwrap();
    let theirs = store
        .create_entityset(NewEntitySet::new(kept, EntitySetType::List, "Theirs"))
        .await
        .unwrap();
    for (e, c) in [("p1", doomed), ("k1", kept)] {
        store
            .judge_entityset_item(theirs.id, item(e, c))
            .await
            .unwrap();
    }
    store
        .create_mapping(NewMapping {
            collection_id: doomed,
            role_id: Some(owner.id),
            table_id: "table".into(),
            entityset_id: Some(own.id),
            query: Map::new(),
        })
        .await
        .unwrap();
    // Cross-referencing in both directions, and a decision.
    for (c, other, e, m) in [(doomed, kept, "p1", "k2"), (kept, doomed, "k2", "p1")] {
        store.begin_xref_run(&run(c, other), true).await.unwrap();
        store
            .save_xref_batch(&run(c, other), &[pair(c, e, other, m)])
            .await
            .unwrap();
    }
    store
        .decide(&NewDecision {
            collection_id: doomed,
            entity_id: "p1".into(),
            match_collection_id: kept,
            match_id: "k2".into(),
            judgement: Some(PairJudgement::Unsure),
            role_id: Some(owner.id),
        })
        .await
        .unwrap();
    // Notifications, an alert, work in the queue.
    let alert = store.create_alert(reader.id, "someone").await.unwrap();
    for c in [doomed, kept] {
        let mut n = NewNotification::new(reader.id, "ingest_document");
        n.collection_id = Some(c);
        store.notify(&[n]).await.unwrap();
    }
    let queued = store
        .enqueue(&[
            NewJob::new(doomed, Stage::INGEST).entity("d1"),
            NewJob::new(kept, Stage::INGEST).entity("k1"),
        ])
        .await
        .unwrap();
    store
        .record_audit(&[
            store::NewAuditEntry::new(AuditAction::DeleteCollection, Some(owner.id))
                .collection(doomed),
        ])
        .await
        .unwrap();
    assert!(
        leftovers(&h, doomed).await.len() >= 12,
        "the fixture covers every table"
    );

    // Retiring: gone from every read at once, foreign id free, work cancelled, purge queued.
    let job = store
        .retire_collection(doomed, Some(owner.id))
        .await
        .unwrap();
    assert!(matches!(
        store.collection(doomed).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        !store
            .access_sets(&[reader.id])
            .await
            .unwrap()
            .readable
            .contains(&doomed)
    );
    assert_eq!(store.deleted_collection_ids().await.unwrap(), [doomed]);
    assert!(!store.live_collection_ids().await.unwrap().contains(&doomed));
    let again = store
        .create_collection(NewCollection::new("doomed", "Again"))
        .await
        .unwrap();
    assert_ne!(again.id, doomed);
    assert_eq!(
        store.job(queued[0]).await.unwrap().state,
        JobState::Cancelled
    );
    assert_eq!(store.job(queued[1]).await.unwrap().state, JobState::Queued);
    let purge = store.job(job).await.unwrap();
    assert_eq!(
        (purge.stage.as_str(), purge.state, purge.collection_id),
        (PURGE_STAGE, JobState::Queued, doomed)
    );
    assert_eq!(purge.payload["deleted_by"], json!(owner.id));
    assert!(matches!(
        store.retire_collection(doomed, None).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.purge_collection_batch(kept, job, 10).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.count_entities(kept).await.unwrap(), 2);

    // The blobs: everything the collection mentions, and which of those live on elsewhere.
    let blobs = store::collection_blobs(&*store, doomed, 2).await.unwrap();
    let expected: BTreeSet<String> = (1..=7).map(hash).collect();
    assert_eq!(blobs, expected);
    let used = store::blobs_in_use(&*store, &blobs, doomed, 2)
        .await
        .unwrap();
    assert_eq!(used, [2, 5, 7].into_iter().map(hash).collect());

    // A worker that stops after a few batches leaves a consistent remainder...
    for _ in 0..3 {
        let step = store.purge_collection_batch(doomed, job, 2).await.unwrap();
        assert!(
            matches!(step, PurgeStep::Removed { rows: 1..=2, .. }),
            "{step:?}"
        );
    }
    assert!(!leftovers(&h, doomed).await.is_empty());
    assert_eq!(store.job(job).await.unwrap().id, job);
    // ...which the next attempt finishes, batch by batch, every table in turn.
    let mut tables = BTreeSet::new();
    let mut batches = 0;
    loop {
        match store.purge_collection_batch(doomed, job, 2).await.unwrap() {
            PurgeStep::Removed { table, rows } => {
                assert!((1..=2).contains(&rows), "{table:?} {rows}");
                tables.insert(table);
            }
            PurgeStep::Finished => break,
        }
        batches += 1;
        assert!(batches < 100, "the purge does not end");
    }
    assert!(tables.contains(&PurgeTable::Fragments) && tables.contains(&PurgeTable::Documents));
    assert_eq!(leftovers(&h, doomed).await, []);
    // The purge job went with its collection; running the purge again is harmless.
    assert!(matches!(
        store.job(job).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store.purge_collection_batch(doomed, job, 2).await.unwrap(),
        PurgeStep::Finished
    );
    assert!(store.deleted_collection_ids().await.unwrap().is_empty());

    // Everything of the kept collection is still there, but nothing pointing at the
    // purged one.
    assert_eq!(store.count_entities(kept).await.unwrap(), 2);
    let items = store.entityset_items(theirs.id, 10, 0).await.unwrap().items;
    assert_eq!(
        items
            .iter()
            .map(|i| i.entity_id.as_str())
            .collect::<Vec<_>>(),
        ["k1"]
    );
    assert_eq!(h.count(LEFTOVERS[10].1, kept).await, 0);
    assert_eq!(
        h.count(
            "SELECT COUNT(*) FROM notifications WHERE collection_id = ?1",
            kept
        )
        .await,
        1
    );
    assert_eq!(store.job(queued[1]).await.unwrap().state, JobState::Queued);
    assert_eq!(store.alert(alert.id).await.unwrap().role_id, reader.id);
    assert_eq!(
        h.count(
            "SELECT COUNT(*) FROM exports WHERE collection_id IS NULL AND creator_id = ?1",
            owner.id
        )
        .await,
        1
    );
    // The audit log is history: it keeps the record of the deletion.
    assert_eq!(
        h.count(
            "SELECT COUNT(*) FROM audit_log WHERE collection_id = ?1",
            doomed
        )
        .await,
        1
    );
    assert_eq!(
        store.collection(again.id).await.unwrap().foreign_id,
        "doomed"
    );
}
