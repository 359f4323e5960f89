use serde_json::json;
use store::{
    DeleteMode, EntitySetQuery, EntitySetType, EntitySetUpdate, Judgement, NewEntitySet,
    NewEntitySetItem, StoreError,
};

use super::{collection, user};
use crate::common::Harness;

fn item(entity_id: &str, collection_id: i64, judgement: Judgement) -> NewEntitySetItem {
    NewEntitySetItem {
        entity_id: entity_id.to_string(),
        collection_id,
        judgement,
        compared_to_entity_id: None,
        added_by_id: None,
    }
}

pub async fn entityset_crud_and_listing<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "sets").await;
    let other = collection(&*store, "other_sets").await;
    let owner = user(&*store, "setter").await;

    let mut new = NewEntitySet::new(c, EntitySetType::Diagram, "  Network  ");
    new.role_id = Some(owner.id);
    new.summary = Some("who knows whom".into());
    let layout = json!({"vertices": [{"id": "v1", "position": {"x": 1, "y": 2}}]});
    new.layout = layout.as_object().unwrap().clone();
    let set = store.create_entityset(new).await.unwrap();
    assert_eq!(set.label, "Network", "labels are trimmed");
    assert_eq!(set.kind, EntitySetType::Diagram);
    assert_eq!(set.role_id, Some(owner.id));
    assert_eq!(set.layout["vertices"][0]["position"]["y"], 2);
    assert_eq!(store.entityset(set.id).await.unwrap(), set);

    // No label, no set; nor in a missing collection.
    let err = store
        .create_entityset(NewEntitySet::new(c, EntitySetType::List, " "))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let err = store
        .create_entityset(NewEntitySet::new(9999, EntitySetType::List, "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    let list = store
        .create_entityset(NewEntitySet::new(c, EntitySetType::List, "Suspects"))
        .await
        .unwrap();
    let elsewhere = store
        .create_entityset(NewEntitySet::new(other, EntitySetType::Timeline, "Events"))
        .await
        .unwrap();

    // Newest updated first; filters by collection, type and label prefix.
    let all = store
        .list_entitysets(&EntitySetQuery::new(None))
        .await
        .unwrap();
    assert_eq!(all.total, 3);
    let ids: Vec<i64> = all.items.iter().map(|s| s.id).collect();
    assert_eq!(ids, [elsewhere.id, list.id, set.id]);
    let only_c = store
        .list_entitysets(&EntitySetQuery::new(Some(vec![c])))
        .await
        .unwrap();
    assert_eq!(only_c.total, 2);
    let mut q = EntitySetQuery::new(Some(vec![c, other]));
    q.kinds = vec![EntitySetType::Timeline, EntitySetType::Diagram];
    let typed = store.list_entitysets(&q).await.unwrap();
    assert_eq!(typed.total, 2);
    assert!(typed.items.iter().all(|s| s.kind != EntitySetType::List));
    let mut q = EntitySetQuery::new(None);
    q.label_prefix = Some("SUS".into());
    let by_prefix = store.list_entitysets(&q).await.unwrap().items;
    assert_eq!(by_prefix.len(), 1);
    assert_eq!(by_prefix[0], list);
    let mut q = EntitySetQuery::new(None);
    q.limit = 1;
    q.offset = 1;
    let paged = store.list_entitysets(&q).await.unwrap();
    assert_eq!((paged.total, paged.items.len()), (3, 1));
    assert_eq!(paged.items[0].id, list.id);
    assert!(
        store
            .list_entitysets(&EntitySetQuery::new(Some(vec![])))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // Updates keep what they do not name; the change moves the set to the top.
    let updated = store
        .update_entityset(
            set.id,
            EntitySetUpdate {
                label: Some("Network v2".into()),
                summary: Some(None),
                layout: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.label, "Network v2");
    assert_eq!(updated.summary, None);
    assert_eq!(updated.layout, set.layout);
    assert!(updated.updated_at >= set.updated_at);
    let err = store
        .update_entityset(
            set.id,
            EntitySetUpdate {
                label: Some("".into()),
                ..EntitySetUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");

    store.delete_entityset(list.id).await.unwrap();
    assert!(matches!(
        store.entityset(list.id).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        store.delete_entityset(list.id).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));

    // A soft-deleted collection hides its sets; a hard delete removes them.
    store
        .delete_collection(other, DeleteMode::Soft)
        .await
        .unwrap();
    assert!(store.entityset(elsewhere.id).await.is_err());
    assert_eq!(
        store
            .list_entitysets(&EntitySetQuery::new(None))
            .await
            .unwrap()
            .total,
        1
    );
    // Deleting the creator keeps the set.
    store.delete_role(owner.id).await.unwrap();
    assert_eq!(store.entityset(set.id).await.unwrap().role_id, None);
}

pub async fn entityset_items_are_judged_and_removed<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "items").await;
    let source = collection(&*store, "items_source").await;
    let adder = user(&*store, "adder").await;
    let set = store
        .create_entityset(NewEntitySet::new(c, EntitySetType::Profile, "Profile"))
        .await
        .unwrap();

    let mut first = item("e1", c, Judgement::Positive);
    first.added_by_id = Some(adder.id);
    let stored = store
        .judge_entityset_item(set.id, first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.entityset_id, set.id);
    assert_eq!(stored.judgement, Judgement::Positive);
    assert_eq!(stored.added_by_id, Some(adder.id));
    let mut second = item("e2", source, Judgement::Unsure);
    second.compared_to_entity_id = Some("e1".into());
    store.judge_entityset_item(set.id, second).await.unwrap();
    store
        .judge_entityset_item(set.id, item("e3", c, Judgement::Negative))
        .await
        .unwrap();

    // Judging again changes the judgement and keeps who added it and when.
    let again = store
        .judge_entityset_item(set.id, item("e1", c, Judgement::Negative))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.judgement, Judgement::Negative);
    assert_eq!(again.added_by_id, Some(adder.id));
    assert_eq!(again.created_at, stored.created_at);

    let items = store.entityset_items(set.id, 10, 0).await.unwrap();
    assert_eq!(items.total, 3);
    let listed: Vec<(&str, Judgement, i64)> = items
        .items
        .iter()
        .map(|i| (i.entity_id.as_str(), i.judgement, i.collection_id))
        .collect();
    assert_eq!(
        listed,
        [
            ("e1", Judgement::Negative, c),
            ("e2", Judgement::Unsure, source),
            ("e3", Judgement::Negative, c)
        ]
    );
    assert_eq!(items.items[1].compared_to_entity_id.as_deref(), Some("e1"));
    let page = store.entityset_items(set.id, 1, 2).await.unwrap();
    assert_eq!(page.items[0].entity_id, "e3");
    assert!(store.entityset(set.id).await.unwrap().updated_at >= set.updated_at);

    // `no_judgement` removes the item.
    let removed = store
        .judge_entityset_item(set.id, item("e2", source, Judgement::NoJudgement))
        .await
        .unwrap();
    assert_eq!(removed, None);
    assert_eq!(store.entityset_items(set.id, 10, 0).await.unwrap().total, 2);

    // Bad input and missing things are errors.
    assert!(matches!(
        store
            .judge_entityset_item(set.id, item("", c, Judgement::Positive))
            .await
            .unwrap_err(),
        StoreError::Invalid(_)
    ));
    assert!(matches!(
        store
            .judge_entityset_item(set.id + 100, item("e9", c, Judgement::Positive))
            .await
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        store
            .judge_entityset_item(set.id, item("e9", 9999, Judgement::Positive))
            .await
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));

    // Items of a collection go with it; the set of another collection keeps the rest.
    store
        .judge_entityset_item(set.id, item("e4", source, Judgement::Positive))
        .await
        .unwrap();
    store
        .delete_collection(source, DeleteMode::Hard)
        .await
        .unwrap();
    let left: Vec<String> = store
        .entityset_items(set.id, 10, 0)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.entity_id)
        .collect();
    assert_eq!(left, ["e1", "e3"]);
    store.delete_entityset(set.id).await.unwrap();
    assert!(store.entityset_items(set.id, 10, 0).await.is_err());
}

pub async fn entitysets_holding_an_entity_are_found<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "holding").await;
    let other = collection(&*store, "holding_other").await;
    let profile = |label: &str, collection_id| {
        NewEntitySet::new(collection_id, EntitySetType::Profile, label.to_string())
    };
    let first = store.create_entityset(profile("First", c)).await.unwrap();
    let second = store
        .create_entityset(profile("Second", other))
        .await
        .unwrap();
    let diagram = store
        .create_entityset(NewEntitySet::new(c, EntitySetType::Diagram, "Chart"))
        .await
        .unwrap();
    for (set, entity, collection_id, judgement) in [
        (first.id, "e1", c, Judgement::Positive),
        (first.id, "e2", other, Judgement::Negative),
        (second.id, "e1", c, Judgement::Positive),
        (second.id, "e2", other, Judgement::Positive),
        (diagram.id, "e1", c, Judgement::Positive),
    ] {
        store
            .judge_entityset_item(set, item(entity, collection_id, judgement))
            .await
            .unwrap();
    }
    let ids = |sets: Vec<store::EntitySet>| sets.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let holding = |collection_id, entity: &'static str, kind, judgement| {
        let store = store.clone();
        async move {
            ids(store
                .entitysets_holding(collection_id, entity, kind, judgement)
                .await
                .unwrap())
        }
    };
    let positive = Judgement::Positive;
    let profiles = EntitySetType::Profile;
    assert_eq!(
        holding(c, "e1", profiles, positive).await,
        [first.id, second.id]
    );
    assert_eq!(
        holding(c, "e1", EntitySetType::Diagram, positive).await,
        [diagram.id]
    );
    assert_eq!(holding(other, "e2", profiles, positive).await, [second.id]);
    assert_eq!(
        holding(other, "e2", profiles, Judgement::Negative).await,
        [first.id]
    );
    // The same id in another collection is another entity.
    assert!(holding(other, "e1", profiles, positive).await.is_empty());
    assert!(holding(c, "e9", profiles, positive).await.is_empty());
    // Sets of a deleted collection are gone from the lookup, like everywhere else.
    store
        .delete_collection(other, DeleteMode::Soft)
        .await
        .unwrap();
    assert_eq!(holding(c, "e1", profiles, positive).await, [first.id]);
}
