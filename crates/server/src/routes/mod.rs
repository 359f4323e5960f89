//! The HTTP routes, one module per area of Aleph's API. Handlers are thin: they read the
//! request, check permissions, call the store, index or a service, and serialise.

mod admin;
mod alerts;
mod archive;
mod audit;
mod bulk;
mod collections;
pub(crate) mod entities;
mod entitysets;
mod exports;
mod ingest;
mod mappings;
mod openapi;
mod processing;
mod roles;
mod system;
mod xref;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(system::healthz))
        .route("/readyz", get(system::readyz))
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/2/metadata", get(system::metadata))
        .route("/api/2/statistics", get(system::statistics))
        .route(
            "/api/2/collections",
            get(collections::list).post(collections::create),
        )
        .route(
            "/api/2/collections/{id}",
            get(collections::view)
                .post(collections::update)
                .put(collections::update)
                .delete(collections::delete),
        )
        .route("/api/2/collections/{id}/touch", post(collections::touch))
        .route(
            "/api/2/collections/{id}/reindex",
            post(collections::reindex),
        )
        .route("/api/2/collections/{id}/_bulk", post(bulk::bulk))
        .route("/api/2/collections/{id}/ingest", post(ingest::upload))
        .route(
            "/api/2/collections/{id}/mappings",
            get(mappings::list).post(mappings::create),
        )
        .route(
            "/api/2/collections/{id}/mappings/{mid}",
            get(mappings::view)
                .post(mappings::update)
                .put(mappings::update)
                .delete(mappings::delete),
        )
        .route(
            "/api/2/collections/{id}/mappings/{mid}/trigger",
            post(mappings::trigger),
        )
        .route(
            "/api/2/collections/{id}/mappings/{mid}/flush",
            post(mappings::flush),
        )
        .route(
            "/api/2/collections/{id}/status",
            get(processing::collection_status).delete(processing::cancel),
        )
        .route(
            "/api/2/collections/{id}/processing",
            get(processing::processing),
        )
        .route("/api/2/collections/{id}/retry", post(processing::retry))
        .route(
            "/api/2/collections/{id}/reingest",
            post(processing::reingest),
        )
        .route("/api/2/status", get(processing::dashboard))
        .route(
            "/api/2/collections/{id}/xref",
            get(xref::list).post(xref::trigger),
        )
        .route(
            "/api/2/collections/{id}/xref.xlsx",
            get(xref::export).post(exports::xref_export),
        )
        .route("/api/2/profiles/_pairwise", post(xref::pairwise))
        .route("/api/2/profiles/{id}", get(xref::profile))
        .route("/api/2/profiles/{id}/similar", get(xref::similar))
        .route("/api/2/profiles/{id}/expand", get(xref::expand))
        .route("/api/2/match", post(xref::match_entity))
        .route(
            "/api/2/collections/{id}/_stream",
            get(bulk::stream_collection),
        )
        .route("/api/2/entities/_stream", get(bulk::stream_all))
        .route(
            "/api/2/entities",
            get(entities::search).post(entities::create),
        )
        .route(
            "/api/2/search",
            get(entities::search).post(entities::search_post),
        )
        .route(
            "/api/2/entities/{id}",
            get(entities::view)
                .post(entities::upsert)
                .put(entities::upsert)
                .delete(entities::delete),
        )
        .route("/api/2/entities/{id}/expand", get(entities::expand))
        .route("/api/2/entities/{id}/similar", get(entities::similar))
        .route("/api/2/entities/{id}/rows", get(entities::rows))
        .route("/api/2/documents/{id}", get(entities::view))
        .route("/api/2/archive", get(archive::download))
        .route("/api/2/sessions/login", post(roles::login))
        .route("/api/2/sessions/logout", post(roles::logout))
        .route("/api/2/roles/_suggest", get(roles::suggest))
        .route(
            "/api/2/roles/{id}",
            get(roles::view).post(roles::update).put(roles::update),
        )
        .route(
            "/api/2/roles/{id}/generate_api_key",
            post(roles::generate_api_key),
        )
        .route("/api/2/roles", get(admin::list))
        .route(
            "/api/2/groups",
            get(roles::groups).post(admin::create_group),
        )
        .route(
            "/api/2/groups/{id}/members",
            get(admin::members).post(admin::add_member),
        )
        .route(
            "/api/2/groups/{id}/members/{role_id}",
            delete(admin::remove_member),
        )
        .route("/api/2/audit", get(audit::list))
        .route(
            "/api/2/collections/{id}/permissions",
            get(roles::permissions)
                .post(roles::set_permissions)
                .put(roles::set_permissions),
        )
        .route(
            "/api/2/entitysets",
            get(entitysets::list).post(entitysets::create),
        )
        .route(
            "/api/2/entitysets/{id}",
            get(entitysets::view)
                .post(entitysets::update)
                .put(entitysets::update)
                .delete(entitysets::delete),
        )
        .route(
            "/api/2/entitysets/{id}/entities",
            get(entitysets::entities).post(entitysets::add_entity),
        )
        .route(
            "/api/2/entitysets/{id}/items",
            get(entitysets::items).post(entitysets::judge_item),
        )
        .route("/api/2/entitysets/{id}/_stream", get(entitysets::stream))
        .route("/api/2/alerts", get(alerts::list).post(alerts::create))
        .route(
            "/api/2/alerts/{id}",
            get(alerts::view).delete(alerts::delete),
        )
        .route("/api/2/notifications", get(alerts::notifications))
        .route("/api/2/exports", get(exports::list))
        .route("/api/2/search/export", post(exports::search_export))
        .route("/api/2/notifications/mark_read", post(alerts::mark_read))
        .layer(axum::middleware::map_response(
            crate::error::json_rejections,
        ))
}
