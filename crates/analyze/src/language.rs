//! Language detection with `whatlang` (trigram profiles of 69 languages, compiled in).
//!
//! One verdict per document hides mixed documents (a German contract with an English
//! annex) and a single short text is often a guess. So the text is cut into windows of a
//! few hundred characters along paragraph breaks; each window gets a verdict, verdicts
//! below [`MIN_CONFIDENCE`] are dropped, and every language that holds at least
//! [`MIN_SHARE`] of the confidently classified letters is kept, the largest share first.
//! Text with fewer than [`MIN_LETTERS`] letters is not classified at all.
//!
//! A verdict costs the same whatever else the text holds, so a long text is judged on a
//! bounded sample: windows spread over the whole text (its ends and middle first), until
//! [`SAMPLE_CHARS`] characters or [`MAX_WINDOWS`] windows were judged, or sooner once the
//! verdict is clear (the first [`CLEAR_VERDICTS`] confident verdicts, taken at the start,
//! the end and the middle, all name one language).

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
/// The most windows judged per entity. Detection was up to a third of the ingest worker's
/// time with 64 windows of 400 characters (a PDF's pages, then the whole document again),
/// and still a tenth to a fifth of it on small documents with 16.
const MAX_WINDOWS: usize = 8;
/// The most characters judged per entity: windows are taken until this many were read.
/// A few thousand characters settle a language as well as the whole text does; a
/// language that holds a share of a long text is still seen, since the windows are
/// spread over all of it.
pub const SAMPLE_CHARS: usize = 4_000;
/// The verdict is clear, and judging stops, when this many confident verdicts (the start,
/// the end and the middle of the text) name one language and nothing else was seen.
const CLEAR_VERDICTS: usize = 3;
/// The largest window: long paragraphs are cut at a space after this many characters.
const MAX_WINDOW: usize = 2000;

/// The languages of `texts`, as FtM language codes (ISO 639-3), the most used first.
pub fn detect_languages<'t>(texts: impl IntoIterator<Item = &'t str>) -> Vec<String> {
    LanguageTally::of(texts).languages()
}

/// Whether `texts` hold at least `n` letters together (counting stops there): a text
/// with fewer is not classified, nor does it take a verdict made for others.
pub fn has_letters(texts: &[&str], n: usize) -> bool {
    texts
        .iter()
        .flat_map(|text| text.chars())
        .filter(|c| c.is_alphabetic())
        .take(n)
        .count()
        >= n
}

/// The confident verdicts over some text: letters per language, in order of first
/// appearance. Tallies add up, so a document made of pages can be judged from its pages'
/// verdicts instead of reading the same text a second time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LanguageTally {
    letters: Vec<(Lang, usize)>,
}

impl LanguageTally {
    /// Judge `texts` window by window, on a sample spread over all of them (see the
    /// module's documentation for its bounds).
    pub fn of<'t>(texts: impl IntoIterator<Item = &'t str>) -> LanguageTally {
        judge(texts).0
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

/// The tally of `texts` and how many windows were judged. Texts within the sample's
/// bounds are judged whole, each window counting its letters. A longer text is judged on
/// the sample, in spread order, stopping once the verdict is clear; each judged window
/// then stands for an equal share of the text, so a window counts the letters it would
/// have if it were that share (its letter density times the share's length): a language
/// in short lines (few, large windows) weighs as much as one in long paragraphs.
fn judge<'t>(texts: impl IntoIterator<Item = &'t str>) -> (LanguageTally, usize) {
    let detector = Detector::new();
    let all: Vec<&str> = texts.into_iter().flat_map(windows).collect();
    let picked = sample(&all, MAX_WINDOWS, SAMPLE_CHARS);
    let whole = picked.len() == all.len();
    // (language, letters, window length) of each confident verdict.
    let mut verdicts: Vec<(Lang, usize, usize)> = Vec::new();
    let mut judged = 0;
    for window in picked {
        judged += 1;
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
        verdicts.push((info.lang(), letters, window.len()));
        // Only a spread sample may stop early: whole texts are judged in text order.
        if !whole
            && verdicts.len() >= CLEAR_VERDICTS
            && verdicts.iter().all(|(lang, ..)| *lang == verdicts[0].0)
        {
            break;
        }
    }
    let total: usize = all.iter().map(|w| w.len()).sum();
    let mut tally = LanguageTally::default();
    for (lang, letters, len) in verdicts {
        let weight = if whole {
            letters
        } else {
            letters * total / (len * judged).max(1)
        };
        tally.add(lang, weight);
    }
    (tally, judged)
}

/// Windows to judge, in the order they are judged: all of them when they fit the bounds,
/// otherwise at most `max_windows`, and no more once `max_chars` bytes were taken (the
/// window that crosses the bound is the last). Windows are picked at positions in the
/// text spread over all of it (the start, the end, the middle, then the middles of the
/// halves, of the quarters and so on), so any prefix of the order sees every part of the
/// text about equally, by length and not by the number of windows (a part in short lines
/// makes fewer, larger windows than one in long paragraphs).
fn sample<'a>(windows: &[&'a str], max_windows: usize, max_chars: usize) -> Vec<&'a str> {
    let total: usize = windows.iter().map(|w| w.len()).sum();
    if windows.len() <= max_windows && total <= max_chars {
        return windows.to_vec();
    }
    let starts: Vec<usize> = windows
        .iter()
        .scan(0, |at, w| {
            let start = *at;
            *at += w.len();
            Some(start)
        })
        .collect();
    let last = windows.len().saturating_sub(1).max(1);
    let mut picked: Vec<usize> = Vec::new();
    let mut taken = 0;
    for i in SpreadOrder::new(windows.len()) {
        if picked.len() >= max_windows || taken >= max_chars {
            break;
        }
        let position = i * total.saturating_sub(1) / last;
        let window = starts.partition_point(|&s| s <= position).saturating_sub(1);
        if picked.contains(&window) {
            continue;
        }
        taken += windows[window].len();
        picked.push(window);
    }
    picked.into_iter().map(|i| windows[i]).collect()
}

/// The indices `0..n` in spreading order: both ends, then the middle of every gap between
/// indices already given, the widest gaps first.
struct SpreadOrder {
    ends: std::vec::IntoIter<usize>,
    gaps: std::collections::VecDeque<(usize, usize)>,
}

impl SpreadOrder {
    fn new(n: usize) -> SpreadOrder {
        let (ends, gaps) = match n {
            0 => (vec![], vec![]),
            1 => (vec![0], vec![]),
            n => (vec![0, n - 1], vec![(0, n - 1)]),
        };
        SpreadOrder {
            ends: ends.into_iter(),
            gaps: gaps.into(),
        }
    }
}

impl Iterator for SpreadOrder {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if let Some(end) = self.ends.next() {
            return Some(end);
        }
        while let Some((a, b)) = self.gaps.pop_front() {
            if b - a < 2 {
                continue;
            }
            let middle = a + (b - a) / 2;
            self.gaps.push_back((a, middle));
            self.gaps.push_back((middle, b));
            return Some(middle);
        }
        None
    }
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
        assert_eq!(sample(&items, 64, usize::MAX).len(), 64);
        assert_eq!(sample(&items[..10], 64, usize::MAX).len(), 10);
        // A language in the last part of a long text is still seen.
        let de = "Der Ausschuss hat den Haushalt für das nächste Jahr nach langer Debatte genehmigt, \
                  und die Mitglieder haben sich auf eine gemeinsame Erklärung geeinigt.\n";
        let en = "The committee approved the budget for next year after a long debate, and the \
                  members agreed on a joint statement about the future of the programme.\n";
        let text = format!("{}{}", de.repeat(600), en.repeat(400));
        let found = detect_languages([text.as_str()]);
        assert_eq!(found, ["deu", "eng"]);
        // And so is one in a quarter of the middle.
        let text = format!("{}{}{}", de.repeat(400), en.repeat(250), de.repeat(350));
        assert_eq!(detect_languages([text.as_str()]), ["deu", "eng"]);
    }

    #[test]
    fn spread_order_visits_every_index_once_ends_and_middle_first() {
        for n in [0, 1, 2, 3, 7, 100, 1001] {
            let order: Vec<usize> = SpreadOrder::new(n).collect();
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "n = {n}");
            if n >= 3 {
                assert_eq!(order[..3], [0, n - 1, (n - 1) / 2], "n = {n}");
            }
        }
        // Any prefix is spread: the first 9 of 1,001 leave no gap wider than an eighth.
        let mut first: Vec<usize> = SpreadOrder::new(1001).take(9).collect();
        first.sort_unstable();
        assert!(first.windows(2).all(|w| w[1] - w[0] <= 125), "{first:?}");
    }

    #[test]
    fn the_sample_is_bounded_in_characters_and_windows() {
        let window = "w".repeat(1000);
        let items: Vec<&str> = (0..50).map(|_| window.as_str()).collect();
        // The window that reaches the bound is the last one taken.
        assert_eq!(sample(&items, 64, 4000).len(), 4);
        assert_eq!(sample(&items, 64, 3500).len(), 4);
        assert_eq!(sample(&items, 3, 4000).len(), 3);
        assert_eq!(sample(&items, 64, 0).len(), 0);
        // A long text costs no more verdicts than a few KB of it, and its tally still
        // weighs about what the whole text does.
        let para = "Der Ausschuss hat den Haushalt für das nächste Jahr nach langer Debatte \
                    genehmigt, und die Mitglieder haben sich auf eine gemeinsame Erklärung geeinigt.";
        let fr = "Le comité a approuvé le budget de l'année prochaine après un long débat, et les \
                  membres se sont mis d'accord sur une déclaration commune.";
        let text = format!(
            "{}{}",
            format!("{para}\n").repeat(120),
            format!("{fr}\n").repeat(90)
        );
        let (tally, judged) = judge([text.as_str()]);
        assert!(judged <= MAX_WINDOWS, "{judged}");
        assert!(
            judged * para.len() <= SAMPLE_CHARS + para.len() * 2,
            "{judged}"
        );
        let weighed: usize = tally.letters.iter().map(|(_, n)| n).sum();
        let letters = text.chars().filter(|c| c.is_alphabetic()).count();
        assert!(
            weighed * 10 >= letters * 7 && weighed <= letters * 13 / 10,
            "{tally:?}"
        );
        assert_eq!(tally.languages().len(), 2, "{tally:?}");
    }

    #[test]
    fn a_clear_verdict_stops_early() {
        let en = "The committee approved the budget for next year after a long debate, and the \
                  members agreed on a joint statement about the future of the whole programme.";
        assert!(en.chars().count() >= MIN_PARAGRAPH);
        let text = format!("{en}\n").repeat(100);
        let (tally, judged) = judge([text.as_str()]);
        assert_eq!(judged, CLEAR_VERDICTS);
        assert_eq!(tally.languages(), ["eng"]);
        // Two languages seen: no early stop, the whole sample is judged.
        let de = "Der Ausschuss hat den Haushalt für das nächste Jahr nach langer Debatte \
                  genehmigt, und die Mitglieder haben sich auf eine gemeinsame Erklärung geeinigt.";
        let text = format!(
            "{}{}",
            format!("{de}\n").repeat(50),
            format!("{en}\n").repeat(50)
        );
        let (tally, judged) = judge([text.as_str()]);
        assert!(judged > CLEAR_VERDICTS, "{judged}");
        assert_eq!(tally.languages(), ["deu", "eng"]);
        // A short text is judged whole, in text order, and never stops early.
        let text = format!("{en}\n").repeat(5);
        assert_eq!(judge([text.as_str()]).1, 5);
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
    fn letters_are_counted_across_texts() {
        assert!(has_letters(&["abc", "def"], 6));
        assert!(!has_letters(&["abc", "12 345 6789"], 4));
        assert!(has_letters(&["Ärger", "über"], 9));
        assert!(has_letters(&[], 0));
        assert!(!has_letters(&[""], 1));
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
