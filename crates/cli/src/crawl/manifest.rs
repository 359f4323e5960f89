//! The crawl manifest: what a crawl added, so that the next run adds only new, changed or
//! failed files.
//!
//! One JSON file per (target, collection), kept outside the crawled tree. It is replaced
//! atomically (written beside, synced, renamed), so an interrupted crawl leaves either the
//! previous version or the new one, and written every few seconds while a crawl runs, so
//! that a crawl stopped half-way resumes where it was.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::walk::FileStat;

const VERSION: u32 = 1;

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Outcome {
    /// On the server, as the document `id`.
    Uploaded { id: String },
    /// Not added; the message says why. Tried again on the next run.
    Failed { error: String },
}

/// The manifest's record of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub size: u64,
    pub mtime_ns: i64,
    /// Hex SHA-1 of the content as added (absent when it never got that far).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// The id of the folder it was added under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The manifest's record of one folder: its id, the parent of everything inside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderRecord {
    pub id: String,
    /// The id of the folder it was added under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// The server URL or the data directory the crawl wrote to.
    pub target: String,
    pub foreign_id: String,
    /// The collection the ids belong to; a manifest of another (deleted and re-created)
    /// collection says nothing about this one.
    pub collection_id: String,
    #[serde(default)]
    pub folders: BTreeMap<String, FolderRecord>,
    #[serde(default)]
    pub files: BTreeMap<String, FileRecord>,
}

/// What to do with a file the walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Add it (new, changed, failed before, or under a folder that has a new id).
    Add,
    /// Already added: same size and modification time.
    Unchanged,
    /// Same size, another modification time: unchanged only if its SHA-1 is `sha1`.
    CheckHash { sha1: String },
}

impl Manifest {
    pub fn new(target: &str, foreign_id: &str, collection_id: &str) -> Manifest {
        Manifest {
            version: VERSION,
            target: target.to_string(),
            foreign_id: foreign_id.to_string(),
            collection_id: collection_id.to_string(),
            folders: BTreeMap::new(),
            files: BTreeMap::new(),
        }
    }

    /// The manifest at `path` if it is about this collection, else a new one. A manifest
    /// that cannot be read is an error (rather than silently uploading everything again).
    pub fn load_or_new(
        path: &Path,
        target: &str,
        foreign_id: &str,
        collection_id: &str,
    ) -> anyhow::Result<Manifest> {
        let fresh = || Manifest::new(target, foreign_id, collection_id);
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(fresh()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let manifest: Manifest = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not a crawl manifest (remove it to start afresh)",
                path.display()
            )
        })?;
        if manifest.version != VERSION {
            anyhow::bail!(
                "{} has manifest version {}, this aleph writes {VERSION}",
                path.display(),
                manifest.version
            );
        }
        if manifest.collection_id != collection_id || manifest.foreign_id != foreign_id {
            // The collection was deleted and created again: every id in it is stale.
            return Ok(fresh());
        }
        Ok(Manifest {
            target: target.to_string(),
            ..manifest
        })
    }

    /// Every id the manifest says is on the target: of files uploaded and of folders.
    pub fn recorded_ids(&self) -> Vec<String> {
        let files = self.files.values().filter_map(|f| match &f.outcome {
            Outcome::Uploaded { id } => Some(id.clone()),
            Outcome::Failed { .. } => None,
        });
        let folders = self.folders.values().map(|f| f.id.clone());
        files.chain(folders).collect()
    }

    /// Forget files and folders whose ids are not in `present`: they are added again.
    /// Returns how many records were dropped.
    pub fn keep_only(&mut self, present: &std::collections::HashSet<String>) -> usize {
        let before = self.files.len() + self.folders.len();
        self.files.retain(|_, f| match &f.outcome {
            Outcome::Uploaded { id } => present.contains(id),
            Outcome::Failed { .. } => true,
        });
        self.folders.retain(|_, f| present.contains(&f.id));
        before - self.files.len() - self.folders.len()
    }

    /// The id of a folder added before under the same parent.
    pub fn known_folder(&self, rel: &str, parent_id: Option<&str>) -> Option<&str> {
        self.folders
            .get(rel)
            .filter(|f| f.parent_id.as_deref() == parent_id)
            .map(|f| f.id.as_str())
    }

    pub fn decide(&self, rel: &str, stat: FileStat, parent_id: Option<&str>) -> Decision {
        let Some(record) = self.files.get(rel) else {
            return Decision::Add;
        };
        let Outcome::Uploaded { .. } = record.outcome else {
            return Decision::Add;
        };
        if record.size != stat.size || record.parent_id.as_deref() != parent_id {
            return Decision::Add;
        }
        if record.mtime_ns == stat.mtime_ns {
            return Decision::Unchanged;
        }
        match &record.sha1 {
            Some(sha1) => Decision::CheckHash { sha1: sha1.clone() },
            None => Decision::Add,
        }
    }

    /// Write atomically: a temporary file beside `path`, synced, then renamed over it.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let temp = temp_path(path);
        let write = || -> std::io::Result<()> {
            let file = std::fs::File::create(&temp)?;
            let mut out = std::io::BufWriter::new(file);
            serde_json::to_writer_pretty(&mut out, self)?;
            out.write_all(b"\n")?;
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&temp, path)
        };
        write().with_context(|| format!("cannot write the manifest {}", path.display()))
    }
}

/// Where [`Manifest::save`] writes before renaming.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// The default manifest of crawling `source` into `foreign_id`, under
/// `$XDG_STATE_HOME/aleph/manifests/` (`~/.local/state` when `XDG_STATE_HOME` is not set).
/// It is named for the crawled folder and the collection, and for `server` when the crawl
/// goes over the API, but not for a local data directory: moving or copying that keeps
/// the crawl's memory (the crawl then checks the manifest against the store it finds).
pub fn default_path(
    source: &Path,
    foreign_id: &str,
    server: Option<&str>,
) -> anyhow::Result<PathBuf> {
    let source = std::fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf());
    let key = match server {
        Some(server) => format!("{server} {}", source.display()),
        None => source.display().to_string(),
    };
    Ok(state_dir()?.join(file_name(&key, foreign_id)))
}

/// Where an older aleph kept the manifest of (`target`, `foreign_id`), before manifests
/// were named for the crawled folder: read once, when the new one does not exist yet.
pub fn legacy_path(target: &str, foreign_id: &str) -> anyhow::Result<PathBuf> {
    Ok(state_dir()?.join(file_name(target, foreign_id)))
}

/// The manifest to read: `path`, or the legacy one while `path` does not exist.
pub fn readable(path: &Path, legacy: Option<PathBuf>) -> PathBuf {
    match legacy {
        Some(old) if !path.exists() && old.is_file() => old,
        _ => path.to_path_buf(),
    }
}

fn state_dir() -> anyhow::Result<PathBuf> {
    let state = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home = std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .context("neither XDG_STATE_HOME nor HOME is set: give --manifest FILE")?;
            PathBuf::from(home).join(".local").join("state")
        }
    };
    Ok(state.join("aleph").join("manifests"))
}

/// A readable, collision-free file name for a (key, foreign id) pair.
fn file_name(target: &str, foreign_id: &str) -> String {
    use sha1::{Digest, Sha1};
    let slug = |s: &str| -> String {
        let cleaned: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let trimmed = cleaned.trim_matches('_');
        trimmed.chars().take(60).collect()
    };
    let target_short = target
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    // Two different pairs can slug alike ("a/b" and "a_b"): a short hash tells them apart.
    let digest = Sha1::digest(format!("{target}\u{0}{foreign_id}").as_bytes());
    format!(
        "{}-{}-{}.json",
        slug(target_short),
        slug(foreign_id),
        &hex::encode(digest)[..8]
    )
}

/// The manifest of a running crawl, saved every few seconds (more seldom when saving
/// gets slow, so that a huge manifest does not eat the crawl's time).
pub struct Journal {
    pub manifest: Manifest,
    path: PathBuf,
    last_save: Instant,
    interval: Duration,
    dirty: bool,
}

impl Journal {
    pub fn new(manifest: Manifest, path: PathBuf) -> Journal {
        Journal {
            manifest,
            path,
            last_save: Instant::now(),
            interval: Duration::from_secs(2),
            dirty: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn record_file(&mut self, rel: &str, record: FileRecord) -> anyhow::Result<()> {
        self.manifest.files.insert(rel.to_string(), record);
        self.changed()
    }

    pub fn record_folder(
        &mut self,
        rel: &str,
        id: String,
        parent_id: Option<String>,
    ) -> anyhow::Result<()> {
        self.manifest
            .folders
            .insert(rel.to_string(), FolderRecord { id, parent_id });
        self.changed()
    }

    /// Forget a folder whose id the server no longer knows, so the next run adds it again.
    pub fn forget_folder(&mut self, rel: &str) -> anyhow::Result<()> {
        self.manifest.folders.remove(rel);
        self.changed()
    }

    fn changed(&mut self) -> anyhow::Result<()> {
        self.dirty = true;
        if self.last_save.elapsed() >= self.interval {
            self.flush()?;
        }
        Ok(())
    }

    /// Save now if anything changed since the last save.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let started = Instant::now();
        self.manifest.save(&self.path)?;
        let took = started.elapsed();
        self.interval = (took * 10).max(Duration::from_secs(2));
        self.last_save = Instant::now();
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(size: u64, mtime_ns: i64) -> FileStat {
        FileStat { size, mtime_ns }
    }

    fn uploaded(size: u64, mtime_ns: i64, parent: Option<&str>) -> FileRecord {
        FileRecord {
            size,
            mtime_ns,
            sha1: Some("ab".repeat(20)),
            parent_id: parent.map(str::to_string),
            outcome: Outcome::Uploaded { id: "7.sig".into() },
        }
    }

    #[test]
    fn decisions() {
        let mut m = Manifest::new("http://h/", "fid", "1");
        assert_eq!(m.decide("a.txt", stat(3, 10), None), Decision::Add);
        m.files.insert("a.txt".into(), uploaded(3, 10, None));
        assert_eq!(m.decide("a.txt", stat(3, 10), None), Decision::Unchanged);
        assert_eq!(m.decide("a.txt", stat(4, 10), None), Decision::Add);
        assert_eq!(
            m.decide("a.txt", stat(3, 11), None),
            Decision::CheckHash {
                sha1: "ab".repeat(20)
            }
        );
        // Its folder was added again under a new id: the file must follow.
        assert_eq!(m.decide("a.txt", stat(3, 10), Some("9.sig")), Decision::Add);
        m.files.insert(
            "b.txt".into(),
            FileRecord {
                outcome: Outcome::Failed {
                    error: "boom".into(),
                },
                ..uploaded(3, 10, None)
            },
        );
        assert_eq!(m.decide("b.txt", stat(3, 10), None), Decision::Add);
    }

    #[test]
    fn saves_atomically_and_reloads_only_for_the_same_collection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("m.json");
        let mut m = Manifest::new("http://h/", "fid", "1");
        m.files
            .insert("a/b.txt".into(), uploaded(3, 10, Some("2.x")));
        m.files.insert(
            "c.txt".into(),
            FileRecord {
                sha1: None,
                outcome: Outcome::Failed {
                    error: "HTTP 500".into(),
                },
                ..uploaded(1, 1, None)
            },
        );
        m.folders.insert(
            "a".into(),
            FolderRecord {
                id: "2.x".into(),
                parent_id: None,
            },
        );
        m.save(&path).unwrap();
        assert!(!temp_path(&path).exists());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"state\": \"failed\""), "{text}");
        assert_eq!(
            Manifest::load_or_new(&path, "http://h/", "fid", "1").unwrap(),
            m
        );
        let other = Manifest::load_or_new(&path, "http://h/", "fid", "5").unwrap();
        assert!(other.files.is_empty() && other.folders.is_empty());
        std::fs::write(&path, b"not json").unwrap();
        assert!(Manifest::load_or_new(&path, "http://h/", "fid", "1").is_err());
        let missing = dir.path().join("none.json");
        assert!(
            Manifest::load_or_new(&missing, "t", "f", "1")
                .unwrap()
                .files
                .is_empty()
        );
    }

    #[test]
    fn default_names_are_distinct_and_tidy() {
        let a = file_name("http://127.0.0.1:8080/", "a/b");
        let b = file_name("http://127.0.0.1:8080/", "a_b");
        assert_ne!(a, b);
        assert!(a.starts_with("127.0.0.1_8080-a_b-"), "{a}");
        assert!(a.ends_with(".json"));
    }
}
