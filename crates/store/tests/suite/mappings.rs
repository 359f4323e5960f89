use serde_json::json;
use store::{
    DeleteMode, EntitySetType, MappingQuery, MappingRun, MappingStatus, NewEntitySet, NewMapping,
    StoreError,
};

use super::{collection, user};
use crate::common::Harness;

fn new_mapping(collection_id: i64, table_id: &str) -> NewMapping {
    NewMapping {
        collection_id,
        role_id: None,
        table_id: table_id.to_string(),
        entityset_id: None,
        query: json!({"entities": {"p": {"schema": "Person", "keys": ["name"]}}})
            .as_object()
            .unwrap()
            .clone(),
    }
}

fn listing(collection_id: i64, table_id: Option<&str>) -> MappingQuery {
    MappingQuery {
        collection_id,
        table_id: table_id.map(str::to_string),
        limit: 10,
        offset: 0,
    }
}

pub async fn mapping_crud_listing_and_runs<H: Harness>() {
    let (store, _h) = H::fresh().await;
    let c = collection(&*store, "mapped").await;
    let other = collection(&*store, "other_mapped").await;
    let owner = user(&*store, "mapper").await;
    let set = store
        .create_entityset(NewEntitySet::new(c, EntitySetType::List, "Mapped"))
        .await
        .unwrap();
    let foreign_set = store
        .create_entityset(NewEntitySet::new(other, EntitySetType::List, "Elsewhere"))
        .await
        .unwrap();

    let mut new = new_mapping(c, "  table-1 ");
    new.role_id = Some(owner.id);
    new.entityset_id = Some(set.id);
    let m1 = store.create_mapping(new).await.unwrap();
    assert_eq!(m1.table_id, "table-1", "table ids are trimmed");
    assert_eq!(
        (m1.role_id, m1.entityset_id),
        (Some(owner.id), Some(set.id))
    );
    assert_eq!(m1.query["entities"]["p"]["schema"], "Person");
    assert_eq!(m1.last_run_status, None);
    assert_eq!(store.mapping(m1.id).await.unwrap(), m1);
    let m2 = store
        .create_mapping(new_mapping(c, "table-2"))
        .await
        .unwrap();
    store
        .create_mapping(new_mapping(other, "table-1"))
        .await
        .unwrap();

    // No table, a set of another collection, a missing collection: refused.
    assert!(matches!(
        store.create_mapping(new_mapping(c, " ")).await.unwrap_err(),
        StoreError::Invalid(_)
    ));
    let mut wrong_set = new_mapping(c, "t");
    wrong_set.entityset_id = Some(foreign_set.id);
    assert!(matches!(
        store.create_mapping(wrong_set).await.unwrap_err(),
        StoreError::Invalid(_)
    ));
    assert!(matches!(
        store
            .create_mapping(new_mapping(9999, "t"))
            .await
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));

    // Listed per collection, oldest first, optionally per table.
    let all = store.list_mappings(&listing(c, None)).await.unwrap();
    assert_eq!(all.total, 2);
    assert_eq!(
        all.items.iter().map(|m| m.id).collect::<Vec<_>>(),
        [m1.id, m2.id]
    );
    let of_table = store
        .list_mappings(&listing(c, Some("table-2")))
        .await
        .unwrap();
    assert_eq!(of_table.total, 1);
    assert_eq!(of_table.items[0].id, m2.id);
    let mut page = listing(c, None);
    page.limit = 1;
    page.offset = 1;
    let second = store.list_mappings(&page).await.unwrap();
    assert_eq!((second.total, second.items[0].id), (2, m2.id));

    // An update replaces table, set and query; collection and creator stay.
    let mut change = new_mapping(c, "table-3");
    change.query = json!({"entities": {"c": {"schema": "Company", "keys": ["n"]}}})
        .as_object()
        .unwrap()
        .clone();
    let updated = store.update_mapping(m1.id, change).await.unwrap();
    assert_eq!(updated.table_id, "table-3");
    assert_eq!(updated.entityset_id, None);
    assert_eq!(updated.role_id, Some(owner.id));
    assert_eq!(updated.query["entities"]["c"]["schema"], "Company");
    assert_eq!(updated.created_at, m1.created_at);

    // Runs record their status, message and report.
    store
        .set_mapping_run(
            m1.id,
            MappingRun {
                status: MappingStatus::Failed,
                err_msg: Some("no such table".into()),
                report: None,
            },
        )
        .await
        .unwrap();
    let failed = store.mapping(m1.id).await.unwrap();
    assert_eq!(failed.last_run_status, Some(MappingStatus::Failed));
    assert_eq!(failed.last_run_err_msg.as_deref(), Some("no such table"));
    store
        .set_mapping_run(
            m1.id,
            MappingRun {
                status: MappingStatus::Successful,
                err_msg: None,
                report: Some(json!({"rows": 3, "errors": [{"row": 2, "message": "x"}]})),
            },
        )
        .await
        .unwrap();
    let done = store.mapping(m1.id).await.unwrap();
    assert_eq!(done.last_run_status, Some(MappingStatus::Successful));
    assert_eq!(done.last_run_err_msg, None);
    assert_eq!(done.last_run_report.unwrap()["errors"][0]["row"], 2);

    // Deleting a set leaves the mapping without one; deleting the mapping removes it.
    store.delete_entityset(set.id).await.unwrap();
    let mut with_set = new_mapping(c, "table-4");
    with_set.entityset_id = Some(
        store
            .create_entityset(NewEntitySet::new(c, EntitySetType::List, "Again"))
            .await
            .unwrap()
            .id,
    );
    let m3 = store.create_mapping(with_set).await.unwrap();
    store
        .delete_entityset(m3.entityset_id.unwrap())
        .await
        .unwrap();
    assert_eq!(store.mapping(m3.id).await.unwrap().entityset_id, None);
    store.delete_mapping(m2.id).await.unwrap();
    assert!(matches!(
        store.mapping(m2.id).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        store.delete_mapping(m2.id).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));

    // The mappings of a deleted collection are gone with it.
    store.delete_collection(c, DeleteMode::Soft).await.unwrap();
    assert!(matches!(
        store.mapping(m1.id).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
}
