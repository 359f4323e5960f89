//! Highlighted fragments of a hit's text, with `<em>` around the words the query matched.
//!
//! This works on the stored values themselves, whatever their size: the words of a value are
//! scanned with the index's own analyzer until enough fragments are found, so a match deep
//! inside a 10 MB `bodyText` gets a fragment too (Elasticsearch stops analysing at 1 MB and
//! Aleph then shows nothing). Fragments come in the order of the text, as Elasticsearch's
//! default (`order: none`) gives them.

use std::collections::HashSet;

use crate::analysis::{self, MAX_TOKEN_BYTES};
use crate::query::field::{Field, property_kind};
use crate::query::parser::{self, Node, Value, WildcardPart};

/// Which words of a text to highlight.
#[derive(Debug, Default)]
pub struct Highlighter {
    exact: HashSet<String>,
    prefixes: Vec<String>,
    fuzzy: Vec<(String, u8)>,
    patterns: Vec<regex::Regex>,
    /// Byte lengths of the exact words, to skip folding words that cannot match.
    min_len: usize,
    max_len: usize,
}

/// Whether words found through a leaf on this field are worth highlighting: text the
/// user reads, not identifiers and metadata.
fn highlights(field: Option<Field>) -> bool {
    match field {
        None | Some(Field::Text | Field::Caption | Field::NameKeys | Field::Group(_)) => true,
        Some(Field::Property(p)) => property_kind(p).is_some_and(|k| !k.is_numeric()),
        Some(_) => false,
    }
}

impl Highlighter {
    /// The highlighter for a query's positive clauses (negated ones are not highlighted) and
    /// an optional phrase prefix.
    pub fn new(query: &Node, prefix: Option<&str>) -> Highlighter {
        let mut h = Highlighter::default();
        h.collect(query);
        if let Some(prefix) = prefix {
            let mut words = analysis::query_words(prefix);
            if let Some(last) = words.pop() {
                h.prefixes.push(last);
            }
            h.exact.extend(words);
        }
        h.min_len = h.exact.iter().map(String::len).min().unwrap_or(0);
        h.max_len = h.exact.iter().map(String::len).max().unwrap_or(0);
        h
    }

    /// The highlighter for `highlight_text`, read as a query, or as plain words when it is
    /// not valid query syntax.
    pub fn for_text(text: &str) -> Highlighter {
        match parser::parse(text) {
            Ok(node) => Highlighter::new(&node, None),
            Err(_) => Highlighter::new(
                &Node::Leaf(parser::Leaf {
                    field: None,
                    value: Value::Term(text.to_string()),
                }),
                None,
            ),
        }
    }

    fn collect(&mut self, node: &Node) {
        match node {
            Node::All | Node::Not(_) => {}
            Node::And(items) | Node::Or(items) => items.iter().for_each(|n| self.collect(n)),
            Node::Boost(inner, _) => self.collect(inner),
            Node::Leaf(leaf) if highlights(leaf.field) => self.collect_value(&leaf.value),
            Node::Leaf(_) => {}
        }
    }

    fn collect_value(&mut self, value: &Value) {
        match value {
            Value::Term(text) | Value::Phrase { text, .. } => self.add_words(text),
            Value::Fuzzy { text, fuzziness } => {
                let words = analysis::query_words(text);
                match words.as_slice() {
                    [word] => {
                        let edits = fuzziness.edits(word.chars().count());
                        if edits == 0 {
                            self.exact.insert(word.clone());
                        } else {
                            self.fuzzy.push((word.clone(), edits));
                        }
                    }
                    _ => self.exact.extend(words),
                }
            }
            Value::Wildcard(parts) => {
                if let Ok(re) = regex::Regex::new(&format!("^(?:{})$", wildcard_regex(parts))) {
                    self.patterns.push(re);
                }
            }
            Value::Regex(pattern) => {
                if let Ok(re) = regex::Regex::new(&format!("^(?:{pattern})$")) {
                    self.patterns.push(re);
                }
            }
            Value::Range { .. } | Value::Exists => {}
        }
    }

    fn add_words(&mut self, text: &str) {
        for (from, to) in analysis::words(text) {
            let word = &text[from..to];
            let folded = analysis::fold(word);
            if folded.is_empty() || folded.len() > MAX_TOKEN_BYTES {
                continue;
            }
            if let Some(variant) = analysis::umlaut_variant(word) {
                self.exact.insert(variant);
            }
            self.exact.insert(folded);
        }
    }

    /// Whether there is anything to highlight.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
            && self.prefixes.is_empty()
            && self.fuzzy.is_empty()
            && self.patterns.is_empty()
    }

    /// Whether only exact words are sought (lets the scan skip words by length).
    fn exact_only(&self) -> bool {
        self.prefixes.is_empty() && self.fuzzy.is_empty() && self.patterns.is_empty()
    }

    fn matches_folded(&self, folded: &str) -> bool {
        self.exact.contains(folded)
            || self.prefixes.iter().any(|p| folded.starts_with(p.as_str()))
            || self
                .fuzzy
                .iter()
                .any(|(w, d)| within_edits(w, folded, usize::from(*d)))
            || self.patterns.iter().any(|re| re.is_match(folded))
    }

    /// Whether a word of a text (as written) matches; `buf` is scratch space.
    fn matches_word(&self, word: &str, buf: &mut String) -> bool {
        if self.exact_only() && word.is_ascii() {
            let alnum = word.bytes().filter(u8::is_ascii_alphanumeric).count();
            if alnum < self.min_len || alnum > self.max_len {
                return false;
            }
        }
        buf.clear();
        analysis::fold_into(word, buf);
        if buf.is_empty() {
            return false;
        }
        if self.matches_folded(buf) {
            return true;
        }
        !word.is_ascii() && analysis::umlaut_variant(word).is_some_and(|v| self.matches_folded(&v))
    }

    /// Up to `count` fragments of about `length` characters from `texts`, in order; with
    /// `count == 0`, every matching text whole.
    pub fn fragments<'a>(
        &self,
        texts: impl IntoIterator<Item = &'a str>,
        length: usize,
        count: usize,
    ) -> Vec<String> {
        let mut out = Vec::new();
        if self.is_empty() {
            return out;
        }
        let mut buf = String::new();
        for text in texts {
            if count > 0 && out.len() >= count {
                break;
            }
            if count == 0 {
                let spans: Vec<(usize, usize)> = analysis::words(text)
                    .filter(|&(f, t)| self.matches_word(&text[f..t], &mut buf))
                    .collect();
                if !spans.is_empty() {
                    out.push(render(text, 0, text.len(), &spans));
                }
                continue;
            }
            self.fragments_of(text, length, count, &mut out, &mut buf);
        }
        out
    }

    fn fragments_of(
        &self,
        text: &str,
        length: usize,
        count: usize,
        out: &mut Vec<String>,
        buf: &mut String,
    ) {
        let mut current: Option<Fragment> = None;
        for (from, to) in analysis::words(text) {
            if !self.matches_word(&text[from..to], buf) {
                continue;
            }
            if let Some(f) = current.as_mut()
                && to <= f.end
            {
                f.spans.push((from, to));
                continue;
            }
            if let Some(f) = current.take() {
                out.push(render(text, f.start, f.end, &f.spans));
                if out.len() >= count {
                    return;
                }
            }
            let (start, end) = window(text, from, to, length);
            current = Some(Fragment {
                start,
                end,
                spans: vec![(from, to)],
            });
        }
        if let Some(f) = current {
            out.push(render(text, f.start, f.end, &f.spans));
        }
    }
}

/// A fragment being filled: its byte window and the matches inside it.
struct Fragment {
    start: usize,
    end: usize,
    spans: Vec<(usize, usize)>,
}

/// A regular expression for a wildcard pattern over folded words.
pub fn wildcard_regex(parts: &[WildcardPart]) -> String {
    let mut re = String::new();
    for part in parts {
        match part {
            WildcardPart::Literal(text) => re.push_str(&regex::escape(&analysis::fold(text))),
            WildcardPart::AnyChars => re.push_str(".*"),
            WildcardPart::AnyChar => re.push('.'),
        }
    }
    re
}

/// Whether two words are at most `max` edits apart (insertions, deletions, substitutions,
/// adjacent transpositions), as a fuzzy query counts them.
pub fn within_edits(a: &str, b: &str, max: usize) -> bool {
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la.abs_diff(lb) > max {
        return false;
    }
    strsim::osa_distance(a, b) <= max
}

/// The byte window of a fragment of about `length` characters around the match
/// `[from, to)`: centred on the match, then trimmed to whole words.
fn window(text: &str, from: usize, to: usize, length: usize) -> (usize, usize) {
    let match_chars = text[from..to].chars().count();
    let before = length.saturating_sub(match_chars) / 2;
    let mut start = from;
    for (i, _) in text[..from].char_indices().rev().take(before) {
        start = i;
    }
    // Do not start in the middle of a word.
    if start > 0 && start < from && !text[..start].ends_with(char::is_whitespace) {
        if let Some(ws) = text[start..from].find(char::is_whitespace) {
            start += ws;
        } else {
            start = from;
        }
    }
    let budget = length.max(match_chars);
    let mut end = text.len();
    if let Some((i, _)) = text[start..].char_indices().nth(budget) {
        end = start + i;
    }
    end = end.max(to);
    // Do not end in the middle of a word.
    if end < text.len()
        && !text[end..].starts_with(char::is_whitespace)
        && let Some(ws) = text[to..end].rfind(char::is_whitespace)
    {
        end = to + ws;
    }
    (start, end)
}

/// The window `[start, end)` of `text`, HTML-escaped, with `<em>` around each span.
fn render(text: &str, start: usize, end: usize, spans: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(end - start + spans.len() * 9);
    let mut at = start;
    for &(from, to) in spans {
        if from < at || to > end {
            continue;
        }
        escape_into(&text[at..from], &mut out);
        out.push_str("<em>");
        escape_into(&text[from..to], &mut out);
        out.push_str("</em>");
        at = to;
    }
    escape_into(&text[at..end], &mut out);
    out.trim().to_string()
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hl(q: &str) -> Highlighter {
        Highlighter::new(&parser::parse(q).unwrap(), None)
    }

    #[test]
    fn wraps_matches_and_escapes() {
        let h = hl("putin");
        assert_eq!(
            h.fragments(["Vladimir Putin & <co>"], 120, 3),
            vec!["Vladimir <em>Putin</em> &amp; &lt;co&gt;"]
        );
    }

    #[test]
    fn transliterated_and_umlaut_matches() {
        assert_eq!(
            hl("putin").fragments(["Владимир Путин"], 120, 3),
            vec!["Владимир <em>Путин</em>"]
        );
        assert_eq!(
            hl("mueller").fragments(["Herr Müller"], 120, 3),
            vec!["Herr <em>Müller</em>"]
        );
        assert_eq!(
            hl("Müller").fragments(["Herr Mueller"], 120, 3),
            vec!["Herr <em>Mueller</em>"]
        );
    }

    #[test]
    fn negated_and_metadata_clauses_are_not_highlighted() {
        let h = hl("bank -fraud schema:Company");
        assert_eq!(
            h.fragments(["bank fraud Company"], 120, 3),
            vec!["<em>bank</em> fraud Company"]
        );
        assert!(hl("schema:Company").is_empty());
    }

    #[test]
    fn fuzzy_wildcard_prefix_and_regex() {
        assert_eq!(
            hl("puttin~1").fragments(["Mr Putin"], 120, 3),
            vec!["Mr <em>Putin</em>"]
        );
        assert_eq!(
            hl("vlad*").fragments(["Vladimir Putin"], 120, 3),
            vec!["<em>Vladimir</em> Putin"]
        );
        assert_eq!(
            hl("/pu.in/").fragments(["Vladimir Putin"], 120, 3),
            vec!["Vladimir <em>Putin</em>"]
        );
        let h = Highlighter::new(&Node::All, Some("vladimir pu"));
        assert_eq!(
            h.fragments(["Vladimir Putin"], 120, 3),
            vec!["<em>Vladimir</em> <em>Putin</em>"]
        );
    }

    #[test]
    fn fragments_are_windows_around_matches() {
        let text = format!("{} needle {}", "hay ".repeat(100), "straw ".repeat(100));
        let frags = hl("needle").fragments([text.as_str()], 40, 3);
        assert_eq!(frags.len(), 1);
        let f = &frags[0];
        assert!(f.contains("<em>needle</em>"), "{f}");
        let plain = f.replace("<em>", "").replace("</em>", "");
        assert!(plain.chars().count() <= 40, "{plain}");
        assert!(plain.starts_with("hay"), "{plain}");
        assert!(plain.ends_with("straw"), "{plain}");
    }

    #[test]
    fn counts_limit_fragments_and_zero_means_whole() {
        let text = format!(
            "alpha {} alpha {} alpha",
            "x ".repeat(200),
            "y ".repeat(200)
        );
        assert_eq!(hl("alpha").fragments([text.as_str()], 20, 2).len(), 2);
        assert_eq!(hl("alpha").fragments([text.as_str()], 20, 5).len(), 3);
        let whole = hl("alpha").fragments([text.as_str()], 20, 0);
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].matches("<em>alpha</em>").count(), 3);
    }

    #[test]
    fn nearby_matches_share_a_fragment() {
        let frags = hl("red OR blue").fragments(["the red and the blue cars"], 120, 3);
        assert_eq!(frags, vec!["the <em>red</em> and the <em>blue</em> cars"]);
    }

    #[test]
    fn finds_a_match_deep_in_a_long_text() {
        let mut text = "lorem ipsum dolor sit amet ".repeat(400_000);
        text.push_str("the hidden zanzibar treaty ");
        text.push_str(&"lorem ipsum ".repeat(1000));
        assert!(text.len() > 10_000_000);
        let frags = hl("zanzibar").fragments([text.as_str()], 60, 3);
        assert_eq!(frags.len(), 1);
        assert!(
            frags[0].contains("hidden <em>zanzibar</em> treaty"),
            "{}",
            frags[0]
        );
    }

    #[test]
    fn edit_distance() {
        assert!(within_edits("putin", "putin", 0));
        assert!(within_edits("putin", "ptuin", 1));
        assert!(within_edits("putin", "puttin", 1));
        assert!(!within_edits("putin", "poutine", 1));
        assert!(within_edits("putin", "poutine", 2));
    }
}
