use store::{
    Access, Category, CollectionQuery, CollectionScope, CollectionSort, CollectionUpdate,
    DeleteMode, Frequency, NewCollection, StoreError,
};

use super::{collection, person, user};
use crate::common::Harness;

pub async fn collection_crud<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let creator = user(&*store, "creator").await;
    let mut new = NewCollection::new("leak_x", "Leak X");
    new.summary = Some("A leak".into());
    new.category = Category::Leak;
    new.countries = vec!["US".into(), "de".into()];
    new.languages = vec!["eng".into()];
    new.frequency = Frequency::Weekly;
    new.publisher = Some("Someone".into());
    new.creator_id = Some(creator.id);
    new.xref = true;
    let c = store.create_collection(new).await.unwrap();
    assert_eq!(c.foreign_id, "leak_x");
    assert_eq!(c.label, "Leak X");
    assert_eq!(c.summary.as_deref(), Some("A leak"));
    assert_eq!(c.category, Category::Leak);
    assert!(!c.casefile());
    assert_eq!(c.countries, vec!["us", "de"]);
    assert_eq!(c.frequency, Frequency::Weekly);
    assert_eq!(c.creator_id, Some(creator.id));
    assert!(c.xref && !c.restricted);
    assert_eq!(c.data_updated_at, None);
    assert_eq!(c.deleted_at, None);
    assert_eq!(c.created_at, c.updated_at);

    // The creator may read and write.
    let perms = store.permissions(c.id).await.unwrap();
    assert_eq!(perms.len(), 1);
    assert_eq!(
        (perms[0].role_id, perms[0].access),
        (creator.id, Access::Write)
    );

    assert_eq!(store.collection(c.id).await.unwrap(), c);
    assert_eq!(store.collection_by_foreign_id("leak_x").await.unwrap(), c);

    let update = CollectionUpdate {
        label: Some("Leak X, revised".into()),
        summary: Some(String::new()),
        category: Some(Category::Casefile),
        languages: Some(vec![]),
        restricted: Some(true),
        ..CollectionUpdate::default()
    };
    let u = store.update_collection(c.id, update).await.unwrap();
    assert_eq!(u.label, "Leak X, revised");
    assert_eq!(u.summary, None);
    assert!(u.casefile());
    assert!(u.languages.is_empty());
    assert_eq!(u.countries, c.countries);
    assert!(u.restricted);
    assert!(u.updated_at >= c.updated_at);
    assert_eq!(u.created_at, c.created_at);
    assert_eq!(store.collection(c.id).await.unwrap(), u);

    let t = store.touch_collection(c.id).await.unwrap();
    assert!(t.data_updated_at.is_some());

    let bad = CollectionUpdate {
        label: Some("   ".into()),
        ..CollectionUpdate::default()
    };
    assert!(matches!(
        store.update_collection(c.id, bad).await,
        Err(StoreError::Invalid(_))
    ));
    let bad_creator = CollectionUpdate {
        creator_id: Some(Some(987_654)),
        ..CollectionUpdate::default()
    };
    assert!(matches!(
        store.update_collection(c.id, bad_creator).await,
        Err(StoreError::NotFound { what: "role", .. })
    ));
    assert!(matches!(
        store.create_collection(NewCollection::new("", "x")).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.collection(c.id + 1000).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.touch_collection(c.id + 1000).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn foreign_id_unique_among_live_collections<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let first = collection(&*store, "dup").await;
    let err = store
        .create_collection(NewCollection::new("dup", "Again"))
        .await
        .unwrap_err();
    match err {
        StoreError::Conflict { what, key } => {
            assert_eq!(what, "collection");
            assert_eq!(key, "dup");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }

    store
        .delete_collection(first, DeleteMode::Soft)
        .await
        .unwrap();
    assert!(matches!(
        store.collection(first).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.collection_by_foreign_id("dup").await,
        Err(StoreError::NotFound { .. })
    ));
    // Soft-deleted twice is not found either.
    assert!(matches!(
        store.delete_collection(first, DeleteMode::Soft).await,
        Err(StoreError::NotFound { .. })
    ));

    let second = collection(&*store, "dup").await;
    assert_ne!(first, second);
    assert_eq!(
        store.collection_by_foreign_id("dup").await.unwrap().id,
        second
    );

    let mut q = CollectionQuery::new(CollectionScope::All);
    q.foreign_id = Some("dup".into());
    assert_eq!(store.list_collections(&q).await.unwrap().total, 1);
    q.include_deleted = true;
    let both = store.list_collections(&q).await.unwrap();
    assert_eq!(both.total, 2);
    let deleted = both.items.iter().find(|c| c.id == first).unwrap();
    assert!(deleted.is_deleted());

    // A soft-deleted collection can still be purged for good.
    let removed = store
        .delete_collection(first, DeleteMode::Hard)
        .await
        .unwrap();
    assert!(removed.row_removed);
    assert_eq!(store.list_collections(&q).await.unwrap().total, 1);
}

pub async fn listing_filters_sorts_and_pages<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let labels = [
        "beta Leaks",
        "Alpha Registry",
        "ALPHA sanctions",
        "Gamma 50% files",
        "Ärzte",
    ];
    let mut ids = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let mut n = NewCollection::new(format!("c{i}"), *label);
        if i == 2 {
            n.category = Category::Sanctions;
        }
        ids.push(store.create_collection(n).await.unwrap().id);
    }
    let all = CollectionQuery::new(CollectionScope::All);
    let page = store.list_collections(&all).await.unwrap();
    assert_eq!(page.total, 5);
    let got: Vec<&str> = page.items.iter().map(|c| c.label.as_str()).collect();
    // Case-insensitive label order (lowercase, then bytewise).
    assert_eq!(
        got,
        [
            "Alpha Registry",
            "ALPHA sanctions",
            "beta Leaks",
            "Gamma 50% files",
            "Ärzte"
        ]
    );

    let mut q = all.clone();
    q.sort = CollectionSort::LabelDesc;
    q.limit = 2;
    q.offset = 1;
    let page = store.list_collections(&q).await.unwrap();
    assert_eq!(page.total, 5);
    let got: Vec<&str> = page.items.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(got, ["Gamma 50% files", "beta Leaks"]);

    let mut q = all.clone();
    q.label_prefix = Some("alpha".into());
    let page = store.list_collections(&q).await.unwrap();
    assert_eq!(page.total, 2);

    let mut q = all.clone();
    q.label_contains = Some("LEAK".into());
    assert_eq!(
        store.list_collections(&q).await.unwrap().items[0].id,
        ids[0]
    );

    // LIKE wildcards in the filter are literal.
    let mut q = all.clone();
    q.label_contains = Some("50%".into());
    assert_eq!(store.list_collections(&q).await.unwrap().total, 1);
    q.label_contains = Some("a_p".into());
    assert_eq!(store.list_collections(&q).await.unwrap().total, 0);

    let mut q = all.clone();
    q.label_prefix = Some("ärz".into());
    assert_eq!(store.list_collections(&q).await.unwrap().total, 1);

    let mut q = CollectionQuery::new(CollectionScope::Only(vec![ids[0], ids[2], 99_999]));
    let page = store.list_collections(&q).await.unwrap();
    let mut got: Vec<i64> = page.items.iter().map(|c| c.id).collect();
    got.sort();
    assert_eq!(got, vec![ids[0], ids[2]]);
    q.category = Some(Category::Sanctions);
    assert_eq!(
        store.list_collections(&q).await.unwrap().items[0].id,
        ids[2]
    );

    let q = CollectionQuery::new(CollectionScope::Only(vec![]));
    let page = store.list_collections(&q).await.unwrap();
    assert_eq!((page.total, page.items.len()), (0, 0));

    let mut q = all.clone();
    q.offset = 10;
    let page = store.list_collections(&q).await.unwrap();
    assert_eq!((page.total, page.items.len()), (5, 0));
}

pub async fn delete_modes_cascade_with_counts<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let owner = user(&*store, "owner").await;
    let reader = user(&*store, "reader").await;
    let mut new = NewCollection::new("doomed", "Doomed");
    new.creator_id = Some(owner.id);
    let c = store.create_collection(new).await.unwrap().id;
    store
        .set_permission(c, reader.id, Access::Read)
        .await
        .unwrap();
    let other = collection(&*store, "survivor").await;
    store
        .put_fragments(c, "a", &[person("p1", "One"), person("p2", "Two")])
        .await
        .unwrap();
    store
        .put_fragments(c, "b", &[person("p1", "Uno"), person("p3", "Three")])
        .await
        .unwrap();
    store
        .put_fragments(other, "a", &[person("p1", "Other")])
        .await
        .unwrap();

    let removed = store
        .delete_collection(c, DeleteMode::Contents)
        .await
        .unwrap();
    assert_eq!((removed.fragments, removed.permissions), (4, 0));
    assert!(!removed.row_removed);
    assert_eq!(store.count_entities(c).await.unwrap(), 0);
    assert_eq!(store.permissions(c).await.unwrap().len(), 2);
    assert!(store.collection(c).await.unwrap().data_updated_at.is_some());

    store
        .put_fragments(c, "a", &[person("p1", "One")])
        .await
        .unwrap();
    let removed = store.delete_collection(c, DeleteMode::Soft).await.unwrap();
    assert_eq!((removed.fragments, removed.permissions), (1, 2));
    assert!(!removed.row_removed);
    // Writing into a soft-deleted collection is refused.
    assert!(matches!(
        store.put_fragments(c, "a", &[person("p9", "Nine")]).await,
        Err(StoreError::NotFound { .. })
    ));

    let removed = store.delete_collection(c, DeleteMode::Hard).await.unwrap();
    assert_eq!((removed.fragments, removed.permissions), (0, 0));
    assert!(removed.row_removed);
    assert!(matches!(
        store.delete_collection(c, DeleteMode::Hard).await,
        Err(StoreError::NotFound { .. })
    ));

    // The roles and the other collection are untouched.
    assert_eq!(store.role(owner.id).await.unwrap().name, "owner");
    assert_eq!(store.count_entities(other).await.unwrap(), 1);

    // Hard-deleting a live collection with everything on it in one go.
    let removed = store
        .delete_collection(other, DeleteMode::Hard)
        .await
        .unwrap();
    assert_eq!((removed.fragments, removed.permissions), (1, 0));
}
