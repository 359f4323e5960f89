//! Upgrades from every earlier schema version: `tests/fixtures/sqlite-vN.db` is a database
//! as the code at version N left it (made by `tests/fixtures/make_fixtures.py`). Each is
//! migrated to the current version, and everything it held must read back through today's
//! code, with what later versions added working on top.

use std::path::PathBuf;

use store::{
    AuditQuery, DeleteMode, EntitySetQuery, JobState, Migration, NotificationQuery, SqliteStore,
    Stage, Store, XrefQuery,
};

fn fixture(version: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("sqlite-v{version}.db"))
}

pub async fn every_earlier_sqlite_version_upgrades_with_data_intact() {
    for version in 1..=store::LATEST_VERSION {
        let source = fixture(version);
        assert!(
            source.is_file(),
            "no fixture for schema version {version}: a new migration needs one \
             (python3 crates/store/tests/fixtures/make_fixtures.py {version})"
        );
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("aleph.db");
        std::fs::copy(&source, &db).unwrap();
        let store = SqliteStore::open_unmigrated(&db).await.unwrap();
        assert_eq!(store.schema_version().await.unwrap(), version);
        // What `aleph upgrade --check` would list.
        let pending = store::pending(version).unwrap();
        assert_eq!(pending.len() as u32, store::LATEST_VERSION - version);
        let done = store.migrate().await.unwrap();
        assert_eq!(
            done,
            Migration {
                from: version,
                to: store::LATEST_VERSION
            }
        );
        // Version 9: the references to archive blobs, filled from the data the database
        // held (the old upload's content hash, since version 3).
        let conn = rusqlite::Connection::open(&db).unwrap();
        let refs: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM file_refs
                 WHERE content_hash = 'a9993e364706816aba3e25717850c26c9cd0d89d'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(refs, i64::from(version >= 3), "from version {version}");
        drop(conn);
        assert_eq!(
            store
                .blob_deletion_pending("da39a3ee5e6b4b0d3255bfef95601890afd80709")
                .await
                .unwrap(),
            version >= 9
        );
        check(&store, version).await;
        // Opening again (a restart) changes nothing.
        drop(store);
        let again = SqliteStore::open(&db).await.unwrap();
        assert_eq!(again.schema_version().await.unwrap(), store::LATEST_VERSION);
    }
}

async fn check(store: &SqliteStore, version: u32) {
    let at = format!("from version {version}");
    // Version 1: roles, groups, collections, permissions, fragments.
    let user = store.role_by_email("old@example.org").await.unwrap();
    assert_eq!(user.name, "Old User", "{at}");
    assert!(user.is_admin, "{at}");
    assert_eq!(user.created_at.timestamp_micros(), 1_700_000_000_000_000);
    let by_key = store.role_by_api_key("legacy-api-key").await.unwrap();
    assert_eq!(by_key.map(|r| r.id), Some(user.id), "{at}");
    let groups = store.groups_of(user.id).await.unwrap();
    assert_eq!(groups.len(), 1, "{at}");
    assert_eq!(groups[0].name, "Investigators");
    let c = store.collection_by_foreign_id("old_leak").await.unwrap();
    assert_eq!(c.label, "Old Leak", "{at}");
    assert_eq!(c.countries, ["de"]);
    assert_eq!(c.creator_id, Some(user.id));
    assert_eq!(store.permissions(c.id).await.unwrap().len(), 2, "{at}");
    let sets = store
        .access_sets(&store.role_set(user.id).await.unwrap())
        .await
        .unwrap();
    assert!(sets.writable.contains(&c.id), "{at}");
    let p1 = store.entity(c.id, "p1").await.unwrap().unwrap();
    assert_eq!(p1.entity.get("name"), ["Old Person"], "{at}");
    let c1 = store.entity(c.id, "c1").await.unwrap().unwrap();
    let mut names = c1.entity.get("name").to_vec();
    names.sort();
    assert_eq!(
        names,
        ["ACME Limited", "Acme Ltd"],
        "{at}: merged over origins"
    );
    assert_eq!(c1.origins.len(), 2);
    assert_eq!(store.count_entities(c.id).await.unwrap(), 2, "{at}");

    // Version 10: fragments in a rowid table; an origin's ids come from the origin index,
    // and a fragment written at version 10 merges with the older ones.
    assert_eq!(
        store.origin_entity_ids(c.id, "bulk").await.unwrap(),
        ["c1", "p1"],
        "{at}"
    );
    let expected: &[&str] = if version >= 10 {
        &["old@example.org"]
    } else {
        &[]
    };
    assert_eq!(p1.entity.get("email"), expected, "{at}");

    // Version 2: sessions.
    let session = store.resolve_session("legacy-session-token").await.unwrap();
    assert_eq!(
        session.map(|r| r.id),
        (version >= 2).then_some(user.id),
        "{at}"
    );

    // Version 3: documents and the job ledger.
    let counts = store.job_counts(Some(c.id)).await.unwrap();
    if version >= 3 {
        let ingest = counts.iter().find(|s| s.stage == Stage::INGEST).unwrap();
        assert_eq!(ingest.count(JobState::Succeeded), 1, "{at}");
        let index = counts.iter().find(|s| s.stage == Stage::INDEX).unwrap();
        assert_eq!(index.count(JobState::Queued), 1, "{at}");
        let (_, created) = store
            .upsert_document(c.id, None, Some("old.pdf"), None)
            .await
            .unwrap();
        assert!(!created, "{at}: the old document is found by its key");
    } else {
        assert!(counts.is_empty());
    }

    // Version 4: the audit log.
    let audit = store.audit_log(&AuditQuery::default()).await.unwrap();
    if version >= 4 {
        assert_eq!(audit.total, 1, "{at}");
        assert_eq!(audit.items[0].detail["q"], "old");
        assert_eq!(audit.items[0].address.as_deref(), Some("192.0.2.1"));
    } else {
        assert_eq!(audit.total, 0);
    }

    // Version 5: cross-referencing.
    let matches = store
        .xref_matches(&XrefQuery::collection(c.id))
        .await
        .unwrap();
    let decisions = store.decisions(c.id, "c1").await.unwrap();
    if version >= 5 {
        assert_eq!(matches.total, 1, "{at}");
        assert_eq!(decisions.len(), 1, "{at}");
    } else {
        assert_eq!((matches.total, decisions.len()), (0, 0));
    }

    // Version 6: entity sets, alerts and notifications.
    let sets = store
        .list_entitysets(&EntitySetQuery::new(None))
        .await
        .unwrap();
    let alerts = store.list_alerts(Some(user.id), 10, 0).await.unwrap();
    if version >= 6 {
        assert_eq!(sets.total, 1, "{at}");
        assert_eq!(sets.items[0].label, "Old Diagram");
        let items = store
            .entityset_items(sets.items[0].id, 10, 0)
            .await
            .unwrap();
        assert_eq!(items.total, 1, "{at}");
        assert_eq!(alerts.total, 1, "{at}");
        assert_eq!(alerts.items[0].query, "old person");
    } else {
        assert_eq!((sets.total, alerts.total), (0, 0));
    }
    let notes = store
        .list_notifications(&NotificationQuery::new(user.id, None))
        .await
        .unwrap();
    assert_eq!(notes.total, 0);

    // Version 7: exports.
    let exports = store.list_exports(user.id, 10, 0).await.unwrap();
    if version >= 7 {
        assert_eq!(exports.total, 2, "{at}");
        let [xref, search] = &exports.items[..] else {
            panic!("{at}: two exports expected");
        };
        assert_eq!(search.label, "Old search");
        assert_eq!(search.status, store::ExportStatus::Successful);
        assert_eq!(
            search.content.as_ref().map(|c| c.file_size),
            Some(3),
            "{at}"
        );
        assert_eq!(xref.operation, store::ExportOperation::Xref);
        assert_eq!(xref.collection_id, Some(c.id));
        assert_eq!(xref.status, store::ExportStatus::Pending);
    } else {
        assert_eq!(exports.total, 0, "{at}");
    }

    // Version 8: mappings.
    let mappings = store
        .list_mappings(&store::MappingQuery {
            collection_id: c.id,
            table_id: None,
            limit: 10,
            offset: 0,
        })
        .await
        .unwrap();
    if version >= 8 {
        assert_eq!(mappings.total, 1, "{at}");
        let m = &mappings.items[0];
        assert_eq!(m.table_id, "old-table");
        assert_eq!(m.role_id, Some(user.id));
        assert_eq!(m.query["entities"]["p"]["schema"], "Person", "{at}");
        assert_eq!(m.last_run_status, Some(store::MappingStatus::Successful));
        assert_eq!(m.last_run_report.as_ref().unwrap()["rows"], 2);
    } else {
        assert_eq!(mappings.total, 0, "{at}");
    }

    // The current code writes on top of the old data, and deleting the collection takes
    // everything of it in one transaction.
    let new_id = store
        .create_role(store::NewRole::group("group:new", "New"))
        .await;
    assert!(
        new_id.unwrap().id > user.id,
        "{at}: ids continue after the old rows"
    );
    let removed = store
        .delete_collection(c.id, DeleteMode::Hard)
        .await
        .unwrap();
    assert_eq!(removed.fragments, if version >= 10 { 4 } else { 3 }, "{at}");
    assert_eq!(removed.permissions, 2, "{at}");
    assert!(removed.row_removed);
    assert_eq!(store.count_entities(c.id).await.unwrap(), 0);
    assert!(store.job_counts(Some(c.id)).await.unwrap().is_empty());
}
