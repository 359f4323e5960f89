use serde_json::json;
use store::{DeleteMode, NewNotification, NotificationQuery, StoreError};

use super::{collection, user};
use crate::common::Harness;

fn alert_match(role_id: i64, alert_id: i64, collection_id: i64, entity: &str) -> NewNotification {
    let mut n = NewNotification::new(role_id, "alert_match");
    n.alert_id = Some(alert_id);
    n.collection_id = Some(collection_id);
    n.entity_id = Some(entity.to_string());
    n.params = json!({"query": "putin"}).as_object().unwrap().clone();
    n
}

pub async fn alerts_crud<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let ana = user(&*store, "ana").await;
    let bob = user(&*store, "bob").await;

    let a1 = store.create_alert(ana.id, "  putin  ").await.unwrap();
    assert_eq!(a1.query, "putin");
    assert_eq!((a1.role_id, a1.notified_at), (ana.id, None));
    let a2 = store.create_alert(ana.id, "gazprom").await.unwrap();
    let b1 = store.create_alert(bob.id, "rosneft").await.unwrap();
    assert!(matches!(
        store.create_alert(ana.id, "   ").await.unwrap_err(),
        StoreError::Invalid(_)
    ));
    assert!(matches!(
        store.create_alert(9999, "x").await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert_eq!(store.alert(a2.id).await.unwrap(), a2);

    let mine = store.list_alerts(Some(ana.id), 10, 0).await.unwrap();
    assert_eq!(mine.total, 2);
    assert_eq!(
        mine.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        [a1.id, a2.id]
    );
    let all = store.list_alerts(None, 10, 0).await.unwrap();
    assert_eq!(all.total, 3);
    let page = store.list_alerts(None, 1, 2).await.unwrap();
    assert_eq!(page.items[0].id, b1.id);

    store.delete_alert(a1.id).await.unwrap();
    assert!(matches!(
        store.alert(a1.id).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(store.delete_alert(a1.id).await.is_err());
    // A deleted user's alerts go with them.
    store.delete_role(bob.id).await.unwrap();
    assert!(store.alert(b1.id).await.is_err());
    assert_eq!(store.list_alerts(None, 10, 0).await.unwrap().total, 1);
}

pub async fn notifications_once_per_alert_and_entity<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let ana = user(&*store, "ana").await;
    let c = collection(&*store, "news").await;
    let hidden = collection(&*store, "hidden").await;
    let alert = store.create_alert(ana.id, "putin").await.unwrap();

    let created = store
        .notify(&[
            alert_match(ana.id, alert.id, c, "e1"),
            alert_match(ana.id, alert.id, c, "e2"),
            alert_match(ana.id, alert.id, c, "e1"),
        ])
        .await
        .unwrap();
    assert_eq!(created, 2, "one alert tells about one entity once");
    assert!(store.alert(alert.id).await.unwrap().notified_at.is_some());
    // Writing the same entity again later does not notify again either.
    assert_eq!(
        store
            .notify(&[alert_match(ana.id, alert.id, c, "e2")])
            .await
            .unwrap(),
        0
    );
    // Collection events have no alert and may repeat.
    let mut upload = NewNotification::new(ana.id, "ingest_document");
    upload.collection_id = Some(hidden);
    upload.email = true;
    let mut granted = NewNotification::new(ana.id, "grant_collection");
    granted.collection_id = Some(c);
    granted.actor_id = Some(ana.id);
    assert_eq!(
        store
            .notify(&[upload.clone(), upload, granted])
            .await
            .unwrap(),
        3
    );
    let mut bad = NewNotification::new(ana.id, "");
    bad.collection_id = Some(c);
    assert!(store.notify(&[bad]).await.is_err());

    // Newest first; the readable filter hides notifications about other collections.
    let all = store
        .list_notifications(&NotificationQuery::new(ana.id, None))
        .await
        .unwrap();
    assert_eq!(all.total, 5);
    let events: Vec<&str> = all.items.iter().map(|n| n.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "grant_collection",
            "ingest_document",
            "ingest_document",
            "alert_match",
            "alert_match"
        ]
    );
    assert_eq!(all.items[4].entity_id.as_deref(), Some("e1"));
    assert_eq!(all.items[4].params["query"], "putin");
    assert_eq!(all.items[0].actor_id, Some(ana.id));
    let readable = store
        .list_notifications(&NotificationQuery::new(ana.id, Some(vec![c])))
        .await
        .unwrap();
    assert_eq!(readable.total, 3);
    assert!(readable.items.iter().all(|n| n.collection_id == Some(c)));
    let nothing = store
        .list_notifications(&NotificationQuery::new(ana.id, Some(vec![])))
        .await
        .unwrap();
    assert_eq!(nothing.total, 0);

    // Reading: by id, then all; only the owner's.
    let first = all.items[4].id;
    let bob = user(&*store, "bob").await;
    assert_eq!(
        store
            .mark_notifications_read(bob.id, Some(&[first][..]))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .mark_notifications_read(ana.id, Some(&[first][..]))
            .await
            .unwrap(),
        1
    );
    let mut unread = NotificationQuery::new(ana.id, None);
    unread.unread_only = true;
    assert_eq!(store.list_notifications(&unread).await.unwrap().total, 4);
    assert_eq!(
        store.mark_notifications_read(ana.id, None).await.unwrap(),
        4
    );
    assert_eq!(store.list_notifications(&unread).await.unwrap().total, 0);
    let read = store
        .list_notifications(&NotificationQuery::new(ana.id, None))
        .await
        .unwrap();
    assert!(read.items.iter().all(|n| n.read_at.is_some()));

    // The outbox: only the notifications that asked for an email, until done.
    let pending = store.pending_emails(10).await.unwrap();
    assert_eq!(pending.len(), 2);
    assert!(pending.iter().all(|n| n.email_pending));
    store.emails_done(&[pending[0].id]).await.unwrap();
    assert_eq!(store.pending_emails(10).await.unwrap().len(), 1);
    store.emails_done(&[pending[1].id]).await.unwrap();
    assert!(store.pending_emails(10).await.unwrap().is_empty());

    // Deleting a collection removes the notifications about it.
    store
        .delete_collection(hidden, DeleteMode::Hard)
        .await
        .unwrap();
    assert_eq!(
        store
            .list_notifications(&NotificationQuery::new(ana.id, None))
            .await
            .unwrap()
            .total,
        3
    );
}

/// An upload folded into its burst's notification counts there, while it is unread.
pub async fn folded_notifications_count<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let ana = user(&*store, "ana").await;
    let c = collection(&*store, "news").await;
    let mut n = NewNotification::new(ana.id, "ingest_document");
    n.collection_id = Some(c);
    n.params = json!({"document": "d1"}).as_object().unwrap().clone();
    store.notify(&[n]).await.unwrap();
    let query = NotificationQuery::new(ana.id, None);
    let id = store.list_notifications(&query).await.unwrap().items[0].id;
    assert!(store.fold_notification(id).await.unwrap());
    assert!(store.fold_notification(id).await.unwrap());
    let folded = &store.list_notifications(&query).await.unwrap().items[0];
    assert_eq!(folded.params["count"], json!(3));
    assert_eq!(folded.params["document"], json!("d1"));

    // A burst whose email went out before more files folded in: its email goes back in
    // the outbox once, held until the end of the burst.
    let mut m = NewNotification::new(ana.id, "ingest_document");
    m.collection_id = Some(c);
    m.email = true;
    store.notify(&[m]).await.unwrap();
    let mailed = store.pending_emails(10).await.unwrap();
    assert_eq!(mailed.len(), 1);
    let second = mailed[0].id;
    let more = json!({"emailed_count": 1}).as_object().unwrap().clone();
    let now = store::now();
    let later = now + chrono::Duration::hours(1);
    // Still pending: nothing to put back.
    assert!(
        !store
            .rearm_notification_email(second, more.clone(), now)
            .await
            .unwrap()
    );
    store.emails_done(&[second]).await.unwrap();
    assert!(
        store
            .rearm_notification_email(second, more.clone(), later)
            .await
            .unwrap()
    );
    assert!(
        !store
            .rearm_notification_email(second, more.clone(), now)
            .await
            .unwrap()
    );
    assert!(store.pending_emails(10).await.unwrap().is_empty());
    store.emails_done(&[second]).await.unwrap();
    let earlier = now - chrono::Duration::seconds(5);
    assert!(
        store
            .rearm_notification_email(second, more, earlier)
            .await
            .unwrap()
    );
    let due = store.pending_emails(10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].params["emailed_count"], json!(1));
    assert_eq!(
        due[0].params[store::EMAIL_AFTER],
        json!(earlier.timestamp())
    );
    store.emails_done(&[second]).await.unwrap();
    store.mark_notifications_read(ana.id, None).await.unwrap();
    assert!(!store.fold_notification(id).await.unwrap());
    assert!(!store.fold_notification(id + 1000).await.unwrap());
    let all = store.list_notifications(&query).await.unwrap().items;
    let read = all.iter().find(|n| n.id == id).unwrap();
    assert_eq!(read.params["count"], json!(3));
}
