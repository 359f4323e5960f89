//! E-mail addresses: a permissive local part and an IDNA 2008 domain name.
//!
//! FtM runs the domain through the `idna` package (UTS 46 mapping, then the IDNA 2008
//! rules: every code point PVALID or allowed by its context, NFC, hyphen and bidi rules)
//! and keeps it in Unicode form. We map with the `idna` crate, then apply the IDNA 2008
//! code point classes generated from the Python package on top, because UTS 46 alone
//! admits symbols (emoji, `_`) that IDNA 2008 refuses.

use unicode_normalization::{UnicodeNormalization, char::canonical_combining_class};
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use super::data::{IDNA_DB, in_ranges};
use super::text::{py_isdigit, py_isspace, py_strip};

/// Clean an address to `local@domain`, the domain lowercased and in Unicode form.
pub(crate) fn clean(text: &str) -> Option<String> {
    let email = py_strip(text);
    let email = email.strip_prefix("mailto:").unwrap_or(email);
    let (local, domain) = email.rsplit_once('@')?;
    if !valid_local(local) {
        return None;
    }
    let domain = clean_domain(domain)?;
    Some(format!("{local}@{domain}"))
}

/// `^[^<>()\[\],;:?\s@"]{1,64}$`. Like Python's `$`, one trailing line feed is allowed.
fn valid_local(local: &str) -> bool {
    let body = local.strip_suffix('\n').unwrap_or(local);
    let count = body.chars().count();
    (1..=64).contains(&count)
        && !body
            .chars()
            .any(|c| "<>()[],;:?@\"".contains(c) || py_isspace(c))
}

/// The domain part: lowercase, IDNA-encode, require a TLD of two or more characters that
/// is not all digits, and give back the Unicode form.
pub(crate) fn clean_domain(domain: &str) -> Option<String> {
    let domain = domain.trim_end_matches('.').to_lowercase();
    let ascii = idna_encode(&domain)?;
    let (_, tld) = ascii.rsplit_once('.')?;
    if tld.chars().count() < 2 || py_isdigit(tld) {
        return None;
    }
    idna_decode(&ascii)
}

fn uts46() -> idna::uts46::Uts46 {
    idna::uts46::Uts46::new()
}

/// `idna.encode(domain, uts46=True)`: the A-label form, or `None` for an invalid name.
fn idna_encode(domain: &str) -> Option<String> {
    use idna::uts46::{AsciiDenyList, DnsLength, Hyphens};
    if domain.is_empty() {
        return None;
    }
    let ascii = uts46()
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::EMPTY,
            Hyphens::Check,
            DnsLength::Ignore,
        )
        .ok()?;
    let ascii = ascii.into_owned();
    let (labels, trailing_dot) = match ascii.strip_suffix('.') {
        Some(rest) => (rest, true),
        None => (ascii.as_str(), false),
    };
    for label in labels.split('.') {
        if label.is_empty() || label.len() > 63 || !idna2008_label(label) {
            return None;
        }
    }
    let limit = if trailing_dot { 254 } else { 253 };
    (ascii.len() <= limit).then_some(ascii)
}

/// `idna.decode(domain)`: the U-label form of an A-label domain.
fn idna_decode(ascii: &str) -> Option<String> {
    use idna::uts46::{AsciiDenyList, Hyphens};
    let (unicode, result) =
        uts46().to_unicode(ascii.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Check);
    result.ok()?;
    Some(unicode.into_owned())
}

/// IDNA 2008 validity of one label given in A-label (or plain ASCII) form.
fn idna2008_label(ascii_label: &str) -> bool {
    let label: Vec<char> = match ascii_label.strip_prefix("xn--") {
        Some(puny) => match idna::punycode::decode_to_string(puny) {
            Some(decoded) if !decoded.is_empty() && !puny.ends_with('-') => {
                decoded.chars().collect()
            }
            _ => return false,
        },
        None => ascii_label.chars().collect(),
    };
    let Some(&first) = label.first() else {
        return false;
    };
    if label.iter().copied().nfc().collect::<Vec<_>>() != label {
        return false;
    }
    if label.get(2..4) == Some(&['-', '-']) || first == '-' || label.last() == Some(&'-') {
        return false;
    }
    if first.general_category_group() == GeneralCategoryGroup::Mark {
        return false;
    }
    let db = &*IDNA_DB;
    for (pos, &c) in label.iter().enumerate() {
        if in_ranges(&db.pvalid, c) {
            continue;
        }
        let ok = if in_ranges(&db.contextj, c) {
            valid_contextj(&label, pos)
        } else if in_ranges(&db.contexto, c) {
            valid_contexto(&label, pos)
        } else {
            false
        };
        if !ok {
            return false;
        }
    }
    true
}

fn in_script(c: char, script: &str) -> bool {
    IDNA_DB.scripts.get(script).is_some_and(|r| in_ranges(r, c))
}

fn joining_type(c: char) -> Option<&'static str> {
    IDNA_DB
        .joining
        .iter()
        .find(|(_, r)| in_ranges(r, c))
        .map(|(t, _)| *t)
}

/// RFC 5892 appendix A.1–A.2: zero-width (non-)joiners after a virama, or between
/// joining letters.
fn valid_contextj(label: &[char], pos: usize) -> bool {
    const VIRAMA: u8 = 9;
    let after_virama = pos > 0 && canonical_combining_class(label[pos - 1]) == VIRAMA;
    match label[pos] {
        '\u{200D}' => after_virama,
        '\u{200C}' => {
            if after_virama {
                return true;
            }
            let before = label[..pos]
                .iter()
                .rev()
                .map(|&c| joining_type(c))
                .find(|t| *t != Some("T"));
            let after = label[pos + 1..]
                .iter()
                .map(|&c| joining_type(c))
                .find(|t| *t != Some("T"));
            matches!(before, Some(Some("L" | "D"))) && matches!(after, Some(Some("R" | "D")))
        }
        _ => false,
    }
}

/// RFC 5892 appendix A.3–A.9.
fn valid_contexto(label: &[char], pos: usize) -> bool {
    let c = label[pos];
    match c {
        '\u{00B7}' => {
            pos > 0 && pos + 1 < label.len() && label[pos - 1] == 'l' && label[pos + 1] == 'l'
        }
        '\u{0375}' => pos + 1 < label.len() && in_script(label[pos + 1], "Greek"),
        '\u{05F3}' | '\u{05F4}' => pos > 0 && in_script(label[pos - 1], "Hebrew"),
        '\u{30FB}' => label.iter().any(|&o| {
            o != '\u{30FB}'
                && (in_script(o, "Hiragana") || in_script(o, "Katakana") || in_script(o, "Han"))
        }),
        '\u{0660}'..='\u{0669}' => !label.iter().any(|o| ('\u{06F0}'..='\u{06F9}').contains(o)),
        '\u{06F0}'..='\u{06F9}' => !label.iter().any(|o| ('\u{0660}'..='\u{0669}').contains(o)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(clean("Foo@Example.COM").as_deref(), Some("Foo@example.com"));
        assert_eq!(
            clean("mailto:info@example.org").as_deref(),
            Some("info@example.org")
        );
        assert_eq!(clean("a@b@example.org"), None);
        assert_eq!(clean("foo bar@example.org"), None);
        assert_eq!(clean("foo@localhost"), None);
        assert_eq!(clean("foo@127.0.0.1"), None);
        assert_eq!(clean("foo@example.c"), None);
        assert_eq!(
            clean("foo@example.com.").as_deref(),
            Some("foo@example.com")
        );
    }

    #[test]
    fn international_domains() {
        assert_eq!(clean("info@BÜCHER.de").as_deref(), Some("info@bücher.de"));
        assert_eq!(
            clean("info@xn--bcher-kva.de").as_deref(),
            Some("info@bücher.de")
        );
        assert_eq!(clean("x@straße.de").as_deref(), Some("x@straße.de"));
        assert_eq!(clean("x@under_score.com"), None);
        assert_eq!(clean("x@💩.la"), None);
        assert_eq!(clean("x@ab--cd.com"), None);
    }
}
