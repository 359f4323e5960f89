//! Which text of an entity is analysed, and how much of it.

use ftm::{Entity, PropertyType};

/// String properties that hold prose worth analysing, besides the text-typed ones.
const PROSE_STRINGS: &[&str] = &["title", "subject"];
/// Text properties that are not the document's own words.
const SKIPPED_TEXTS: &[&str] = &["translatedText"];
/// The largest piece handed to a recogniser at once (characters), as Aleph does.
const CHUNK: usize = 25_000;

/// The texts to analyse, each value once, cut so that their total stays within
/// `max_chars` characters; the flag says whether anything was cut.
pub(crate) fn texts(entity: &Entity, max_chars: usize) -> (Vec<&str>, bool) {
    let mut out: Vec<&str> = Vec::new();
    let mut budget = max_chars;
    let mut truncated = false;
    for (prop, values) in entity.properties() {
        let wanted = match prop.type_() {
            PropertyType::Text => !SKIPPED_TEXTS.contains(&prop.name()),
            PropertyType::String => PROSE_STRINGS.contains(&prop.name()),
            _ => false,
        };
        if !wanted {
            continue;
        }
        for value in values {
            if out.contains(&value.as_str()) || value.trim().is_empty() {
                continue;
            }
            if budget == 0 {
                truncated = true;
                break;
            }
            let cut = prefix_chars(value, budget);
            truncated |= cut.len() < value.len();
            budget -= cut.chars().count();
            out.push(cut);
        }
    }
    (out, truncated)
}

/// The longest prefix of `text` with at most `n` characters, ending at white space when
/// it has to cut (so no word is split).
fn prefix_chars(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        None => text,
        Some((limit, _)) => {
            let cut = text[..limit].rfind(char::is_whitespace).unwrap_or(limit);
            &text[..cut]
        }
    }
}

/// Pieces of at most [`CHUNK`] characters, cut at line breaks or spaces.
pub(crate) fn chunks(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some((limit, _)) = rest.char_indices().nth(CHUNK) else {
            out.push(rest);
            break;
        };
        let head = &rest[..limit];
        let cut = head
            .rfind('\n')
            .or_else(|| head.rfind(char::is_whitespace))
            .filter(|&c| c > 0)
            .unwrap_or(limit);
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_chosen_from_the_model_and_capped() {
        let mut doc = Entity::with_id("Email", "e1").unwrap();
        doc.add("subject", "Quarterly figures").unwrap();
        doc.add("bodyText", "Hello Jane, the figures are attached.")
            .unwrap();
        doc.add("translatedText", "Hallo Jane").unwrap();
        doc.add("fileName", "report.pdf").unwrap();
        let (texts, truncated) = texts(&doc, 1000);
        assert!(!truncated);
        assert_eq!(texts.len(), 2);
        assert!(texts.contains(&"Quarterly figures"));
        assert!(texts.contains(&"Hello Jane, the figures are attached."));
        let (texts, truncated) = super::texts(&doc, 20);
        assert!(truncated);
        let total: usize = texts.iter().map(|t| t.chars().count()).sum();
        assert!(total <= 20);
    }

    #[test]
    fn chunks_cover_long_text() {
        let text = "word ".repeat(12_000);
        let parts = chunks(&text);
        assert!(parts.len() >= 3);
        assert_eq!(parts.concat(), text);
        assert!(parts.iter().all(|p| p.chars().count() <= CHUNK));
    }
}
