//! The one normal form used to look words up in the lexicon and the gazetteers.
//!
//! Lists and text are folded the same way, so that `Jürgen`, `JURGEN` and `Jurgen` meet,
//! and so do `Москва` and `Moskva`: transliterate to ASCII, lowercase, keep letters and
//! digits, and turn every other run of characters into one space.

/// Fold `text` to its lookup key; empty when it holds no letter or digit.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

/// Append the lookup key of `text` to `out` (what [`fold`] returns), so that many keys
/// can share one buffer instead of a `String` each.
pub(crate) fn fold_into(text: &str, out: &mut String) {
    let start = out.len();
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_ascii() {
            push_ascii(out, start, c, &mut pending_space);
        } else if c.is_alphanumeric() {
            for a in any_ascii::any_ascii_char(c).chars() {
                push_ascii(out, start, a, &mut pending_space);
            }
        } else if !is_combining(c) {
            pending_space = out.len() > start;
        }
    }
}

/// Push one ASCII character of a key that began at `start` in `out`.
fn push_ascii(out: &mut String, start: usize, c: char, pending_space: &mut bool) {
    if c.is_ascii_alphanumeric() {
        if *pending_space {
            out.push(' ');
            *pending_space = false;
        }
        out.push(c.to_ascii_lowercase());
    } else if c != '\'' {
        // Apostrophes vanish (`O'Brien` = `OBrien`), the rest separates.
        *pending_space = out.len() > start;
    }
}

fn is_combining(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{483}'..='\u{489}' | '\u{1ab0}'..='\u{1aff}')
}

/// Whether every letter of `text` is Cyrillic (and there is at least one).
pub(crate) fn is_cyrillic(text: &str) -> bool {
    let mut any = false;
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        if !matches!(c, '\u{400}'..='\u{52f}') {
            return false;
        }
        any = true;
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_scripts() {
        assert_eq!(
            fold("Jürgen  MÜLLER-Lüdenscheidt"),
            "jurgen muller ludenscheidt"
        );
        assert_eq!(fold("O'Brien"), "obrien");
        assert_eq!(fold("Москва"), "moskva");
        assert_eq!(fold("  S.A. "), "s a");
        assert_eq!(fold("--"), "");
        let mut shared = String::from("berlin");
        fold_into(" Jürgen-O'Brien ", &mut shared);
        assert_eq!(shared, "berlinjurgen obrien");
        assert!(is_cyrillic("Путин-Иванов"));
        assert!(!is_cyrillic("Putin"));
    }
}
