//! The zip package under OOXML and OpenDocument files, read part by part within limits:
//! a part may not unpack to more than `max_unpacked_bytes` nor at a ratio above
//! `max_ratio` (a zip bomb dressed as a document).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use zip::ZipArchive;
use zip::result::ZipError;

use crate::{Context, IngestError};

/// Parts smaller than this are never suspicious, however well they compress.
const RATIO_FLOOR: u64 = 1024 * 1024;

/// The first bytes of an OLE compound file.
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

pub(super) struct Package {
    zip: ZipArchive<BufReader<File>>,
    max_bytes: u64,
    max_ratio: u64,
    /// What the file is, for messages ("The Word document").
    what: &'static str,
}

impl Package {
    pub(super) fn open(
        path: &Path,
        what: &'static str,
        ctx: &Context,
    ) -> Result<Package, IngestError> {
        let mut head = [0u8; 8];
        let n = File::open(path)?.read(&mut head)?;
        if n == 8 && head == CFB_MAGIC {
            // Office keeps password-protected OOXML files in an OLE container.
            let encrypted = cfb::open(path)
                .map(|c| c.exists("/EncryptedPackage"))
                .unwrap_or(false);
            return Err(if encrypted {
                IngestError::encrypted(what)
            } else {
                IngestError::corrupt(format!("{what} is an OLE compound file, not a zip package"))
            });
        }
        let zip = ZipArchive::new(BufReader::new(File::open(path)?)).map_err(|e| {
            IngestError::corrupt(format!("{what} is not a readable zip package: {e}"))
        })?;
        Ok(Package {
            zip,
            max_bytes: ctx.limits.max_unpacked_bytes,
            max_ratio: ctx.limits.max_ratio,
            what,
        })
    }

    pub(super) fn what(&self) -> &'static str {
        self.what
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.zip.index_for_name(name).is_some()
    }

    /// Names of all parts.
    pub(super) fn names(&self) -> Vec<String> {
        self.zip
            .file_names()
            .filter_map(Result::ok)
            .map(|n| n.into_owned())
            .collect()
    }

    /// Stream the part `name` through `read`; `None` if there is no such part.
    pub(super) fn with_part<T>(
        &mut self,
        name: &str,
        read: impl FnOnce(&mut dyn BufRead) -> Result<T, IngestError>,
    ) -> Result<Option<T>, IngestError> {
        let what = self.what;
        let file = match self.zip.by_name(name) {
            Ok(file) => file,
            Err(ZipError::FileNotFound) => return Ok(None),
            Err(ZipError::UnsupportedArchive(msg)) if msg == ZipError::PASSWORD_REQUIRED => {
                return Err(IngestError::encrypted(what));
            }
            Err(e) => {
                return Err(IngestError::corrupt(format!(
                    "{what}: cannot read {name}: {e}"
                )));
            }
        };
        if file.encrypted() {
            return Err(IngestError::encrypted(what));
        }
        let (size, packed) = (file.size(), file.compressed_size().max(1));
        if size > RATIO_FLOOR && size / packed > self.max_ratio {
            return Err(IngestError::limit(format!(
                "{what}: part {name} unpacks {} times its packed size (ratio limit {})",
                size / packed,
                self.max_ratio
            )));
        }
        let mut input = BufReader::new(Capped {
            inner: file,
            left: self.max_bytes,
        });
        read(&mut input).map(Some)
    }

    /// The whole part `name`, if present.
    pub(super) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, IngestError> {
        let what = self.what;
        self.with_part(name, |r| {
            let mut bytes = Vec::new();
            r.read_to_end(&mut bytes)
                .map_err(|e| part_error(what, name, e))?;
            Ok(bytes)
        })
    }
}

/// A read error inside a part: past the byte limit is `Limit`, anything else damage.
pub(super) fn part_error(what: &str, name: &str, err: std::io::Error) -> IngestError {
    if err.kind() == std::io::ErrorKind::FileTooLarge {
        IngestError::limit(format!(
            "{what}: part {name} is larger than the unpacked size limit"
        ))
    } else {
        IngestError::corrupt(format!("{what}: cannot read {name}: {err}"))
    }
}

/// A reader that fails (rather than silently stopping) once `left` bytes were read, so
/// a part that lies about its size still hits the limit.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let n64 = n as u64;
        if n64 > self.left {
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                "part exceeds the unpacked size limit",
            ));
        }
        self.left -= n64;
        Ok(n)
    }
}

/// Resolve a relationship target against the folder of the part that refers to it
/// (`word/` + `../media/x.png`), or take it as is when absolute (`/ppt/slides/s1.xml`).
pub(super) fn resolve_target(base_dir: &str, target: &str) -> String {
    if let Some(absolute) = target.strip_prefix('/') {
        return absolute.to_string();
    }
    let mut parts: Vec<&str> = base_dir.split('/').filter(|p| !p.is_empty()).collect();
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relationship_targets() {
        assert_eq!(
            resolve_target("ppt", "slides/slide1.xml"),
            "ppt/slides/slide1.xml"
        );
        assert_eq!(
            resolve_target("ppt/slides", "../notesSlides/n1.xml"),
            "ppt/notesSlides/n1.xml"
        );
        assert_eq!(
            resolve_target("ppt", "/ppt/slides/slide2.xml"),
            "ppt/slides/slide2.xml"
        );
    }
}
