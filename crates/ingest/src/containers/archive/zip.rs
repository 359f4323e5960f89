//! Zip archives, read through the central directory; when that is missing (a truncated
//! download), the local headers are read one after another until the damage.
//!
//! Zip names carry no reliable encoding: the UTF-8 flag is often missing, and Windows
//! writes names in the OEM code page of the machine (CP437, CP866, Shift_JIS…). The names
//! that are not UTF-8 are pooled and their encoding guessed once for the whole archive.

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::Path;

use encoding_rs::Encoding;
use ftm::Entity;
use zip::ZipArchive;
use zip::result::ZipError;

use super::{SkipReason, Unpacker, conclude};
use crate::{Context, IngestError, Sink};

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let file = BufReader::new(File::open(path)?);
    let mut unpacker = Unpacker::new(entity, path, ctx, sink)?;
    let walked = match ZipArchive::new(file) {
        Ok(mut archive) => walk_directory(&mut archive, &mut unpacker),
        Err(ZipError::Io(err)) => Err(err.into()),
        Err(err) => {
            // No usable central directory: read what the local headers still give.
            let streamed = walk_stream(path, &mut unpacker);
            match streamed {
                Ok(()) if unpacker.member_count() == 0 => Err(IngestError::corrupt(format!(
                    "not a readable zip archive: {err}"
                ))),
                Ok(()) => Err(IngestError::corrupt(format!(
                    "zip archive is damaged ({err}); only the members before the damage were unpacked"
                ))),
                Err(e) => Err(e),
            }
        }
    };
    conclude(unpacker, entity, walked, "zip archive")
}

fn walk_directory(
    archive: &mut ZipArchive<BufReader<File>>,
    unpacker: &mut Unpacker<'_>,
) -> Result<(), IngestError> {
    let names = NameDecoder::for_archive(archive);
    let mut damaged: Vec<String> = Vec::new();
    for index in 0..archive.len() {
        let (raw, encrypted, is_dir, is_link) = match archive.by_index_raw(index) {
            Ok(f) => (
                f.name_raw().to_vec(),
                f.encrypted(),
                f.is_dir(),
                f.is_symlink(),
            ),
            Err(err) => {
                damaged.push(format!("member {index}: {err}"));
                continue;
            }
        };
        let name = names.decode(&raw);
        if is_dir {
            unpacker.directory(&name)?;
            continue;
        }
        if is_link {
            unpacker.skip(&name, SkipReason::Link);
            continue;
        }
        if encrypted {
            unpacker.skip(&name, SkipReason::Encrypted);
            continue;
        }
        let mut member = match archive.by_index(index) {
            Ok(member) => member,
            Err(ZipError::UnsupportedArchive(what))
                if what.to_ascii_lowercase().contains("password") =>
            {
                unpacker.skip(&name, SkipReason::Encrypted);
                continue;
            }
            Err(err) => {
                unpacker.skip(&name, SkipReason::Unreadable);
                damaged.push(format!("{name}: {err}"));
                continue;
            }
        };
        let packed = member.compressed_size();
        match unpacker.file(&name, &mut member, Some(packed)) {
            Ok(()) => {}
            // A damaged member does not spoil the others: the central directory still
            // says where each one starts.
            Err(err) if err.class == crate::ErrorClass::Corrupt => {
                unpacker.skip(&name, SkipReason::Unreadable);
                damaged.push(err.message);
            }
            Err(err) => return Err(err),
        }
    }
    if damaged.is_empty() {
        return Ok(());
    }
    Err(IngestError::corrupt(format!(
        "zip archive is damaged; {} member(s) could not be read: {}",
        damaged.len(),
        damaged.join("; ")
    )))
}

/// Read members from the local headers, front to back, until the end or the damage.
fn walk_stream(path: &Path, unpacker: &mut Unpacker<'_>) -> Result<(), IngestError> {
    let mut file = BufReader::new(File::open(path)?);
    file.seek(SeekFrom::Start(0))?;
    loop {
        let member = match zip::read::read_zipfile_from_stream(&mut file) {
            Ok(Some(member)) => member,
            Ok(None) => return Ok(()),
            Err(err) => {
                return if unpacker.member_count() == 0 {
                    Ok(())
                } else {
                    Err(IngestError::corrupt(format!(
                        "zip archive is damaged: {err}"
                    )))
                };
            }
        };
        let mut member = member;
        let name = NameDecoder::Cp437.decode(member.name_raw());
        if member.is_dir() {
            unpacker.directory(&name)?;
        } else if member.is_symlink() {
            unpacker.skip(&name, SkipReason::Link);
        } else if member.encrypted() {
            unpacker.skip(&name, SkipReason::Encrypted);
        } else {
            let packed = member.compressed_size();
            unpacker.file(&name, &mut member, Some(packed))?;
        }
    }
}

/// How the non-UTF-8 names of one archive are decoded.
enum NameDecoder {
    /// The zip default (and what Windows writes on Western machines).
    Cp437,
    /// An encoding guessed from the names themselves (Cyrillic DOS, Japanese, Chinese…).
    Guessed(&'static Encoding),
}

impl NameDecoder {
    fn for_archive(archive: &mut ZipArchive<BufReader<File>>) -> NameDecoder {
        let mut sample: Vec<u8> = Vec::new();
        for index in 0..archive.len() {
            if sample.len() > 64 * 1024 {
                break;
            }
            if let Ok(f) = archive.by_index_raw(index) {
                let raw = f.name_raw();
                if std::str::from_utf8(raw).is_err() {
                    sample.extend_from_slice(raw);
                    sample.push(b'\n');
                }
            }
        }
        NameDecoder::guess(&sample)
    }

    fn guess(sample: &[u8]) -> NameDecoder {
        if sample.is_empty() {
            return NameDecoder::Cp437;
        }
        let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        detector.feed(sample, true);
        let encoding = detector.guess(None, chardetng::Utf8Detection::Deny);
        // chardetng knows no DOS Western code page: a "Western" guess most likely means
        // CP437/CP850 names, whose accented letters sit where windows-1252 has controls.
        let multibyte_or_cyrillic = [
            encoding_rs::SHIFT_JIS,
            encoding_rs::EUC_JP,
            encoding_rs::GBK,
            encoding_rs::BIG5,
            encoding_rs::EUC_KR,
            encoding_rs::IBM866,
            encoding_rs::KOI8_R,
            encoding_rs::WINDOWS_1251,
        ];
        if multibyte_or_cyrillic.contains(&encoding) {
            let (text, _, had_errors) = encoding.decode(sample);
            // Short names are ambiguous (two CP437 umlauts are also one Shift_JIS symbol):
            // the guess must read as letters more often than CP437 does.
            let cp437: String = sample.iter().map(|b| cp437(*b)).collect();
            if !had_errors
                && letter_share(&text, char::is_alphabetic) > letter_share(&cp437, is_latin_letter)
            {
                return NameDecoder::Guessed(encoding);
            }
        }
        NameDecoder::Cp437
    }

    fn decode(&self, raw: &[u8]) -> String {
        if let Ok(name) = std::str::from_utf8(raw) {
            return name.to_string();
        }
        match self {
            NameDecoder::Guessed(encoding) => encoding.decode(raw).0.into_owned(),
            NameDecoder::Cp437 => raw.iter().map(|b| cp437(*b)).collect(),
        }
    }
}

/// Of the non-ASCII characters in `text`, the share that `is_letter` accepts.
fn letter_share(text: &str, is_letter: fn(char) -> bool) -> f64 {
    let (letters, total) = text
        .chars()
        .filter(|c| !c.is_ascii())
        .fold((0u32, 0u32), |(l, t), c| {
            (l + u32::from(is_letter(c)), t + 1)
        });
    if total == 0 {
        0.0
    } else {
        f64::from(letters) / f64::from(total)
    }
}

/// Accented Latin letters: what CP437 names of Western users decode to (its Greek
/// letters and box drawing are what other code pages' bytes turn into).
fn is_latin_letter(c: char) -> bool {
    c.is_alphabetic() && ('\u{c0}'..='\u{24f}').contains(&c)
}

/// The character of one CP437 byte.
fn cp437(byte: u8) -> char {
    const HIGH: [char; 128] = [
        'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
        'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', //
        'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
        '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', //
        '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', //
        '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', //
        'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', //
        '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
    ];
    if byte < 0x80 {
        char::from(byte)
    } else {
        HIGH[usize::from(byte - 0x80)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp437_names_decode() {
        let decoder = NameDecoder::guess(b"Gr\x81\xe1e.txt\n");
        assert_eq!(decoder.decode(b"Gr\x81\xe1e.txt"), "Grüße.txt");
    }

    #[test]
    fn dos_cyrillic_names_are_recognised() {
        let (raw, _, _) = encoding_rs::IBM866.encode("Отчет о расходах компании.txt");
        let decoder = NameDecoder::guess(&raw);
        assert_eq!(decoder.decode(&raw), "Отчет о расходах компании.txt");
    }

    #[test]
    fn utf8_names_pass_through() {
        assert_eq!(
            NameDecoder::Cp437.decode("Grüße.txt".as_bytes()),
            "Grüße.txt"
        );
    }

    #[test]
    fn shift_jis_names_are_recognised() {
        let (raw, _, _) = encoding_rs::SHIFT_JIS.encode("日本語の書類と報告書のファイル.txt");
        let decoder = NameDecoder::guess(&raw);
        assert_eq!(decoder.decode(&raw), "日本語の書類と報告書のファイル.txt");
    }
}
