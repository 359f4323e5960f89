//! The service layer: what handlers and commands do, without HTTP.

pub mod entities;
pub mod mappings;
pub mod pipeline;
pub mod reindex;
pub mod status;
pub mod upload;
pub mod xref;
