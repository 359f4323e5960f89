//! The service layer: what handlers and commands do, without HTTP.

pub mod alerts;
pub mod entities;
pub mod entitysets;
pub mod exports;
pub mod gazetteer;
pub mod mail;
pub mod mappings;
pub mod neighbours;
pub mod notifications;
pub mod pipeline;
pub mod purge;
pub mod reconcile;
pub mod reindex;
pub mod status;
pub mod table_mappings;
pub mod table_rows;
pub mod upload;
pub mod xref;
