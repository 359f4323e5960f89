//! OCR with the `tesseract` executable, one image at a time.
//!
//! Tesseract is CPU-bound, and many workers may run on one machine, each wanting to OCR a
//! scanned page at the same moment. A machine-wide budget keeps them from oversubscribing
//! the CPU: before running, a worker takes one of N slot files under a shared directory
//! with an exclusive `flock`; the kernel releases the lock when the process ends, however
//! it ends, so a crashed worker never leaks a slot. Tesseract itself runs single-threaded
//! (`OMP_THREAD_LIMIT=1`): one slot is one core.
//!
//! The slot directory is `$ALEPH_OCR_SLOT_DIR`, else `aleph-ocr-slots` in the system's
//! temporary directory; N is `$ALEPH_OCR_SLOTS`, else the number of cores.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::tool;
use crate::{Context, IngestError, OcrConfig};

/// Most bytes of recognised text taken from one image.
const MAX_OCR_TEXT: usize = 4 * 1024 * 1024;

/// Recognise the text in the image file at `image`.
pub(crate) fn recognise(
    ocr: &OcrConfig,
    image: &Path,
    ctx: &Context,
) -> Result<String, IngestError> {
    let timeout = ctx.limits.tool_timeout;
    let _slot = Slot::acquire(&slot_dir(), slot_count(), timeout)?;
    let languages = if ocr.languages.is_empty() {
        "eng".to_string()
    } else {
        ocr.languages.join("+")
    };
    let out = tool::run(
        Command::new(&ocr.tesseract)
            .arg(image)
            .arg("stdout")
            .args(["-l", &languages])
            .env("OMP_THREAD_LIMIT", "1"),
        timeout,
        MAX_OCR_TEXT,
    )?;
    if !out.status.success() {
        return Err(IngestError::tool(format!(
            "tesseract failed on a page image: {}",
            tool::last_line(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn slot_dir() -> PathBuf {
    std::env::var_os("ALEPH_OCR_SLOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("aleph-ocr-slots"))
}

fn slot_count() -> usize {
    std::env::var("ALEPH_OCR_SLOTS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        // Each slot is an open file while waiting; more slots than this makes no sense.
        .min(256)
}

/// One of the machine's OCR slots, held until dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    // Holding the open, locked file is holding the slot.
    _file: File,
}

impl Slot {
    /// Take a free slot among `count` under `dir`, waiting at most `wait` for one.
    pub(crate) fn acquire(dir: &Path, count: usize, wait: Duration) -> Result<Slot, IngestError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            IngestError::tool(format!(
                "cannot create the OCR slot directory {}: {e}",
                dir.display()
            ))
        })?;
        let files = (0..count.max(1))
            .map(|i| {
                OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(dir.join(format!("slot-{i}")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                IngestError::tool(format!("cannot open an OCR slot in {}: {e}", dir.display()))
            })?;
        // Start at a different slot in each process, so waiting workers spread out.
        let offset = std::process::id() as usize % files.len();
        let deadline = Instant::now() + wait;
        let mut files: Vec<Option<File>> = files.into_iter().map(Some).collect();
        loop {
            for k in 0..files.len() {
                let i = (k + offset) % files.len();
                let Some(file) = files[i].as_ref() else {
                    continue;
                };
                match file.try_lock() {
                    Ok(()) => {
                        let file = files[i]
                            .take()
                            .ok_or_else(|| IngestError::tool("OCR slot vanished"))?;
                        return Ok(Slot { _file: file });
                    }
                    Err(TryLockError::WouldBlock) => {}
                    Err(TryLockError::Error(e)) => {
                        return Err(IngestError::tool(format!("cannot lock an OCR slot: {e}")));
                    }
                }
            }
            if Instant::now() >= deadline {
                return Err(IngestError::limit(format!(
                    "no OCR slot became free within {} s",
                    wait.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_exclusive_and_released_on_drop() {
        let dir = std::env::temp_dir().join(format!("ocr-slots-test-{}", std::process::id()));
        let a = Slot::acquire(&dir, 2, Duration::from_secs(1)).unwrap();
        let b = Slot::acquire(&dir, 2, Duration::from_secs(1)).unwrap();
        // Both slots are held (flock locks are per open file, so this holds within one
        // process too): a third caller waits, then gives up.
        let err = Slot::acquire(&dir, 2, Duration::from_millis(200)).unwrap_err();
        assert_eq!(err.class, crate::ErrorClass::Limit);
        drop(a);
        let c = Slot::acquire(&dir, 2, Duration::from_secs(1)).unwrap();
        drop((b, c));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
