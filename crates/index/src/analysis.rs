//! How text becomes searchable tokens, and names become comparison keys.
//!
//! One analyzer serves indexing, querying and highlighting, so that a word found in a query is
//! found again in the stored text at the same place. Words are runs of letters, digits and
//! combining marks; CJK ideographs and kana are one word each (there are no spaces to split
//! on). Every word is lower-cased and transliterated to ASCII with `any_ascii`, so `Путин`,
//! `PUTIN` and `putin` are the same token, and so are `Müller` and `Muller`. Words with German
//! umlauts also yield the `ae`/`oe`/`ue` spelling (`mueller`) at the same position when indexed,
//! which is how a query for `Mueller` finds `Müller`.

use unicode_normalization::char::is_combining_mark;

/// Tokens longer than this (in bytes, after folding) are dropped: they are base64 blobs, hashes
/// glued to text or other noise that no one searches for word by word.
pub const MAX_TOKEN_BYTES: usize = 80;

/// One word of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The folded form: lower-case ASCII letters and digits.
    pub text: String,
    /// Byte range of the word in the original text.
    pub from: usize,
    pub to: usize,
    /// Word number in the text; alternative spellings share the position of their word.
    pub position: usize,
}

/// Whether a character is part of a word.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Characters that form a word on their own: scripts written without spaces.
fn is_standalone(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF       // hiragana, katakana
        | 0x3400..=0x4DBF     // CJK extension A
        | 0x4E00..=0x9FFF     // CJK unified ideographs
        | 0xF900..=0xFAFF     // CJK compatibility ideographs
        | 0x20000..=0x2FA1F   // CJK extensions B-F, compatibility supplement
    )
}

/// The byte ranges of the words of a text, in order.
pub fn words(text: &str) -> Words<'_> {
    Words {
        text,
        at: 0,
        start: None,
        pending: None,
    }
}

/// Iterator over the words of a text; see [`words`].
pub struct Words<'a> {
    text: &'a str,
    /// Byte offset of the next character to look at.
    at: usize,
    start: Option<usize>,
    /// A standalone character found right after a word ended, returned next.
    pending: Option<(usize, usize)>,
}

impl Iterator for Words<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        if let Some(p) = self.pending.take() {
            return Some(p);
        }
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.at) {
            let i = self.at;
            // Most indexed text is ASCII: a byte is a whole character there, and only
            // letters and digits are word characters (no ASCII character is a combining
            // mark or a standalone one), so the Unicode tables are not needed.
            if b.is_ascii() {
                self.at += 1;
                if b.is_ascii_alphanumeric() {
                    if self.start.is_none() {
                        self.start = Some(i);
                    }
                } else if let Some(s) = self.start.take() {
                    return Some((s, i));
                }
                continue;
            }
            let Some(c) = self.text[i..].chars().next() else {
                break;
            };
            self.at += c.len_utf8();
            if is_standalone(c) {
                let single = (i, self.at);
                if let Some(s) = self.start.take() {
                    self.pending = Some(single);
                    return Some((s, i));
                }
                return Some(single);
            } else if is_word_char(c) {
                if self.start.is_none() {
                    self.start = Some(i);
                }
            } else if let Some(s) = self.start.take() {
                return Some((s, i));
            }
        }
        self.start.take().map(|s| (s, self.text.len()))
    }
}

/// Calls `f(from, to)` for the byte range of every word of `text`, in order.
pub fn for_each_word(text: &str, mut f: impl FnMut(usize, usize)) {
    for (from, to) in words(text) {
        f(from, to);
    }
}

/// Appends the folded form of one word to `out`: lower-case ASCII alphanumerics only.
pub fn fold_into(word: &str, out: &mut String) {
    if word.is_ascii() {
        out.extend(
            word.bytes()
                .filter(u8::is_ascii_alphanumeric)
                .map(|b| b.to_ascii_lowercase() as char),
        );
        return;
    }
    for c in word.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            }
            continue;
        }
        for t in any_ascii::any_ascii_char(c).chars() {
            if t.is_ascii_alphanumeric() {
                out.push(t.to_ascii_lowercase());
            }
        }
    }
}

/// The folded form of one word.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    fold_into(word, &mut out);
    out
}

/// The German spelling of a word with umlauts (`Müller` → `mueller`), if it has any.
pub fn umlaut_variant(word: &str) -> Option<String> {
    if !word
        .chars()
        .any(|c| matches!(c, 'ä' | 'ö' | 'ü' | 'Ä' | 'Ö' | 'Ü'))
    {
        return None;
    }
    let mut expanded = String::with_capacity(word.len() + 4);
    for c in word.chars() {
        match c {
            'ä' | 'Ä' => expanded.push_str("ae"),
            'ö' | 'Ö' => expanded.push_str("oe"),
            'ü' | 'Ü' => expanded.push_str("ue"),
            other => expanded.push(other),
        }
    }
    Some(fold(&expanded))
}

/// Every token of `text` as indexed: the folded form of each word, plus its umlaut spelling.
pub fn index_tokens(text: &str, mut f: impl FnMut(&Token)) {
    let mut position = 0;
    let mut token = Token {
        text: String::new(),
        from: 0,
        to: 0,
        position: 0,
    };
    for_each_word(text, |from, to| {
        let word = &text[from..to];
        token.text.clear();
        fold_into(word, &mut token.text);
        if token.text.is_empty() || token.text.len() > MAX_TOKEN_BYTES {
            return;
        }
        token.from = from;
        token.to = to;
        token.position = position;
        f(&token);
        if !word.is_ascii()
            && let Some(variant) = umlaut_variant(word)
            && variant != token.text
        {
            token.text = variant;
            f(&token);
        }
        position += 1;
    });
}

/// The folded words of a query string, in order (no alternative spellings: those are indexed).
pub fn query_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for_each_word(text, |from, to| {
        let folded = fold(&text[from..to]);
        if !folded.is_empty() && folded.len() <= MAX_TOKEN_BYTES {
            words.push(folded);
        }
    });
    words
}

/// The comparison keys of a name: its folded words joined by single spaces, and the umlaut
/// spelling when it differs. `Владимир  Путин` → `vladimir putin`; `Jürgen Müller` →
/// `jurgen muller` and `juergen mueller`.
pub fn name_keys(name: &str) -> Vec<String> {
    let mut plain = Vec::new();
    let mut german = Vec::new();
    let mut differs = false;
    for_each_word(name, |from, to| {
        let word = &name[from..to];
        let folded = fold(word);
        if folded.is_empty() {
            return;
        }
        match umlaut_variant(word) {
            Some(v) if v != folded => {
                differs = true;
                german.push(v);
            }
            _ => german.push(folded.clone()),
        }
        plain.push(folded);
    });
    if plain.is_empty() {
        return Vec::new();
    }
    let mut keys = vec![plain.join(" ")];
    if differs {
        keys.push(german.join(" "));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        index_tokens(text, |t| out.push((t.text.clone(), t.position)));
        out
    }

    #[test]
    fn folds_scripts_and_case() {
        assert_eq!(query_words("Путин"), vec!["putin"]);
        assert_eq!(query_words("PUTIN, Vladimir"), vec!["putin", "vladimir"]);
        assert_eq!(query_words("Müller"), vec!["muller"]);
        assert_eq!(query_words("Straße"), vec!["strasse"]);
        assert_eq!(query_words("Émile Zola"), vec!["emile", "zola"]);
        assert_eq!(query_words("x@y.org"), vec!["x", "y", "org"]);
        assert!(query_words(" ... -- ").is_empty());
    }

    #[test]
    fn umlauts_are_indexed_both_ways_at_one_position() {
        assert_eq!(
            texts("Jürgen Müller"),
            vec![
                ("jurgen".to_string(), 0),
                ("juergen".to_string(), 0),
                ("muller".to_string(), 1),
                ("mueller".to_string(), 1)
            ]
        );
    }

    #[test]
    fn cjk_characters_are_words() {
        let words = query_words("北京市");
        assert_eq!(words.len(), 3);
        assert_eq!(words[0], "bei");
    }

    #[test]
    fn combining_marks_stay_in_words() {
        // "e" followed by a combining acute accent is one word.
        assert_eq!(query_words("Cafe\u{301} noir"), vec!["cafe", "noir"]);
    }

    #[test]
    fn offsets_point_into_the_original() {
        let text = "Der Müller kam";
        let mut spans = Vec::new();
        index_tokens(text, |t| spans.push(&text[t.from..t.to]));
        assert_eq!(spans, vec!["Der", "Müller", "Müller", "kam"]);
    }

    #[test]
    fn name_keys_fold_and_expand() {
        assert_eq!(name_keys("Владимир  Путин"), vec!["vladimir putin"]);
        assert_eq!(
            name_keys("Jürgen Müller"),
            vec!["jurgen muller", "juergen mueller"]
        );
        assert_eq!(name_keys("ACME, Inc."), vec!["acme inc"]);
        assert!(name_keys("--").is_empty());
    }

    /// Word ranges found character by character, without the ASCII shortcut of [`words`].
    fn words_by_char(text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices() {
            if is_standalone(c) {
                if let Some(s) = start.take() {
                    out.push((s, i));
                }
                out.push((i, i + c.len_utf8()));
            } else if is_word_char(c) {
                start.get_or_insert(i);
            } else if let Some(s) = start.take() {
                out.push((s, i));
            }
        }
        if let Some(s) = start {
            out.push((s, text.len()));
        }
        out
    }

    #[test]
    fn ascii_shortcut_finds_the_same_words() {
        for text in [
            "",
            "plain ascii, with punctuation: a-b_c (d) 42x!",
            "Jürgen Müller kam nach Köln",
            "mixed北京市text and 東京 too",
            "Cafe\u{301} noir\u{301}x",
            "Путин, В.В. — 2019",
            "tab\tnew\nline\r\n end",
            "émoji 😀 between words😀glued",
            "x@y.org https://example.com/a?b=c#d",
        ] {
            let fast: Vec<(usize, usize)> = words(text).collect();
            assert_eq!(fast, words_by_char(text), "{text:?}");
        }
    }

    #[test]
    fn long_tokens_are_dropped() {
        let blob = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(
            texts(&format!("x {blob} y"))
                .iter()
                .all(|(t, _)| t.len() <= 2)
        );
    }
}
