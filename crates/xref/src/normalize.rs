//! Turning a raw name into comparable tokens: transliteration to ASCII, lower case,
//! punctuation removed.
//!
//! Everything downstream (legal forms, phonetic keys, edit distances, blocking keys) works
//! on the ASCII tokens, so "Владимир Путин" and "Vladimir PUTIN" meet at the first step.

/// Split a name into lower-case ASCII tokens.
///
/// Apostrophes join (`O'Brien` → `obrien`, the Russian soft sign in transliteration goes
/// away); every other non-alphanumeric character separates. Dotted single letters
/// (`S.A.`, `B.V.`) come out as separate one-letter tokens; the legal-form table knows
/// those sequences.
pub(crate) fn tokenize(raw: &str) -> Vec<String> {
    let ascii = if raw.is_ascii() {
        raw.to_owned()
    } else {
        any_ascii::any_ascii(raw)
    };
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            current.push(c.to_ascii_lowercase());
        } else if c == '\'' || c == '`' {
            // Joining: "O'Brien", "d'Artagnan", "Mar'ina" are written both ways.
        } else if !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    if raw.chars().any(is_han) {
        split_camel_pinyin(&ascii, &mut tokens);
    }
    tokens
}

/// CJK unified ideographs (and their extension A), whose transliteration runs syllables
/// together.
fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// any_ascii writes a run of Han characters as capitalised syllables without spaces
/// ("张三" → "ZhangSan"); a Latin source would write "Zhang San". When the original
/// had such a run, the token is split at the capitals so the two spellings agree.
fn split_camel_pinyin(ascii: &str, tokens: &mut Vec<String>) {
    let has_camel = ascii
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
    if !has_camel {
        return;
    }
    let mut split = Vec::with_capacity(tokens.len() + 2);
    for word in ascii.split(|c: char| !c.is_ascii_alphanumeric() && c != '\'' && c != '`') {
        let mut current = String::new();
        let mut previous_lower = false;
        for c in word.chars() {
            if c == '\'' || c == '`' {
                continue;
            }
            if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
                split.push(std::mem::take(&mut current));
            }
            previous_lower = c.is_ascii_lowercase();
            current.push(c.to_ascii_lowercase());
        }
        if !current.is_empty() {
            split.push(current);
        }
    }
    *tokens = split;
}

/// Whether a token is written only with digits.
pub(crate) fn is_number(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::tokenize;

    #[test]
    fn transliterates_and_lowercases() {
        assert_eq!(tokenize("Владимир Путин"), ["vladimir", "putin"]);
        assert_eq!(tokenize("PUTIN, Vladimir"), ["putin", "vladimir"]);
        assert_eq!(
            tokenize("Jürgen Müller-Lüdenscheidt"),
            ["jurgen", "muller", "ludenscheidt"]
        );
    }

    #[test]
    fn apostrophes_join_and_dots_separate() {
        assert_eq!(tokenize("Seán O'Brien"), ["sean", "obrien"]);
        assert_eq!(tokenize("ACME S.A."), ["acme", "s", "a"]);
        assert_eq!(tokenize("J.Smith"), ["j", "smith"]);
        assert_eq!(
            tokenize("Общество с ограниченной ответственностью «Ромашка»"),
            [
                "obshchestvo",
                "s",
                "ogranichennoy",
                "otvetstvennostyu",
                "romashka"
            ]
        );
    }

    #[test]
    fn han_syllables_split_like_a_latin_spelling() {
        assert_eq!(tokenize("张三"), ["zhang", "san"]);
        // Only transliterated Han is split: a Latin "McDonald" stays one word.
        assert_eq!(tokenize("McDonald"), ["mcdonald"]);
    }
}
