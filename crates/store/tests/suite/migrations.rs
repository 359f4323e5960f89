use chrono::Duration;
use store::{Access, Category, Migration, NewJob, Stage, now};

use crate::common::{Harness, V1_API_KEY};

pub async fn migrates_from_version_1<H: Harness>() {
    let (store, h) = H::at_version(1).await;
    assert_eq!(store.schema_version().await.unwrap(), 1);
    h.load_v1_fixture().await;

    let done = store.migrate().await.unwrap();
    assert_eq!(
        done,
        Migration {
            from: 1,
            to: store::LATEST_VERSION
        }
    );
    assert_eq!(store.schema_version().await.unwrap(), store::LATEST_VERSION);

    // The old data reads back through the current code.
    let user = store.role_by_email("old@example.org").await.unwrap();
    assert_eq!(user.name, "Old User");
    assert!(user.is_admin && user.has_api_key);
    assert_eq!(user.api_key_expires_at, None);
    assert_eq!(
        user.created_at.timestamp_micros(),
        1_700_000_000_000_000,
        "timestamps survive"
    );
    let by_key = store.role_by_api_key(V1_API_KEY).await.unwrap().unwrap();
    assert_eq!(by_key.id, user.id);

    let c = store.collection_by_foreign_id("old_leak").await.unwrap();
    assert_eq!(c.label, "Old Leak");
    assert_eq!(c.category, Category::Leak);
    assert_eq!(c.countries, ["de"]);
    assert_eq!(c.creator_id, Some(user.id));
    let perms = store.permissions(c.id).await.unwrap();
    assert_eq!(perms.len(), 1);
    assert_eq!(perms[0].access, Access::Write);
    let sets = store
        .access_sets(&store.role_set(user.id).await.unwrap())
        .await
        .unwrap();
    assert!(sets.writable.contains(&c.id));

    let p1 = store.entity(c.id, "p1").await.unwrap().unwrap();
    assert_eq!(p1.entity.schema().name(), "Person");
    assert_eq!(p1.entity.get("name"), ["Old Person"]);

    // What version 2 added works on the migrated data.
    let token = store
        .create_session(user.id, now() + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        store
            .resolve_session(token.as_str())
            .await
            .unwrap()
            .unwrap()
            .id,
        user.id
    );
    let key = store
        .reset_api_key(user.id, Some(now() - Duration::seconds(1)))
        .await
        .unwrap();
    assert_eq!(store.role_by_api_key(key.as_str()).await.unwrap(), None);

    // New rows get ids after the old ones.
    let system = store.system_roles().await.unwrap();
    assert!(system.guest < user.id && system.authenticated < user.id);
}

pub async fn migrating_is_idempotent<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let latest = store::LATEST_VERSION;
    for _ in 0..2 {
        assert_eq!(
            store.migrate().await.unwrap(),
            Migration {
                from: latest,
                to: latest
            }
        );
    }
    // Going backwards or past what this build knows is refused.
    assert!(store.migrate_to(1).await.is_err());
    assert!(store.migrate_to(latest + 1).await.is_err());
    assert_eq!(store.schema_version().await.unwrap(), latest);
    // Migrating did not duplicate the seeded system roles.
    let q = store::RoleQuery {
        kind: Some(store::RoleKind::System),
        limit: 10,
        ..store::RoleQuery::default()
    };
    assert_eq!(store.list_roles(&q).await.unwrap().total, 2);
}

pub async fn migrates_from_version_2_to_jobs<H: Harness>() {
    let (store, h) = H::at_version(2).await;
    h.load_v1_fixture().await;
    let user = store.role_by_email("old@example.org").await.unwrap();
    let token = store
        .create_session(user.id, now() + Duration::hours(1))
        .await
        .unwrap();

    let done = store.migrate().await.unwrap();
    assert_eq!(
        done,
        Migration {
            from: 2,
            to: store::LATEST_VERSION
        }
    );

    // Everything version 2 held is still there.
    assert_eq!(
        store
            .resolve_session(token.as_str())
            .await
            .unwrap()
            .unwrap()
            .id,
        user.id
    );
    let c = store.collection_by_foreign_id("old_leak").await.unwrap();
    let p1 = store.entity(c.id, "p1").await.unwrap().unwrap();
    assert_eq!(p1.entity.get("name"), ["Old Person"]);
    assert_eq!(store.permissions(c.id).await.unwrap().len(), 1);

    // The new tables work on the old collection.
    let (doc, created) = store
        .upsert_document(c.id, None, Some("old.pdf"), Some("abc"))
        .await
        .unwrap();
    assert!(created);
    let ids = store
        .enqueue(&[NewJob::new(c.id, Stage::INGEST).entity("e1")])
        .await
        .unwrap();
    let counts = store.job_counts(Some(c.id)).await.unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].queued, 1);
    let removed = store
        .delete_collection(c.id, store::DeleteMode::Hard)
        .await
        .unwrap();
    assert_eq!((removed.documents, removed.jobs), (1, 1));
    assert!(store.job(ids[0]).await.is_err());
    assert_eq!(store.document(c.id, doc).await.unwrap(), None);
}
