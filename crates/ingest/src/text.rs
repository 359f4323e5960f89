//! Turning bytes of unknown encoding into text, and keeping text within limits.

use encoding_rs::Encoding;

/// Decode bytes whose encoding is unknown: a BOM wins, then valid UTF-8, then the
/// encoding `chardetng` guesses. Returns the text and the encoding's name.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return (text.into_owned(), encoding.name());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_string(), "UTF-8");
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let encoding = detector.guess(None, chardetng::Utf8Detection::Allow);
    let (text, _, _) = encoding.decode(bytes);
    (text.into_owned(), encoding.name())
}

/// Cut `text` to at most `max_bytes` bytes at a character boundary. Returns whether it
/// was cut.
pub fn truncate(text: &mut String, max_bytes: usize) -> bool {
    if text.len() <= max_bytes {
        return false;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_bom_and_latin1() {
        assert_eq!(decode("grüße".as_bytes()), ("grüße".to_string(), "UTF-8"));
        let (text, _) = decode(b"\xef\xbb\xbfbom");
        assert_eq!(text, "bom");
        let latin1 = b"Gr\xfc\xdfe aus M\xfcnchen, sch\xf6ne Gr\xfc\xdfe";
        let (text, enc) = decode(latin1);
        assert_eq!(text, "Grüße aus München, schöne Grüße");
        assert_eq!(enc, "windows-1252");
    }

    #[test]
    fn truncates_at_char_boundaries() {
        let mut s = "aé".to_string();
        assert!(truncate(&mut s, 2));
        assert_eq!(s, "a");
        let mut short = "ok".to_string();
        assert!(!truncate(&mut short, 10));
    }
}
