//! Splitting text into the tokens the rules look at: words (with inner hyphens and
//! apostrophes), dotted abbreviations and initials (`S.A.`, `J.`, `В.В.`), numbers and
//! single punctuation marks, each with its byte range and what separates it from the
//! token before.

use crate::fold::fold_into;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    /// Letters each followed by a dot: initials and abbreviated legal forms.
    Dotted,
    Number,
    Punct(char),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Starts with a capital, not all capitals (`Berlin`, `McDonald`).
    Capitalized,
    /// All capitals, two letters or more (`GMBH`, `ООО`).
    Upper,
    Lower,
    Other,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    pub shape: Shape,
    /// The folded word (see [`crate::fold`]); empty for punctuation. It lies in the one
    /// buffer that [`tokenize`] fills for all the tokens of a text.
    pub folded: &'a str,
    /// A line break lies between this token and the one before.
    pub newline_before: bool,
}

impl Token<'_> {
    pub(crate) fn is_word(&self) -> bool {
        self.kind == Kind::Word
    }

    /// A word or abbreviation that starts with a capital.
    pub(crate) fn is_capitalized(&self) -> bool {
        matches!(self.shape, Shape::Capitalized | Shape::Upper)
    }

    pub(crate) fn is_punct(&self, c: char) -> bool {
        self.kind == Kind::Punct(c)
    }

    /// Initials: one or more single letters, each with its dot (`J.`, `J.R.`, `В.В.`).
    pub(crate) fn is_initials(&self, text: &str) -> bool {
        self.kind == Kind::Dotted
            && text[self.start..self.end]
                .split('.')
                .filter(|p| !p.is_empty())
                .all(|p| p.chars().count() == 1 && p.chars().all(char::is_uppercase))
    }
}

fn shape(word: &str) -> Shape {
    let mut letters = word.chars().filter(|c| c.is_alphabetic());
    let Some(first) = letters.next() else {
        return Shape::Other;
    };
    if !first.is_uppercase() {
        return if first.is_lowercase() {
            Shape::Lower
        } else {
            Shape::Other
        };
    }
    let mut rest = letters.peekable();
    if rest.peek().is_none() {
        return Shape::Capitalized;
    }
    if rest.all(|c| !c.is_lowercase()) {
        Shape::Upper
    } else {
        Shape::Capitalized
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’')
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑')
}

/// French elisions split off a word (`l'Économie` → `l'` + `Économie`).
const ELISIONS: &[&str] = &["l", "d", "j", "m", "n", "s", "t", "c", "qu"];

/// A token before its folded form is borrowed from the shared buffer: the form's byte
/// range in it.
struct Raw {
    start: usize,
    end: usize,
    kind: Kind,
    shape: Shape,
    folded: (usize, usize),
    newline_before: bool,
}

/// Split `text` into tokens. Their folded forms are written one after the other into
/// `folds` (cleared first), so that a text costs one buffer rather than a `String` per
/// token.
pub(crate) fn tokenize<'a>(text: &str, folds: &'a mut String) -> Vec<Token<'a>> {
    folds.clear();
    let raw = scan(text, folds);
    let folds: &'a str = folds;
    raw.into_iter()
        .map(|r| Token {
            start: r.start,
            end: r.end,
            kind: r.kind,
            shape: r.shape,
            folded: &folds[r.folded.0..r.folded.1],
            newline_before: r.newline_before,
        })
        .collect()
}

fn scan(text: &str, folds: &mut String) -> Vec<Raw> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(text.len(), |(b, _)| *b);
    let mut tokens = Vec::new();
    let mut newline = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if c.is_whitespace() {
            newline |= c == '\n' || c == '\r' || c == '\u{2028}' || c == '\u{2029}';
            i += 1;
            continue;
        }
        let start = i;
        let kind = if c.is_alphabetic() {
            i = scan_word(&chars, i);
            // Dotted abbreviations: short letter runs each followed by a dot.
            let run = i - start;
            let dot_follows = chars.get(i).is_some_and(|(_, c)| *c == '.');
            let letter_after_dot = chars.get(i + 1).is_some_and(|(_, c)| c.is_alphabetic());
            if run == 1 && dot_follows {
                i = scan_dotted(&chars, i);
                Kind::Dotted
            } else if run <= 3 && dot_follows && letter_after_dot {
                let end = scan_dotted(&chars, i);
                if end > i + 1 {
                    i = end;
                    Kind::Dotted
                } else {
                    Kind::Word
                }
            } else {
                Kind::Word
            }
        } else if c.is_numeric() {
            while i < chars.len() && (chars[i].1.is_alphanumeric()) {
                i += 1;
            }
            Kind::Number
        } else {
            i += 1;
            Kind::Punct(c)
        };
        let (s, e) = (byte_at(start), byte_at(i));
        push_token(&mut tokens, folds, text, s, e, kind, newline);
        newline = false;
    }
    tokens
}

/// From a letter, the end of the word: letters, digits and combining marks, with single
/// hyphens or apostrophes between letters.
fn scan_word(chars: &[(usize, char)], mut i: usize) -> usize {
    while i < chars.len() {
        let c = chars[i].1;
        if c.is_alphanumeric() || is_mark(c) {
            i += 1;
        } else if (is_hyphen(c) || is_apostrophe(c))
            && chars.get(i + 1).is_some_and(|(_, n)| n.is_alphabetic())
        {
            i += 2;
        } else {
            break;
        }
    }
    i
}

/// From the dot after a short letter run: more runs of one to three letters, each with
/// its dot; returns the index after the last dot.
fn scan_dotted(chars: &[(usize, char)], dot: usize) -> usize {
    let mut end = dot + 1;
    let mut i = end;
    loop {
        let run_start = i;
        while i < chars.len() && chars[i].1.is_alphabetic() {
            i += 1;
        }
        let run = i - run_start;
        if run == 0 || run > 3 || chars.get(i).is_none_or(|(_, c)| *c != '.') {
            return end;
        }
        i += 1;
        end = i;
    }
}

fn is_mark(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{483}'..='\u{489}')
}

fn push_token(
    tokens: &mut Vec<Raw>,
    folds: &mut String,
    text: &str,
    s: usize,
    e: usize,
    kind: Kind,
    nl: bool,
) {
    let word = &text[s..e];
    if kind == Kind::Word {
        // A lowercase elision before an apostrophe becomes its own token.
        if let Some(pos) = word.find(is_apostrophe) {
            let head = &word[..pos];
            let apostrophe_len = word[pos..].chars().next().map_or(1, char::len_utf8);
            if ELISIONS.contains(&head) && pos + apostrophe_len < word.len() {
                let cut = s + pos + apostrophe_len;
                push_token(tokens, folds, text, s, cut, Kind::Word, nl);
                push_token(tokens, folds, text, cut, e, Kind::Word, false);
                return;
            }
        }
    }
    let folded_start = folds.len();
    let shape = match kind {
        Kind::Punct(_) => Shape::Other,
        Kind::Number => {
            fold_into(word, folds);
            Shape::Other
        }
        Kind::Word | Kind::Dotted => {
            fold_into(word, folds);
            shape(word)
        }
    };
    tokens.push(Raw {
        start: s,
        end: e,
        kind,
        shape,
        folded: (folded_start, folds.len()),
        newline_before: nl,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> Vec<String> {
        tokenize(text, &mut String::new())
            .iter()
            .map(|t| {
                let kind = match t.kind {
                    Kind::Word => "w",
                    Kind::Dotted => "d",
                    Kind::Number => "n",
                    Kind::Punct(_) => "p",
                };
                format!("{kind}:{}", &text[t.start..t.end])
            })
            .collect()
    }

    #[test]
    fn words_abbreviations_and_punctuation() {
        assert_eq!(
            show("Jean-Pierre O'Brien, J. R. Smith & Acme S.A. (2021)."),
            [
                "w:Jean-Pierre",
                "w:O'Brien",
                "p:,",
                "d:J.",
                "d:R.",
                "w:Smith",
                "p:&",
                "w:Acme",
                "d:S.A.",
                "p:(",
                "n:2021",
                "p:)",
                "p:."
            ]
        );
        assert_eq!(show("В.В.Путин"), ["d:В.В.", "w:Путин"]);
        assert_eq!(
            show("Dr. Ing. e.V."),
            ["w:Dr", "p:.", "w:Ing", "p:.", "d:e.V."]
        );
        assert_eq!(show("l'Économie"), ["w:l'", "w:Économie"]);
        assert_eq!(show("ООО «Ромашка»"), ["w:ООО", "p:«", "w:Ромашка", "p:»"]);
    }

    #[test]
    fn shapes_and_line_breaks() {
        let mut folds = String::new();
        let tokens = tokenize("GmbH ACME acme\nBerlin", &mut folds);
        let shapes: Vec<Shape> = tokens.iter().map(|t| t.shape).collect();
        assert_eq!(
            shapes,
            [
                Shape::Capitalized,
                Shape::Upper,
                Shape::Lower,
                Shape::Capitalized
            ]
        );
        let folded: Vec<&str> = tokens.iter().map(|t| t.folded).collect();
        assert_eq!(folded, ["gmbh", "acme", "acme", "berlin"]);
        assert!(tokens[3].newline_before);
        assert!(!tokens[2].newline_before);
    }
}
