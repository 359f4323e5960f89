//! Email (being written).
pub(super) mod rfc822 {
    use crate::{Context, IngestError, Sink};
    use ftm::Entity;
    use std::path::Path;
    pub(crate) fn ingest_eml(
        _: &mut Entity,
        _: &Path,
        _: &Context,
        _: &mut dyn Sink,
    ) -> Result<(), IngestError> {
        Err(IngestError::unsupported())
    }
    pub(crate) fn ingest_emlx(
        _: &mut Entity,
        _: &Path,
        _: &Context,
        _: &mut dyn Sink,
    ) -> Result<(), IngestError> {
        Err(IngestError::unsupported())
    }
}
pub(super) mod outlook_msg {
    use crate::{Context, IngestError, Sink};
    use ftm::Entity;
    use std::path::Path;
    pub(crate) fn ingest(
        _: &mut Entity,
        _: &Path,
        _: &Context,
        _: &mut dyn Sink,
    ) -> Result<(), IngestError> {
        Err(IngestError::unsupported())
    }
}
pub(super) mod mbox {
    pub(crate) use super::outlook_msg::ingest;
}
pub(super) mod pst {
    pub(crate) use super::outlook_msg::ingest;
}
