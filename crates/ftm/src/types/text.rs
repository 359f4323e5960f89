//! Text helpers that behave like the Python functions FtM leans on (`str.strip`,
//! `str.isalnum`, normality's `squash_spaces`, `slugify`…), so that cleaned values agree
//! character for character.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
use unicode_script::UnicodeScript;

/// FtM's `sanitize_text`: NFC, remove unsafe characters, strip; `None` when nothing is left.
pub(crate) fn sanitize_text(raw: &str) -> Option<String> {
    if raw
        .bytes()
        .all(|b| matches!(b, b'\t' | b'\n' | b'\r' | b' '..=b'~'))
    {
        // ASCII without control characters: nothing to normalize or remove, and the only
        // white space to strip is what `trim_ascii` strips.
        let stripped = raw.trim_ascii();
        return (!stripped.is_empty()).then(|| stripped.to_owned());
    }
    // Most other values are already NFC: the quick check avoids rebuilding them.
    let nfc: Cow<'_, str> = if raw.is_ascii()
        || unicode_normalization::is_nfc_quick(raw.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        Cow::Borrowed(raw)
    } else {
        Cow::Owned(raw.nfc().collect())
    };
    let safe = remove_unsafe_chars(&nfc);
    let stripped = py_strip(&safe);
    if stripped.is_empty() {
        None
    } else {
        Some(stripped.to_owned())
    }
}

/// normality's `remove_unsafe_chars`: space-like characters become a space; C0/C1
/// controls (except tab, line feed and carriage return), zero-width and bidi formatting
/// characters, soft hyphens, BOMs and surrogates are deleted.
pub(crate) fn remove_unsafe_chars(text: &str) -> Cow<'_, str> {
    let clean = if text.is_ascii() {
        text.bytes().all(|b| unsafe_char(char::from(b)).is_none())
    } else {
        !text.chars().any(|c| unsafe_char(c).is_some())
    };
    if clean {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match unsafe_char(c) {
            Some(Unsafe::Space) => out.push(' '),
            Some(Unsafe::Delete) => {}
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

enum Unsafe {
    Space,
    Delete,
}

fn unsafe_char(c: char) -> Option<Unsafe> {
    match c {
        '\u{2000}'..='\u{200A}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{0A00}'
        | '\u{1680}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}' => Some(Unsafe::Space),
        '\u{00}'..='\u{08}'
        | '\u{0B}'..='\u{0C}'
        | '\u{0E}'..='\u{1F}'
        | '\u{7F}'..='\u{9F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{061C}'
        | '\u{2060}'..='\u{2064}'
        | '\u{00AD}'
        | '\u{FEFF}' => Some(Unsafe::Delete),
        _ => None,
    }
}

/// Python's `str.isspace()`: White_Space plus the information separators U+001C–U+001F.
pub(crate) fn py_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// Python's `str.strip()` with no argument.
pub(crate) fn py_strip(text: &str) -> &str {
    text.trim_matches(py_isspace)
}

/// Python's `str.isalnum()` for one character: a letter or any kind of number.
pub(crate) fn py_isalnum(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    matches!(
        c.general_category_group(),
        GeneralCategoryGroup::Letter | GeneralCategoryGroup::Number
    )
}

/// Python's `str.isdigit()` for a whole string (empty is false). Covers decimal digits and
/// the digit-like numbers (superscripts, circled digits) that Python also counts.
pub(crate) fn py_isdigit(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| digit_value(c).is_some() || is_other_digit(c))
}

fn is_other_digit(c: char) -> bool {
    // Numeric_Type=Digit characters: superscripts, subscripts, circled and dotted digits.
    matches!(c, '\u{B2}' | '\u{B3}' | '\u{B9}' | '\u{2070}' | '\u{2074}'..='\u{2079}'
        | '\u{2080}'..='\u{2089}' | '\u{2460}'..='\u{2468}' | '\u{2474}'..='\u{247C}'
        | '\u{2488}'..='\u{2490}' | '\u{24F5}'..='\u{24FD}' | '\u{24EA}' | '\u{24FF}'
        | '\u{2776}'..='\u{277E}' | '\u{2780}'..='\u{2788}' | '\u{278A}'..='\u{2792}'
        | '\u{1369}'..='\u{1371}' | '\u{19DA}' | '\u{1F100}'..='\u{1F10A}')
}

/// The value of a decimal digit (general category Nd) in any script, as Python's `int()`
/// reads it. Unicode lays every decimal digit set out as ten consecutive code points from
/// zero to nine, so the value is the distance from the start of the run (compatibility
/// forms such as fullwidth and mathematical digits are folded to ASCII first).
pub(crate) fn digit_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return c.to_digit(10);
    }
    if c.general_category() != unicode_properties::GeneralCategory::DecimalNumber {
        return None;
    }
    let mut folded = std::iter::once(c).nfkd();
    if let (Some(d), None) = (folded.next(), folded.next())
        && d.is_ascii_digit()
    {
        return d.to_digit(10);
    }
    let mut start = c as u32;
    while start > 0 {
        match char::from_u32(start - 1) {
            Some(p)
                if p.general_category() == unicode_properties::GeneralCategory::DecimalNumber =>
            {
                start -= 1
            }
            _ => break,
        }
    }
    Some((c as u32 - start) % 10)
}

/// Parse a run of decimal digits (any script) as Python's `int()` would.
pub(crate) fn parse_digits(text: &str) -> Option<u64> {
    let mut value: u64 = 0;
    let mut any = false;
    for c in text.chars() {
        let d = digit_value(c)?;
        value = value.checked_mul(10)?.checked_add(u64::from(d))?;
        any = true;
    }
    any.then_some(value)
}

/// Characters normality's `squash_spaces` treats as white space (`\s` plus a few
/// typographic spaces, and U+0A00, which some data sets use as a space).
fn squash_space(c: char) -> bool {
    py_isspace(c) || matches!(c, '\u{0A00}')
}

/// Characters `squash_spaces` deletes outright (zero-width spaces and joiners, BOM, soft
/// hyphen, invisible operators).
fn squash_remove(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{00AD}' | '\u{2060}'..='\u{2064}'
    )
}

/// normality's `squash_spaces`: drop invisible characters, collapse runs of white space
/// into one space, and trim spaces at both ends.
pub(crate) fn squash_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if squash_remove(c) {
            continue;
        }
        if squash_space(c) {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    // `strip(" ")` only removes plain spaces, which are all gone by now.
    out
}

/// normality's `strip_quotes`: remove one pair of surrounding single or double quotes
/// (they need not match). Like the Python regex, a value with a line break inside is
/// left alone.
pub(crate) fn strip_quotes(text: &str) -> &str {
    let mut chars = text.chars();
    let (Some(first), Some(last)) = (chars.next(), chars.next_back()) else {
        return text;
    };
    let quote = |c: char| c == '"' || c == '\'';
    if !quote(first) || !quote(last) {
        return text;
    }
    let inner = &text[1..text.len() - 1];
    if inner.contains('\n') {
        return text;
    }
    inner
}

/// A transliteration of any text to ASCII, used for slugs and for keying territory names:
/// rigour's spelling for the characters its table covers (see `data/types/translit.tsv`),
/// the `any_ascii` crate's for the rest.
pub(crate) fn ascii_text(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    let table = &*super::data::TRANSLIT_DB;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else if let Some(t) = table.get(&c) {
            out.push_str(t);
        } else {
            let mut buf = [0u8; 4];
            out.push_str(&any_ascii::any_ascii(c.encode_utf8(&mut buf)));
        }
    }
    out
}

/// normality's `slugify_text` with the default `-` separator: lowercase, transliterate,
/// turn punctuation and symbols into separators, keep only `[a-z0-9]`.
pub(crate) fn slugify(text: &str) -> Option<String> {
    let lower = text.to_lowercase().replace('-', " ");
    let mut replaced = String::with_capacity(lower.len());
    for c in lower.nfkd() {
        use unicode_properties::GeneralCategory as G;
        match c.general_category() {
            G::Control | G::Format | G::Surrogate | G::PrivateUse | G::Unassigned => {}
            G::EnclosingMark | G::OtherNumber | G::CurrencySymbol | G::ModifierSymbol => {}
            G::SpacingMark
            | G::SpaceSeparator
            | G::LineSeparator
            | G::ParagraphSeparator
            | G::ConnectorPunctuation
            | G::DashPunctuation
            | G::OpenPunctuation
            | G::ClosePunctuation
            | G::InitialPunctuation
            | G::FinalPunctuation
            | G::OtherPunctuation
            | G::MathSymbol
            | G::OtherSymbol => replaced.push(' '),
            _ => replaced.push(c),
        }
    }
    // Han characters transliterate syllable by syllable (`习近平` → `xi jin ping`), and
    // the transliteration may bring back capitals, which the slug then lowercases.
    let mut spaced = String::with_capacity(replaced.len());
    for c in replaced.chars() {
        if c.script() == unicode_script::Script::Han {
            spaced.push(' ');
            spaced.push(c);
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    let ascii = ascii_text(&spaced).to_lowercase();
    let squashed = squash_spaces(&ascii);
    let slug: String = squashed
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect();
    if slug.is_empty() { None } else { Some(slug) }
}

/// Length in code points, the unit of FtM's `max_length`.
pub(crate) fn char_len(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_removes_controls_and_strips() {
        assert_eq!(
            sanitize_text("  a\u{0}b\u{200B}c\u{2003}d \n"),
            Some("abc d".into())
        );
        assert_eq!(sanitize_text(" \u{FEFF}\t"), None);
        // NFC composes a decomposed accent.
        assert_eq!(sanitize_text("Cafe\u{301}"), Some("Café".into()));
        // Tabs and line breaks inside the value survive pre-cleaning.
        assert_eq!(sanitize_text("a\tb\nc"), Some("a\tb\nc".into()));
    }

    #[test]
    fn squash_and_quotes() {
        assert_eq!(squash_spaces("  a \t\n b\u{200B}c  "), "a bc");
        assert_eq!(strip_quotes("\"John Smith'"), "John Smith");
        assert_eq!(strip_quotes("'a\nb'"), "'a\nb'");
        assert_eq!(strip_quotes("\""), "\"");
        assert_eq!(strip_quotes("''"), "");
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Vladimir Putin").as_deref(), Some("vladimir-putin"));
        assert_eq!(
            slugify("Müller-Lüdenscheidt, GmbH").as_deref(),
            Some("muller-ludenscheidt-gmbh")
        );
        assert_eq!(slugify("!!!"), None);
        assert_eq!(slugify("习近平").as_deref(), Some("xi-jin-ping"));
    }

    #[test]
    fn digits_in_other_scripts() {
        assert_eq!(digit_value('٣'), Some(3));
        assert_eq!(digit_value('７'), Some(7));
        assert_eq!(digit_value('x'), None);
        assert_eq!(parse_digits("2०2१"), Some(2021));
        assert!(py_isdigit("²3"));
        assert!(!py_isdigit(""));
    }
}
