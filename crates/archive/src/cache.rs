//! A size bound on the local copies of remote blobs.
//!
//! Copies are whole files named by their hash in one directory. A hit refreshes the file's
//! modification time, so the oldest time means the least recently used copy. When a new
//! copy pushes the total over the bound, the least recently used copies go until it fits
//! again. Copies used within the grace period are kept even then: an extractor may have
//! been handed the path a moment ago and not opened it yet (on Unix an opened file
//! survives its removal). Several processes may share the directory; each keeps its own
//! running total, and a sweep always starts from what is really on disk.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// Default bound: 10 GiB.
pub const DEFAULT_CACHE_BYTES: u64 = 10 * 1024 * 1024 * 1024;
/// Copies used more recently than this are never evicted.
const DEFAULT_GRACE: Duration = Duration::from_secs(60);

/// A cached copy: when it was last used, its size, where it is.
type CachedCopy = (SystemTime, u64, PathBuf);

#[derive(Debug)]
pub(crate) struct BlobCache {
    dir: PathBuf,
    limit: u64,
    grace: Duration,
    /// Bytes believed to be in the directory; refreshed by each sweep.
    total: AtomicU64,
    /// One sweep at a time in this process.
    sweeping: Mutex<()>,
}

impl BlobCache {
    pub(crate) fn open(dir: PathBuf, limit: u64) -> std::io::Result<BlobCache> {
        std::fs::create_dir_all(&dir)?;
        let cache = BlobCache {
            dir,
            limit,
            grace: DEFAULT_GRACE,
            total: AtomicU64::new(0),
            sweeping: Mutex::new(()),
        };
        let (total, _) = cache.scan()?;
        cache.total.store(total, Ordering::Relaxed);
        Ok(cache)
    }

    #[cfg(test)]
    pub(crate) fn with_grace(mut self, grace: Duration) -> BlobCache {
        self.grace = grace;
        self
    }

    pub(crate) fn path_of(&self, hash: &str) -> PathBuf {
        self.dir.join(hash)
    }

    /// The cached copy, marked as just used, if there is one.
    pub(crate) fn hit(&self, hash: &str) -> Option<PathBuf> {
        let path = self.path_of(hash);
        let file = std::fs::File::options().append(true).open(&path).ok()?;
        // A failed touch only makes the copy look older than it is.
        let _ = file.set_modified(SystemTime::now());
        Some(path)
    }

    /// Account for a copy just moved into place, evicting others when over the bound.
    pub(crate) fn added(&self, hash: &str, size: u64) -> std::io::Result<()> {
        let total = self.total.fetch_add(size, Ordering::Relaxed) + size;
        if total > self.limit {
            self.sweep(hash)?;
        }
        Ok(())
    }

    /// Forget a copy (its blob was deleted).
    pub(crate) fn remove(&self, hash: &str) -> std::io::Result<()> {
        let path = self.path_of(hash);
        let size = match std::fs::metadata(&path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        std::fs::remove_file(&path)?;
        self.subtract(size);
        Ok(())
    }

    fn subtract(&self, size: u64) {
        let _ = self
            .total
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                Some(t.saturating_sub(size))
            });
    }

    /// Every copy with its size and last use, oldest first, and the total.
    fn scan(&self) -> std::io::Result<(u64, Vec<CachedCopy>)> {
        let mut files = Vec::new();
        let mut total = 0;
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let Ok(meta) = entry.metadata() else {
                continue; // removed by another process meanwhile
            };
            if !meta.is_file() {
                continue;
            }
            total += meta.len();
            let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            files.push((used, meta.len(), entry.path()));
        }
        files.sort();
        Ok((total, files))
    }

    /// Remove least recently used copies until the total fits, sparing `keep` and copies
    /// within the grace period.
    fn sweep(&self, keep: &str) -> std::io::Result<()> {
        let _guard = self
            .sweeping
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (mut total, files) = self.scan()?;
        let recent = SystemTime::now()
            .checked_sub(self.grace)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        for (used, size, path) in files {
            if total <= self.limit {
                break;
            }
            if used > recent || is_named(&path, keep) {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => total -= size,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => total -= size,
                Err(e) => return Err(e),
            }
        }
        self.total.store(total, Ordering::Relaxed);
        Ok(())
    }
}

fn is_named(path: &Path, name: &str) -> bool {
    path.file_name().is_some_and(|n| n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(cache: &BlobCache, name: &str, size: usize, age_secs: u64) {
        let path = cache.path_of(name);
        std::fs::write(&path, vec![b'x'; size]).unwrap();
        let file = std::fs::File::options().append(true).open(&path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(age_secs))
            .unwrap();
        cache.added(name, size as u64).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn evicts_the_least_recently_used_copies_beyond_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::open(dir.path().join("cache"), 1000)
            .unwrap()
            .with_grace(Duration::ZERO);
        put(&cache, "a", 400, 300);
        put(&cache, "b", 400, 200);
        // Using `a` makes `b` the least recently used.
        assert!(cache.hit("a").is_some());
        put(&cache, "c", 400, 0);
        assert_eq!(names(&dir.path().join("cache")), ["a", "c"]);
        // The new copy itself stays even when it alone exceeds the bound.
        put(&cache, "d", 1500, 0);
        assert_eq!(names(&dir.path().join("cache")), ["d"]);
        assert!(cache.hit("a").is_none());
    }

    #[test]
    fn spares_copies_used_within_the_grace_period() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::open(dir.path().join("cache"), 500).unwrap();
        put(&cache, "old", 300, 3600);
        put(&cache, "fresh", 300, 0);
        put(&cache, "new", 300, 0);
        assert_eq!(names(&dir.path().join("cache")), ["fresh", "new"]);
    }

    #[test]
    fn counts_what_an_earlier_process_left() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("cache")).unwrap();
        std::fs::write(dir.path().join("cache/left"), vec![b'x'; 800]).unwrap();
        let file = std::fs::File::options()
            .append(true)
            .open(dir.path().join("cache/left"))
            .unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
        let cache = BlobCache::open(dir.path().join("cache"), 1000).unwrap();
        put(&cache, "next", 300, 0);
        assert_eq!(names(&dir.path().join("cache")), ["next"]);
        cache.remove("next").unwrap();
        assert!(names(&dir.path().join("cache")).is_empty());
    }
}
