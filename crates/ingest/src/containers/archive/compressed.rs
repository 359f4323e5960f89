//! gzip, bzip2 and xz: a single compressed stream. When the stream holds a tar archive
//! (`.tar.gz`, `.tgz`, `.tar.xz`…) the package holds the tar's members; otherwise it holds
//! one child named after the file without its compression extension (`data.csv.gz` →
//! `data.csv`), or the name stored in the gzip header.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::Path;

use ftm::Entity;

use super::{Unpacker, conclude, tar};
use crate::{Context, FileInfo, Format, IngestError, Sink};

pub(crate) fn ingest(
    format: Format,
    entity: &mut Entity,
    path: &Path,
    info: &FileInfo,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let file = BufReader::new(File::open(path)?);
    let (mut decoder, stored_name): (Box<dyn Read>, Option<String>) = match format {
        Format::Gzip => {
            let decoder = flate2::bufread::MultiGzDecoder::new(file);
            let name = decoder
                .header()
                .and_then(|h| h.filename())
                .map(|n| String::from_utf8_lossy(n).into_owned());
            (Box::new(decoder), name)
        }
        Format::Bzip2 => (Box::new(bzip2::bufread::MultiBzDecoder::new(file)), None),
        Format::Xz => (Box::new(lzma_rust2::XzReader::new(file, true)), None),
        _ => return Err(IngestError::unsupported()),
    };
    let what = match format {
        Format::Gzip => "gzip file",
        Format::Bzip2 => "bzip2 file",
        _ => "xz file",
    };

    let mut head = vec![0u8; 512];
    let got = read_up_to(&mut decoder, &mut head)
        .map_err(|e| IngestError::corrupt(format!("not a readable {what}: {e}")))?;
    head.truncate(got);
    let mut stream = Cursor::new(head.clone()).chain(decoder);

    let mut unpacker = Unpacker::new(entity, path, ctx, sink)?;
    let walked = if tar::looks_like_tar(&head) {
        tar::walk(&mut stream, &mut unpacker)
    } else {
        let name = stored_name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| inner_name(info.file_name.as_deref()));
        unpacker.file(&name, &mut stream, None)
    };
    conclude(unpacker, entity, walked, what)
}

/// The name of the single file inside: the outer name without its last extension, with
/// the `.tgz`-style shorthands spelt out.
fn inner_name(file_name: Option<&str>) -> String {
    let base = file_name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let Some((stem, ext)) = base.rsplit_once('.') else {
        return if base.is_empty() {
            "data".to_string()
        } else {
            base.to_string()
        };
    };
    if stem.is_empty() {
        return "data".to_string();
    }
    match ext.to_ascii_lowercase().as_str() {
        "tgz" | "tbz2" | "tbz" | "txz" => format!("{stem}.tar"),
        _ => stem.to_string(),
    }
}

/// Fill as much of `buf` as the stream has.
fn read_up_to(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_names_drop_the_compression_extension() {
        assert_eq!(inner_name(Some("report.csv.gz")), "report.csv");
        assert_eq!(inner_name(Some("dir/notes.txt.bz2")), "notes.txt");
        assert_eq!(inner_name(Some("backup.tgz")), "backup.tar");
        assert_eq!(inner_name(Some("plain")), "plain");
        assert_eq!(inner_name(None), "data");
    }
}
