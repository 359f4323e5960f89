//! Language detection with `whatlang` (trigram profiles of 69 languages, compiled in).
//!
//! One verdict per document hides mixed documents (a German contract with an English
//! annex) and a single short text is often a guess. So the text is cut into windows of a
//! few hundred characters along paragraph breaks; each window gets a verdict, verdicts
//! below [`MIN_CONFIDENCE`] are dropped, and every language that holds at least
//! [`MIN_SHARE`] of the confidently classified letters is kept, the largest share first.
//! Text with fewer than [`MIN_LETTERS`] letters is not classified at all.

use ftm::{CleanOptions, PropertyType};
use whatlang::{Detector, Lang};

/// Whatlang's confidence below which a window's verdict is ignored.
pub const MIN_CONFIDENCE: f64 = 0.5;
/// The share of classified letters a language needs to be reported.
pub const MIN_SHARE: f64 = 0.2;
/// Texts with fewer letters are not classified.
pub const MIN_LETTERS: usize = 12;
/// The size windows grow to before a verdict (characters). A verdict costs about the
/// same for 100 characters as for 1,000 (whatlang scores every language profile each
/// time), so short lines are gathered into large windows.
const WINDOW: usize = 1000;
/// Paragraphs at least this long are classified on their own (characters).
const MIN_PARAGRAPH: usize = 150;
/// The most windows classified per text: a long text is sampled at even intervals, which
/// still sees every part of it. Detection was up to a third of the ingest worker's time
/// with 64 windows of 400 characters (a PDF's pages, then the whole document again).
const MAX_WINDOWS: usize = 16;
/// The largest window: long paragraphs are cut at a space after this many characters.
const MAX_WINDOW: usize = 2000;

/// The languages of `texts`, as FtM language codes (ISO 639-3), the most used first.
pub fn detect_languages<'t>(texts: impl IntoIterator<Item = &'t str>) -> Vec<String> {
    LanguageTally::of(texts).languages()
}

/// The confident verdicts over some text: letters per language, in order of first
/// appearance. Tallies add up, so a document made of pages can be judged from its pages'
/// verdicts instead of reading the same text a second time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LanguageTally {
    letters: Vec<(Lang, usize)>,
}

impl LanguageTally {
    /// Judge `texts` window by window (at most [`MAX_WINDOWS`] of them, evenly spread).
    pub fn of<'t>(texts: impl IntoIterator<Item = &'t str>) -> LanguageTally {
        let detector = Detector::new();
        let mut tally = LanguageTally::default();
        let all: Vec<&str> = texts.into_iter().flat_map(windows).collect();
        for window in sample(&all, MAX_WINDOWS) {
            let letters = window.chars().filter(|c| c.is_alphabetic()).count();
            if letters < MIN_LETTERS {
                continue;
            }
            let Some(info) = detector.detect(window) else {
                continue;
            };
            if info.confidence() < MIN_CONFIDENCE {
                continue;
            }
            tally.add(info.lang(), letters);
        }
        tally
    }

    fn add(&mut self, lang: Lang, letters: usize) {
        match self.letters.iter_mut().find(|(l, _)| *l == lang) {
            Some((_, n)) => *n += letters,
            None => self.letters.push((lang, letters)),
        }
    }

    /// Add another text's verdicts (languages new to this tally come after its own).
    pub fn merge(&mut self, other: &LanguageTally) {
        for &(lang, letters) in &other.letters {
            self.add(lang, letters);
        }
    }

    /// Every language with at least [`MIN_SHARE`] of the classified letters, as FtM
    /// codes, the largest share first (ties in order of appearance).
    pub fn languages(&self) -> Vec<String> {
        let total: usize = self.letters.iter().map(|(_, n)| n).sum();
        let mut kept: Vec<(Lang, usize)> = self
            .letters
            .iter()
            .copied()
            .filter(|(_, n)| *n as f64 >= MIN_SHARE * total as f64)
            .collect();
        // The sort is stable: ties keep the order of appearance.
        kept.sort_by_key(|&(_, letters)| std::cmp::Reverse(letters));
        let mut codes = Vec::new();
        for (lang, _) in kept {
            if let Some(code) = ftm_code(lang)
                && !codes.contains(&code)
            {
                codes.push(code);
            }
        }
        codes
    }
}

/// At most `n` items, evenly spread over `items`.
fn sample<'a>(items: &[&'a str], n: usize) -> Vec<&'a str> {
    if items.len() <= n {
        return items.to_vec();
    }
    (0..n).map(|i| items[i * items.len() / n]).collect()
}

/// FtM's code for a whatlang language; `None` for the few FtM does not list.
fn ftm_code(lang: Lang) -> Option<String> {
    let code = match lang {
        Lang::Cmn => "zho",
        Lang::Pes => "fas",
        Lang::Nob => "nor",
        other => other.code(),
    };
    PropertyType::Language.clean(code, CleanOptions::default())
}

/// Windows: a paragraph of [`MIN_PARAGRAPH`] characters or more is a window of its own
/// (so that two languages in two paragraphs stay apart); shorter paragraphs are gathered
/// until they reach [`WINDOW`] characters.
fn windows(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, usize)> = None;
    for para in paragraphs(text) {
        let start = para.as_ptr() as usize - text.as_ptr() as usize;
        let end = start + para.len();
        if para.chars().count() >= MIN_PARAGRAPH {
            if let Some((s, e)) = pending.take() {
                out.extend(split_long(&text[s..e]));
            }
            out.extend(split_long(para));
            continue;
        }
        let (s, _) = *pending.get_or_insert((start, end));
        pending = Some((s, end));
        if text[s..end].chars().count() >= WINDOW {
            out.extend(split_long(&text[s..end]));
            pending = None;
        }
    }
    if let Some((s, e)) = pending {
        out.extend(split_long(&text[s..e]));
    }
    out
}

/// Paragraphs: text between blank lines (or single line breaks), trimmed, non-empty.
fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(str::trim).filter(|p| !p.is_empty())
}

/// Cut an over-long window at spaces into pieces of at most [`MAX_WINDOW`] characters.
fn split_long(window: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = window;
    while rest.chars().count() > MAX_WINDOW {
        let limit = rest
            .char_indices()
            .nth(MAX_WINDOW)
            .map_or(rest.len(), |(i, _)| i);
        let cut = rest[..limit]
            .rfind(char::is_whitespace)
            .filter(|&c| c > 0)
            .unwrap_or(limit);
        out.push(&rest[..cut]);
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_languages() {
        let en = "The committee approved the budget for next year after a long debate.";
        let de =
            "Der Ausschuss hat den Haushalt für das nächste Jahr nach langer Debatte genehmigt.";
        let fr = "Le comité a approuvé le budget de l'année prochaine après un long débat.";
        let es = "El comité aprobó el presupuesto del próximo año tras un largo debate.";
        let ru = "Комитет утвердил бюджет на следующий год после долгих дебатов.";
        assert_eq!(detect_languages([en]), ["eng"]);
        assert_eq!(detect_languages([de]), ["deu"]);
        assert_eq!(detect_languages([fr]), ["fra"]);
        assert_eq!(detect_languages([es]), ["spa"]);
        assert_eq!(detect_languages([ru]), ["rus"]);
    }

    #[test]
    fn short_and_empty_texts() {
        assert!(detect_languages(["ok"]).is_empty());
        assert!(detect_languages(["12.03.2021 4711"]).is_empty());
        assert!(detect_languages([""]).is_empty());
        // Whatlang guesses Romanian for this greeting, with a confidence far below the
        // threshold: no language is better than a wrong one.
        assert!(detect_languages(["Hello, how are you today?"]).is_empty());
        assert_eq!(
            detect_languages(["Комитет утвердил бюджет на следующий год после долгих дебатов."]),
            ["rus"]
        );
    }

    #[test]
    fn mixed_documents_report_each_language() {
        let de = "Dieser Vertrag regelt die Lieferung von Waren zwischen den Parteien. \
                  Die Zahlung erfolgt innerhalb von dreißig Tagen nach Erhalt der Rechnung. \
                  Beide Parteien verpflichten sich, alle Informationen vertraulich zu behandeln. \
                  Änderungen dieses Vertrages bedürfen der Schriftform und der Zustimmung beider Seiten.";
        let en = "This annex describes the technical specifications of the delivered goods. \
                  All equipment must be tested before shipment and certified by an independent \
                  laboratory. The supplier shall provide documentation in English for every item \
                  and replace defective parts free of charge within the warranty period.";
        let text = format!("{de}\n\n{en}");
        let found = detect_languages([text.as_str()]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.contains(&"deu".to_owned()) && found.contains(&"eng".to_owned()));
        // A sprinkle of another language does not count.
        let text = format!("{de}\n{de}\n{de}\nThank you very much.");
        assert_eq!(detect_languages([text.as_str()]), ["deu"]);
    }

    #[test]
    fn long_texts_are_sampled_evenly() {
        let items: Vec<&str> = (0..1000).map(|_| "x").collect();
        assert_eq!(sample(&items, 64).len(), 64);
        assert_eq!(sample(&items[..10], 64).len(), 10);
        // A language in the last part of a long text is still seen.
        let de = "Der Ausschuss hat den Haushalt für das nächste Jahr nach langer Debatte genehmigt, \
                  und die Mitglieder haben sich auf eine gemeinsame Erklärung geeinigt.\n";
        let en = "The committee approved the budget for next year after a long debate, and the \
                  members agreed on a joint statement about the future of the programme.\n";
        let text = format!("{}{}", de.repeat(600), en.repeat(400));
        let found = detect_languages([text.as_str()]);
        assert_eq!(found, ["deu", "eng"]);
    }

    #[test]
    fn tallies_add_up_like_one_text() {
        let de = "Der Ausschuss hat den Haushalt für das nächste Jahr nach langer Debatte \
                  genehmigt, und die Mitglieder haben sich auf eine Erklärung geeinigt.";
        let en = "The committee approved the budget for next year after a long debate, and \
                  the members agreed on a joint statement about the programme.";
        let mut merged = LanguageTally::of([de]);
        merged.merge(&LanguageTally::of([en]));
        assert_eq!(merged, LanguageTally::of([de, en]));
        assert_eq!(merged.languages(), detect_languages([de, en]));
        assert!(merged.languages().contains(&"deu".to_owned()));
        // Merging nothing changes nothing; an empty tally names no language.
        let before = merged.clone();
        merged.merge(&LanguageTally::default());
        assert_eq!(merged, before);
        assert!(LanguageTally::default().languages().is_empty());
    }

    #[test]
    fn windows_cover_the_text() {
        let text = "a\n\nb b b\n".repeat(300);
        let total: usize = windows(&text).iter().map(|w| w.len()).sum();
        assert!(total > 0 && total <= text.len());
        let long = "word ".repeat(1000);
        assert!(
            split_long(&long)
                .iter()
                .all(|w| w.chars().count() <= MAX_WINDOW)
        );
    }
}
