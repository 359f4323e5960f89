//! Tables (being written).
pub(super) mod spreadsheet {
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
pub(super) mod delimited {
    use crate::{Context, FileInfo, IngestError, Sink};
    use ftm::Entity;
    use std::path::Path;
    pub(crate) fn ingest(
        _: &mut Entity,
        _: &Path,
        _: &FileInfo,
        _: &Context,
        _: &mut dyn Sink,
    ) -> Result<(), IngestError> {
        Err(IngestError::unsupported())
    }
}
pub(super) mod sqlite {
    pub(crate) use super::spreadsheet::ingest;
}
pub(super) mod dbf {
    pub(crate) use super::spreadsheet::ingest;
}
