//! What every handler shares: the store, the index, the archive and the settings.

use std::sync::Arc;

use archive::Archive;
use index::SearchIndex;
use store::{Store, SystemRoles};

use crate::audit::AuditLog;
use crate::config::Settings;
use crate::embedded_index::RebuildWatch;

/// Cheap to clone: one `Arc` inside.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub index: Arc<dyn SearchIndex>,
    pub archive: Arc<dyn Archive>,
    pub settings: Settings,
    pub system_roles: SystemRoles,
    /// Where handlers record who did what.
    pub audit: AuditLog,
    /// Whether the embedded index is being rebuilt (searches then see part of the data).
    pub index_rebuild: RebuildWatch,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        index: Arc<dyn SearchIndex>,
        archive: Arc<dyn Archive>,
        settings: Settings,
        system_roles: SystemRoles,
    ) -> AppState {
        AppState::with_rebuild(
            store,
            index,
            archive,
            settings,
            system_roles,
            RebuildWatch::default(),
        )
    }

    /// [`AppState::new`] for an embedded index that may be rebuilding.
    pub fn with_rebuild(
        store: Arc<dyn Store>,
        index: Arc<dyn SearchIndex>,
        archive: Arc<dyn Archive>,
        settings: Settings,
        system_roles: SystemRoles,
        index_rebuild: RebuildWatch,
    ) -> AppState {
        AppState(Arc::new(Inner {
            audit: AuditLog::new(store.clone()),
            store,
            index,
            archive,
            settings,
            system_roles,
            index_rebuild,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
