//! E-mail addresses: a permissive local part and an IDNA 2008 domain name.
//!
//! FtM runs the domain through the `idna` package (UTS 46 mapping, then the IDNA 2008
//! rules: every code point PVALID or allowed by its context, NFC, hyphen and bidi rules)
//! and keeps it in Unicode form. We map with ICU's UTS 46 mapper (through `idna_adapter`)
//! and Punycode-encode with the `idna` crate, but apply the label rules ourselves with the
//! IDNA 2008 code point classes generated from the Python package, because UTS 46 alone
//! admits symbols (emoji, `_`) that IDNA 2008 refuses, and the `idna` crate applies the
//! bidi rule to whole domains where the Python package applies it per label.

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
    let (ascii, unicode) = idna_encode(&domain)?;
    let (_, tld) = ascii.rsplit_once('.')?;
    if tld.chars().count() < 2 || py_isdigit(tld) {
        return None;
    }
    Some(unicode)
}

const MAX_DOMAIN: usize = 253;

/// `idna.encode(domain, uts46=True)` and `idna.decode` of the result: the A-label and
/// the U-label forms of the domain, or `None` where the `idna` package raises.
fn idna_encode(domain: &str) -> Option<(String, String)> {
    // UTS 46 mapping (non-transitional, without the STD3 rules) and NFC; disallowed
    // code points come out as U+FFFD.
    let mapped: String = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        idna_adapter::Adapter::new()
            .map_normalize(domain.chars())
            .collect()
    };
    if mapped.contains('\u{FFFD}') || mapped.chars().count() > MAX_DOMAIN + 1 {
        return None;
    }
    let mut labels: Vec<&str> = mapped.split('.').collect();
    let trailing_dot = labels.len() > 1 && labels.last() == Some(&"");
    if trailing_dot {
        labels.pop();
    }
    let mut ascii = Vec::with_capacity(labels.len());
    let mut unicode = Vec::with_capacity(labels.len());
    for label in labels {
        let (a, u) = encode_label(label)?;
        ascii.push(a);
        unicode.push(u);
    }
    if trailing_dot {
        ascii.push(String::new());
        unicode.push(String::new());
    }
    let ascii = ascii.join(".");
    let limit = MAX_DOMAIN + usize::from(trailing_dot);
    (ascii.len() <= limit).then(|| (ascii, unicode.join(".")))
}

/// `alabel` (and, for the Unicode form, `ulabel`) of one label.
fn encode_label(label: &str) -> Option<(String, String)> {
    if label.is_empty() {
        return None;
    }
    let (ascii, unicode) = if label.is_ascii() {
        let lower = label.to_ascii_lowercase();
        let unicode = match lower.strip_prefix("xn--") {
            Some(puny) => {
                if puny.is_empty() || puny.ends_with('-') {
                    return None;
                }
                let decoded = idna::punycode::decode_to_string(puny)?;
                // Only the canonical encoding of a U-label is an A-label (RFC 5891 5.3).
                if idna::punycode::encode_str(&decoded)? != puny {
                    return None;
                }
                check_label(&decoded)?;
                decoded
            }
            None => {
                check_label(&lower)?;
                lower.clone()
            }
        };
        (label.to_owned(), unicode)
    } else {
        check_label(label)?;
        (
            format!("xn--{}", idna::punycode::encode_str(label)?),
            label.to_owned(),
        )
    };
    (ascii.len() <= 63).then_some((ascii, unicode))
}

/// `check_label`: the IDNA 2008 rules for one U-label.
fn check_label(label: &str) -> Option<()> {
    if !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        // Letters, digits and the hyphen are PVALID, in NFC, without marks or
        // right-to-left characters: only the length and hyphen rules remain.
        let hyphens =
            label.get(2..4) == Some("--") || label.starts_with('-') || label.ends_with('-');
        return (label.len() <= MAX_DOMAIN + 1 && !hyphens).then_some(());
    }
    let chars: Vec<char> = label.chars().collect();
    let first = *chars.first()?;
    if chars.len() > MAX_DOMAIN + 1 || label.nfc().ne(chars.iter().copied()) {
        return None;
    }
    if chars.get(2..4) == Some(&['-', '-']) || first == '-' || chars.last() == Some(&'-') {
        return None;
    }
    if first.general_category_group() == GeneralCategoryGroup::Mark {
        return None;
    }
    let db = &*IDNA_DB;
    for (pos, &c) in chars.iter().enumerate() {
        if in_ranges(&db.pvalid, c) {
            continue;
        }
        let ok = if in_ranges(&db.contextj, c) {
            valid_contextj(&chars, pos)
        } else if in_ranges(&db.contexto, c) {
            valid_contexto(&chars, pos)
        } else {
            false
        };
        if !ok {
            return None;
        }
    }
    check_bidi(&chars).then_some(())
}

/// RFC 5893's bidi rule, applied (as the `idna` package does) only to a label that
/// holds right-to-left characters or Arabic digits.
fn check_bidi(label: &[char]) -> bool {
    use unicode_bidi::{BidiClass::*, bidi_class};
    let classes: Vec<_> = label.iter().map(|&c| bidi_class(c)).collect();
    if !classes.iter().any(|c| matches!(c, R | AL | AN)) {
        return true;
    }
    let rtl = match classes[0] {
        R | AL => true,
        L => false,
        _ => return false,
    };
    let mut valid_ending = false;
    let mut number_type = None;
    for &class in &classes {
        if rtl {
            if !matches!(class, R | AL | AN | EN | ES | CS | ET | ON | BN | NSM) {
                return false;
            }
            if matches!(class, R | AL | EN | AN) {
                valid_ending = true;
            } else if class != NSM {
                valid_ending = false;
            }
            if matches!(class, AN | EN) {
                match number_type {
                    None => number_type = Some(class),
                    Some(t) if t != class => return false,
                    Some(_) => {}
                }
            }
        } else {
            if !matches!(class, L | EN | ES | CS | ET | ON | BN | NSM) {
                return false;
            }
            if matches!(class, L | EN) {
                valid_ending = true;
            } else if class != NSM {
                valid_ending = false;
            }
        }
    }
    valid_ending
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
