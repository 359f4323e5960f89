//! The conformance suite every backend runs: each function is one test, generic over the
//! harness; `suite!` expands them into `#[tokio::test]`s for a backend.

pub mod alerts;
pub mod audit;
pub mod collections;
pub mod documents;
pub mod entities;
pub mod entitysets;
pub mod exports;
pub mod jobs;
pub mod mappings;
pub mod migrations;
pub mod purge;
pub mod roles;
pub mod upgrades;
pub mod xref;

use ftm::Entity;
use serde_json::json;
use store::{NewCollection, NewRole, Role, Store};

/// Expand every suite test for one harness.
macro_rules! suite {
    ($harness:ty) => {
        suite!(@tests $harness;
            collections::collection_crud,
            collections::foreign_id_unique_among_live_collections,
            collections::listing_filters_sorts_and_pages,
            collections::delete_modes_cascade_with_counts,
            roles::system_roles_exist_after_migrations,
            roles::role_crud_and_email_uniqueness,
            roles::roles_listed_by_name_prefix,
            roles::api_keys_resolve_only_for_unblocked_users,
            roles::sessions_expire_and_end_on_block,
            roles::permissions_readable_sets_with_groups,
            roles::public_collections_and_system_role_limits,
            roles::deleting_a_role_cascades_with_counts,
            entities::fragments_merge_across_origins,
            entities::batches_are_all_or_nothing,
            entities::deleting_entities_and_origins,
            entities::streams_are_ordered_and_complete,
            entities::updated_since_selects_recent_entities,
            entities::concurrent_writers_and_readers,
            entities::replacing_an_origin_swaps_its_fragments,
            entities::several_origins_are_replaced_together,
            entities::readers_never_see_an_origin_half_replaced,
            documents::documents_upsert_by_their_key,
            documents::racing_uploads_share_one_document,
            entitysets::entityset_crud_and_listing,
            entitysets::entityset_items_are_judged_and_removed,
            entitysets::entitysets_holding_an_entity_are_found,
            alerts::alerts_crud,
            mappings::mapping_crud_listing_and_runs,
            alerts::notifications_once_per_alert_and_entity,
            alerts::folded_notifications_count,
            exports::exports_are_listed_per_creator_newest_first,
            exports::exports_are_claimed_once_and_finished_by_their_holder,
            exports::exports_whose_workers_die_are_retried_then_failed,
            exports::expired_exports_are_found_and_deleted,
            jobs::enqueue_claim_complete,
            jobs::concurrent_claimers_never_share_a_job,
            jobs::expired_leases_return_jobs_to_the_queue,
            jobs::jobs_that_outlive_their_workers_end_dead,
            jobs::failures_retry_with_backoff_until_attempts_run_out,
            jobs::cancelling_stops_queued_and_running_jobs,
            jobs::counts_per_collection_and_stage,
            jobs::failure_list_and_retry_filters,
            jobs::queued_duplicates_are_enqueued_once,
            jobs::fragments_and_their_jobs_are_written_together,
            jobs::a_completion_writes_its_fragments_only_for_the_holder,
            jobs::deleting_a_collection_removes_its_documents_and_jobs,
            jobs::completing_hands_over_next_jobs_atomically,
            jobs::many_completions_in_one_call,
            migrations::migrates_from_version_1,
            migrations::migrates_from_version_2_to_jobs,
            migrations::migrating_is_idempotent,
            xref::xref_runs_checkpoint_and_matches_filter,
            xref::xref_decisions_profiles_and_negatives,
            audit::audit_entries_filter_page_and_prune,
            audit::oversized_audit_entries_are_cut,
            purge::a_retired_collection_is_purged_in_batches_and_leaves_nothing,
            purge::purges_sharing_a_blob_mark_it_once,
            purge::a_hard_delete_releases_its_references,
            purge::a_reference_racing_a_purge_is_seen_by_one_side,
        );
    };
    (@tests $harness:ty; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                crate::suite::$module::$name::<$harness>().await;
            }
        )*
    };
}
pub(crate) use suite;

pub fn entity(value: serde_json::Value) -> Entity {
    Entity::from_json(value, false).unwrap()
}

pub fn person(id: &str, name: &str) -> Entity {
    entity(json!({"id": id, "schema": "Person", "properties": {"name": [name]}}))
}

pub async fn collection(store: &dyn Store, foreign_id: &str) -> i64 {
    store
        .create_collection(NewCollection::new(
            foreign_id,
            format!("Label {foreign_id}"),
        ))
        .await
        .unwrap()
        .id
}

pub async fn user(store: &dyn Store, name: &str) -> Role {
    store
        .create_role(NewRole::user(
            format!("password:{name}@example.org"),
            name,
            format!("{name}@example.org"),
        ))
        .await
        .unwrap()
}

pub async fn group(store: &dyn Store, name: &str) -> Role {
    store
        .create_role(NewRole::group(format!("group:{name}"), name))
        .await
        .unwrap()
}
