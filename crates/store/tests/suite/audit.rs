use chrono::Duration;
use serde_json::json;
use store::{AuditAction, AuditQuery, NewAuditEntry, now};

use crate::common::Harness;
use crate::suite::{collection, user};

pub async fn audit_entries_filter_page_and_prune<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let c = collection(&*store, "leak").await;
    let t0 = now() - Duration::days(10);
    let at = |days: i64| t0 + Duration::days(days);
    let mut entries = vec![
        NewAuditEntry::new(AuditAction::Login, Some(alice.id)).address(Some("203.0.113.7".into())),
        NewAuditEntry::new(AuditAction::Search, Some(alice.id))
            .detail(json!({"q": "putin", "filters": {"schema": ["Person"]}})),
        NewAuditEntry::new(AuditAction::View, Some(bob.id))
            .collection(c)
            .target("e1"),
        NewAuditEntry::new(AuditAction::Download, None)
            .collection(c)
            .target("abc123"),
        NewAuditEntry::new(AuditAction::Permission, Some(alice.id))
            .collection(c)
            .detail(json!({"role": bob.id, "read": true, "write": false})),
    ];
    for (i, e) in entries.iter_mut().enumerate() {
        e.at = at(i as i64 * 2);
    }
    store.record_audit(&entries).await.unwrap();
    store.record_audit(&[]).await.unwrap();

    // Everything, newest first.
    let all = store.audit_log(&AuditQuery::default()).await.unwrap();
    assert_eq!(all.total, 5);
    let actions: Vec<AuditAction> = all.items.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::Permission,
            AuditAction::Download,
            AuditAction::View,
            AuditAction::Search,
            AuditAction::Login
        ]
    );
    let login = &all.items[4];
    assert_eq!(login.role_id, Some(alice.id));
    assert_eq!(login.address.as_deref(), Some("203.0.113.7"));
    assert_eq!(login.at, at(0));
    assert_eq!(all.items[3].detail["filters"]["schema"][0], "Person");
    assert_eq!(
        all.items[1].role_id, None,
        "anonymous visitors are logged too"
    );
    assert_eq!(all.items[2].target.as_deref(), Some("e1"));

    // Filters combine.
    let q = |f: &dyn Fn(&mut AuditQuery)| {
        let mut q = AuditQuery::default();
        f(&mut q);
        q
    };
    let alices = store
        .audit_log(&q(&|q| q.role_id = Some(alice.id)))
        .await
        .unwrap();
    assert_eq!(alices.total, 3);
    let searches = store
        .audit_log(&q(&|q| {
            q.role_id = Some(alice.id);
            q.action = Some(AuditAction::Search);
        }))
        .await
        .unwrap();
    assert_eq!(searches.total, 1);
    assert_eq!(searches.items[0].detail["q"], "putin");
    let in_c = store
        .audit_log(&q(&|q| q.collection_id = Some(c)))
        .await
        .unwrap();
    assert_eq!(in_c.total, 3);
    // `since` is inclusive, `until` exclusive.
    let window = store
        .audit_log(&q(&|q| {
            q.since = Some(at(2));
            q.until = Some(at(6));
        }))
        .await
        .unwrap();
    let window: Vec<AuditAction> = window.items.iter().map(|e| e.action).collect();
    assert_eq!(window, [AuditAction::View, AuditAction::Search]);

    // Paging keeps the total.
    let page = store
        .audit_log(&q(&|q| {
            q.limit = 2;
            q.offset = 2;
        }))
        .await
        .unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].action, AuditAction::View);

    // Entries outlive the user and the collection they name.
    store.delete_role(bob.id).await.unwrap();
    store
        .delete_collection(c, store::DeleteMode::Hard)
        .await
        .unwrap();
    let bobs = store
        .audit_log(&q(&|q| q.role_id = Some(bob.id)))
        .await
        .unwrap();
    assert_eq!(bobs.total, 1);
    assert_eq!(bobs.items[0].collection_id, Some(c));

    // Pruning removes only older entries.
    assert_eq!(store.prune_audit(at(4)).await.unwrap(), 2);
    let left = store.audit_log(&AuditQuery::default()).await.unwrap();
    assert_eq!(left.total, 3);
    assert!(left.items.iter().all(|e| e.at >= at(4)));
    assert_eq!(store.prune_audit(at(0)).await.unwrap(), 0);
}

pub async fn oversized_audit_entries_are_cut<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let long = "x".repeat(store::MAX_AUDIT_TARGET_LEN * 2);
    store
        .record_audit(&[NewAuditEntry::new(AuditAction::View, None)
            .target(long)
            .address(Some("a".repeat(1000)))])
        .await
        .unwrap();
    let got = store.audit_log(&AuditQuery::default()).await.unwrap();
    assert_eq!(
        got.items[0].target.as_ref().map(String::len),
        Some(store::MAX_AUDIT_TARGET_LEN)
    );
    assert_eq!(
        got.items[0].address.as_ref().map(String::len),
        Some(store::MAX_AUDIT_ADDRESS_LEN)
    );
    let too_many = vec![NewAuditEntry::new(AuditAction::Login, None); store::MAX_AUDIT_BATCH + 1];
    assert!(store.record_audit(&too_many).await.is_err());
}
