use std::collections::BTreeSet;

use serde_json::{Map, json};
use store::{
    AuditAction, EntitySetType, ExportContent, ExportOperation, ExportOutcome, JobState,
    NewCollection, NewDecision, NewEntitySet, NewEntitySetItem, NewExport, NewJob, NewMapping,
    NewNotification, PURGE_STAGE, PairJudgement, PurgeStep, PurgeTable, Stage, Store, StoreError,
    XrefMatch, XrefRun, XrefRunState, now,
};

use super::{collection, entity, person, user};
use crate::common::Harness;

/// A moment after every mark a test made (`blob_deletions` lists marks made before it).
pub fn later() -> store::Timestamp {
    now() + chrono::Duration::seconds(1)
}

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

/// A collection's references to blobs.
const REFS: &str = "SELECT COUNT(*) FROM file_refs WHERE collection_id = ?1";

/// Release every blob reference of a deleted collection, `limit` at a time; the blobs
/// that were marked for deletion.
async fn release_all(store: &dyn Store, id: i64, limit: u32) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for _ in 0..100 {
        let step = store.release_collection_blobs(id, limit).await.unwrap();
        assert!(step.released <= u64::from(limit));
        if step.released == 0 {
            assert!(step.unreferenced.is_empty());
            return out;
        }
        out.extend(step.unreferenced);
    }
    panic!("releasing the blobs of collection {id} does not end");
}

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

    // The rows cannot go before the blobs are released: the references are all that says
    // which blobs the collection used.
    assert!(matches!(
        store.purge_collection_batch(doomed, job, 2).await,
        Err(StoreError::Invalid(_))
    ));
    // The blobs, a few references at a time: marked for deletion are the ones nothing
    // else refers to (2 and 5 are the kept collection's too, 7 a search export's).
    let unreferenced = release_all(&*store, doomed, 2).await;
    assert_eq!(unreferenced, [1, 3, 4, 6].into_iter().map(hash).collect());
    let marked: BTreeSet<String> = store
        .blob_deletions(store::MarkScope::Before(later()), 100)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(marked, unreferenced);
    let of_doomed: BTreeSet<String> = store
        .blob_deletions(store::MarkScope::Collection(doomed), 100)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(of_doomed, unreferenced);
    assert!(
        store
            .blob_deletions(store::MarkScope::Collection(kept), 100)
            .await
            .unwrap()
            .is_empty()
    );
    let an_hour_ago = now() - chrono::Duration::hours(1);
    assert!(
        store
            .blob_deletions(store::MarkScope::Before(an_hour_ago), 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.blob_deletion_pending(&hash(1)).await.unwrap());
    assert!(!store.blob_deletion_pending(&hash(2)).await.unwrap());
    let marked: Vec<String> = marked.into_iter().collect();
    store.forget_blob_deletions(&marked).await.unwrap();
    assert!(
        store
            .blob_deletions(store::MarkScope::Before(later()), 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(h.count(REFS, doomed).await, 0);
    assert_eq!(h.count(REFS, kept).await, 2);

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

/// Two collections share a blob and are purged at once, their releases interleaved a
/// reference at a time: the blob is marked exactly once, by whichever release removes
/// its last reference, never by both and never by neither.
pub async fn purges_sharing_a_blob_mark_it_once<H: Harness>() {
    let (store, h) = H::fresh().await;
    let a = collection(&*store, "a").await;
    let b = collection(&*store, "b").await;
    let live = collection(&*store, "live").await;
    store
        .put_fragments(
            a,
            "bulk",
            &[document("a1", &hash(1)), document("a2", &hash(2))],
        )
        .await
        .unwrap();
    store
        .put_fragments(b, "bulk", &[document("b1", &hash(1))])
        .await
        .unwrap();
    store
        .upsert_document(b, None, None, Some(&hash(3)))
        .await
        .unwrap();
    store
        .upsert_document(live, None, None, Some(&hash(3)))
        .await
        .unwrap();
    assert_eq!(h.count(REFS, a).await, 2);
    assert_eq!(h.count(REFS, b).await, 2);
    store.retire_collection(a, None).await.unwrap();
    store.retire_collection(b, None).await.unwrap();
    let mut marked = Vec::new();
    let (mut a_done, mut b_done) = (false, false);
    while !(a_done && b_done) {
        for (id, done) in [(a, &mut a_done), (b, &mut b_done)] {
            let step = store.release_collection_blobs(id, 1).await.unwrap();
            *done = step.released == 0;
            marked.extend(step.unreferenced);
        }
    }
    marked.sort();
    assert_eq!(marked, [hash(1), hash(2)]);
    assert_eq!(h.count(REFS, a).await + h.count(REFS, b).await, 0);
    assert_eq!(h.count(REFS, live).await, 1);
    // Releasing a live collection is refused; a purged one has nothing left to release.
    assert!(matches!(
        store.release_collection_blobs(live, 10).await,
        Err(StoreError::Invalid(_))
    ));
}

/// A hard delete (`DeleteMode::Hard`, no purge job) releases the collection's references
/// in its own transaction as a purge would: no reference row is left, and exactly the
/// blobs nobody else refers to (another collection, the collection's own export, whose
/// row outlives it) are marked, as no purge's. People whose 40-digit `idNumber`s look
/// like keys make no reference, so they keep nothing alive.
pub async fn a_hard_delete_releases_its_references<H: Harness>() {
    let (store, h) = H::fresh().await;
    let owner = user(&*store, "owner").await;
    let doomed = collection(&*store, "doomed").await;
    let other = collection(&*store, "other").await;
    let mut mine = vec![document("d1", &hash(1)), document("d2", &hash(2))];
    mine.push(entity(json!({
        "id": "p1",
        "schema": "Person",
        "properties": {"name": ["Ann"], "idNumber": [hash(8)]},
    })));
    store.put_fragments(doomed, "bulk", &mine).await.unwrap();
    store
        .upsert_document(doomed, None, None, Some(&hash(3)))
        .await
        .unwrap();
    store
        .upsert_document(doomed, None, Some("again"), Some(&hash(4)))
        .await
        .unwrap();
    store
        .put_fragments(
            other,
            "bulk",
            &[
                document("o2", &hash(2)),
                entity(json!({
                    "id": "p2",
                    "schema": "Person",
                    "properties": {"name": ["Bo"], "idNumber": [hash(1)]},
                })),
            ],
        )
        .await
        .unwrap();
    let e = store
        .create_export(export(owner.id, Some(doomed)))
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
                content_hash: hash(4),
                file_size: 1,
            }),
        )
        .await
        .unwrap();
    assert_eq!(h.count(REFS, doomed).await, 4);

    let removed = store
        .delete_collection(doomed, store::DeleteMode::Hard)
        .await
        .unwrap();
    assert!(removed.row_removed);
    assert_eq!(removed.unreferenced, [hash(1), hash(3)]);
    assert_eq!(h.count(REFS, doomed).await, 0);
    assert_eq!(h.count(REFS, other).await, 1);
    let marked = store
        .blob_deletions(store::MarkScope::Before(later()), 100)
        .await
        .unwrap();
    assert_eq!(marked, [hash(1), hash(3)]);
    // No purge will come for these: they are nobody's, settled as stale marks are.
    assert!(
        store
            .blob_deletions(store::MarkScope::Collection(doomed), 100)
            .await
            .unwrap()
            .is_empty()
    );
    for kept in [2, 4, 8] {
        assert!(!store.blob_deletion_pending(&hash(kept)).await.unwrap());
    }
    // Soft-deleting first and then removing the row releases the same way.
    let soft = collection(&*store, "soft").await;
    store
        .upsert_document(soft, None, None, Some(&hash(5)))
        .await
        .unwrap();
    store
        .delete_collection(soft, store::DeleteMode::Soft)
        .await
        .unwrap();
    assert_eq!(h.count(REFS, soft).await, 1);
    let removed = store
        .delete_collection(soft, store::DeleteMode::Hard)
        .await
        .unwrap();
    assert_eq!(removed.unreferenced, [hash(5)]);
    assert_eq!(h.count(REFS, soft).await, 0);
}

/// A writer referring to a blob a purge is deleting, against each step of the purge.
/// (The writer's side of the rule, with an archive, is tested in the server.)
pub async fn a_reference_racing_a_purge_is_seen_by_one_side<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let writer = collection(&*store, "writer").await;

    // The reference is committed before the purge decides: the blob is not marked.
    let early = collection(&*store, "early").await;
    store
        .put_fragments(early, "bulk", &[document("d", &hash(1))])
        .await
        .unwrap();
    store.retire_collection(early, None).await.unwrap();
    store
        .put_fragments(writer, "bulk", &[document("w1", &hash(1))])
        .await
        .unwrap();
    assert!(release_all(&*store, early, 10).await.is_empty());
    assert!(!store.blob_deletion_pending(&hash(1)).await.unwrap());

    // The purge marks first; the reference is committed after the mark, before the blob
    // leaves the archive. The writer sees the mark until the purge forgets it (then it
    // stores the blob again), and its reference keeps the blob from any later purge.
    let late = collection(&*store, "late").await;
    store
        .upsert_document(late, None, None, Some(&hash(2)))
        .await
        .unwrap();
    store.retire_collection(late, None).await.unwrap();
    assert_eq!(
        release_all(&*store, late, 10).await,
        BTreeSet::from([hash(2)])
    );
    store
        .upsert_document(writer, None, None, Some(&hash(2)))
        .await
        .unwrap();
    assert!(store.blob_deletion_pending(&hash(2)).await.unwrap());
    store.forget_blob_deletions(&[hash(2)]).await.unwrap();
    assert!(!store.blob_deletion_pending(&hash(2)).await.unwrap());
    let again = collection(&*store, "again").await;
    store
        .put_fragments(again, "bulk", &[document("a", &hash(2))])
        .await
        .unwrap();
    store.retire_collection(again, None).await.unwrap();
    assert!(release_all(&*store, again, 10).await.is_empty());

    // A purge that stopped between marking and deleting: the next attempt decides again.
    // A blob referred to meanwhile loses its mark; the other stays marked.
    let stopped = collection(&*store, "stopped").await;
    store
        .put_fragments(
            stopped,
            "bulk",
            &[document("s1", &hash(3)), document("s2", &hash(4))],
        )
        .await
        .unwrap();
    store.retire_collection(stopped, None).await.unwrap();
    assert_eq!(
        release_all(&*store, stopped, 10).await,
        BTreeSet::from([hash(3), hash(4)])
    );
    store
        .upsert_document(writer, None, Some("new.pdf"), Some(&hash(3)))
        .await
        .unwrap();
    let left = store
        .blob_deletions(store::MarkScope::Collection(stopped), 10)
        .await
        .unwrap();
    assert_eq!(left, [hash(3), hash(4)]);
    assert_eq!(
        store.confirm_blob_deletions(&left).await.unwrap(),
        [hash(4)]
    );
    assert_eq!(
        store
            .blob_deletions(store::MarkScope::Before(later()), 10)
            .await
            .unwrap(),
        [hash(4)]
    );
    // Confirming a blob that is not marked (forgotten meanwhile) gives nothing to delete.
    assert!(
        store
            .confirm_blob_deletions(&[hash(3)])
            .await
            .unwrap()
            .is_empty()
    );
}
