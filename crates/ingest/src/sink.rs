//! Where an extractor puts what it finds: derived entities, child files, derived blobs.
//!
//! A sink rather than a returned vector, because one file can yield a great many results
//! (a 10,000-page PDF, a mailbox of 100,000 messages) and the worker streams them to the
//! store as they come.

use std::path::{Path, PathBuf};

use ftm::Entity;

/// A file found inside the one being ingested, to be archived and ingested on its own.
#[derive(Debug)]
pub struct Child {
    /// The extracted bytes, in the context's work directory.
    pub path: PathBuf,
    /// Its entity: a `Document` with an id derived from the parent, `fileName`, `parent`
    /// and whatever the container knew (`mimeType`, dates).
    pub entity: Entity,
}

/// Why a sink refused something (the worker could not write, or was told to stop).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

/// Receives an extractor's results as they are produced.
pub trait Sink {
    /// A finished entity derived from the file (a `Page`, a sender's `Person`, a sheet's
    /// `Table`, a `Folder` inside an archive…).
    fn entity(&mut self, entity: Entity) -> Result<(), SinkError>;
    /// A file found inside this one.
    fn child(&mut self, child: Child) -> Result<(), SinkError>;
    /// A file made from this one that must be kept (a table's normalised CSV); returns the
    /// SHA-1 under which the archive keeps it.
    fn blob(&mut self, path: &Path) -> Result<String, SinkError>;
}

/// A sink that keeps everything in memory; for tests and small files.
#[derive(Debug, Default)]
pub struct CollectingSink {
    pub entities: Vec<Entity>,
    pub children: Vec<Child>,
    /// `(sha1, path)` of each blob.
    pub blobs: Vec<(String, PathBuf)>,
}

impl Sink for CollectingSink {
    fn entity(&mut self, entity: Entity) -> Result<(), SinkError> {
        self.entities.push(entity);
        Ok(())
    }

    fn child(&mut self, child: Child) -> Result<(), SinkError> {
        self.children.push(child);
        Ok(())
    }

    fn blob(&mut self, path: &Path) -> Result<String, SinkError> {
        let hash = crate::detect::sha1_file(path).map_err(|e| SinkError(e.to_string()))?;
        self.blobs.push((hash.clone(), path.to_path_buf()));
        Ok(hash)
    }
}
