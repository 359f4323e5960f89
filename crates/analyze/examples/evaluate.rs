//! Measure the analyzer on labelled sentences — names (PER, ORG, LOC) and patterns (EMAIL,
//! PHONE, IBAN, URL, IP) — with precision, recall and F1 per label and per language;
//! language detection on single sentences; and the analyzer's throughput on one core.
//!
//! The sets in `tests/data/`, all written for this project:
//!
//! - `ner_eval.tsv`: the development set the name rules were tuned on;
//! - `ner_heldout.tsv`: written afterwards and measured (P 0.93, R 0.83 before any change),
//!   then the bugs it showed were fixed, so it is no longer unseen;
//! - `ner_fresh.tsv`: written after that, measured once, untuned;
//! - `analysis_dev.tsv`: names and patterns, a development part (fixes may be made on it);
//! - `analysis_test.tsv`: names and patterns, held out: measured, never tuned on.
//!
//! Pattern labels hold the value in FtM's clean form; phones are read with the row's
//! country hint (fourth column) or the language's country. Findings of kinds that are not
//! labelled (BICs, LEIs, IMO numbers, crypto addresses) are not scored.
//!
//! `cargo run --release -p analyze --example evaluate [-- --verbose] [-- --no-speed]`;
//! `--verbose` lists the errors of every set but the held-out one, so that it stays
//! unseen (`--show-held-out` lists its errors too, for a final report only).
//! (wrapped by `bench/analysis/run.sh`).

use std::collections::BTreeMap;
use std::time::Instant;

use analyze::names::{NameKind, Recognizer, RuleRecognizer};
use analyze::patterns::{PatternKind, find_patterns};
use analyze::{Analyzer, Context};

const SETS: [(&str, &str); 5] = [
    (
        "ner_eval (development)",
        include_str!("../tests/data/ner_eval.tsv"),
    ),
    (
        "ner_heldout (seen)",
        include_str!("../tests/data/ner_heldout.tsv"),
    ),
    (
        "ner_fresh (untuned)",
        include_str!("../tests/data/ner_fresh.tsv"),
    ),
    (
        "analysis_dev (development)",
        include_str!("../tests/data/analysis_dev.tsv"),
    ),
    (
        "analysis_test (held out)",
        include_str!("../tests/data/analysis_test.tsv"),
    ),
];
const LANGUAGES: [&str; 5] = ["eng", "deu", "fra", "spa", "rus"];
const LABELS: [&str; 8] = ["PER", "ORG", "LOC", "EMAIL", "PHONE", "IBAN", "URL", "IP"];

#[derive(Default, Clone, Copy)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Score {
    fn prf(&self) -> (f64, f64, f64) {
        let p = self.tp as f64 / (self.tp + self.fp).max(1) as f64;
        let r = self.tp as f64 / (self.tp + self.fn_).max(1) as f64;
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        (p, r, f)
    }

    fn empty(&self) -> bool {
        self.tp + self.fp + self.fn_ == 0
    }
}

fn name_label(kind: NameKind) -> &'static str {
    match kind {
        NameKind::Person => "PER",
        NameKind::Company | NameKind::Organization => "ORG",
        NameKind::Location => "LOC",
    }
}

fn pattern_label(kind: PatternKind) -> Option<&'static str> {
    match kind {
        PatternKind::Email => Some("EMAIL"),
        PatternKind::Phone => Some("PHONE"),
        PatternKind::Iban => Some("IBAN"),
        PatternKind::Url => Some("URL"),
        PatternKind::Ip => Some("IP"),
        _ => None,
    }
}

fn is_name(label: &str) -> bool {
    matches!(label, "PER" | "ORG" | "LOC")
}

/// The country a national phone number is read in, by the sentence's language.
fn default_region(lang: &str) -> &'static str {
    match lang {
        "deu" => "de",
        "fra" => "fr",
        "spa" => "es",
        "rus" => "ru",
        _ => "gb",
    }
}

struct Row<'a> {
    lang: &'a str,
    text: &'a str,
    gold: Vec<(String, String)>,
    regions: Vec<String>,
}

fn rows(data: &str) -> Vec<Row<'_>> {
    data.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let (lang, text, labels, regions) = match cols[..] {
                [lang, text, labels, regions] => (lang, text, labels, regions),
                [lang, text, labels] => (lang, text, labels, default_region(lang)),
                [lang, text] => (lang, text, "", default_region(lang)),
                _ => panic!("bad line: {line}"),
            };
            let gold = labels
                .split(" | ")
                .filter_map(|l| l.split_once(':'))
                .map(|(k, n)| (k.to_owned(), n.to_owned()))
                .collect();
            let regions = regions.split(',').map(str::to_owned).collect();
            Row {
                lang,
                text,
                gold,
                regions,
            }
        })
        .collect()
}

/// What the analyzer finds in one sentence, as (label, value).
fn found(row: &Row<'_>) -> Vec<(String, String)> {
    let names = RuleRecognizer
        .recognize(row.text, &[])
        .into_iter()
        .map(|s| (name_label(s.kind).to_owned(), s.name));
    let patterns = find_patterns(row.text, &row.regions)
        .into_iter()
        .filter_map(|f| pattern_label(f.kind).map(|l| (l.to_owned(), f.value)));
    names.chain(patterns).collect()
}

type Scores = BTreeMap<(String, String), Score>;

/// Score one set; with `multi_word_only`, one-word people and organisations are left out
/// of both sides (Aleph's rules, which we follow, never report a name without a space).
fn evaluate(data: &str, multi_word_only: bool, verbose: bool) -> (usize, Scores) {
    let mut scores = Scores::new();
    let keep = |kind: &str, name: &str| {
        !multi_word_only || !matches!(kind, "PER" | "ORG") || name.contains(' ')
    };
    let all = rows(data);
    for row in &all {
        let mut gold: Vec<(String, String)> = row
            .gold
            .iter()
            .filter(|(k, n)| keep(k, n))
            .cloned()
            .collect();
        let found: Vec<(String, String)> =
            found(row).into_iter().filter(|(k, n)| keep(k, n)).collect();
        let mut wrong = Vec::new();
        let mut count = |label: &str, f: &dyn Fn(&mut Score)| {
            let group = if is_name(label) { "names" } else { "patterns" };
            for l in [label, group] {
                for lang in [row.lang, "all"] {
                    f(scores.entry((l.to_owned(), lang.to_owned())).or_default());
                }
            }
        };
        for f in &found {
            match gold.iter().position(|g| g == f) {
                Some(i) => {
                    gold.remove(i);
                    count(&f.0, &|s| s.tp += 1);
                }
                None => {
                    count(&f.0, &|s| s.fp += 1);
                    wrong.push(format!("+{}:{}", f.0, f.1));
                }
            }
        }
        for g in &gold {
            count(&g.0, &|s| s.fn_ += 1);
            wrong.push(format!("-{}:{}", g.0, g.1));
        }
        if verbose && !wrong.is_empty() {
            println!(
                "    {} {}\n        {}",
                row.lang,
                row.text,
                wrong.join("  ")
            );
        }
    }
    (all.len(), scores)
}

/// A markdown table: one row per label with P, R, F1 and counts over all languages, then
/// F1 per language.
fn table(scores: &Scores) {
    println!("| label | P | R | F1 | tp | fp | fn | eng | deu | fra | spa | rus |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let labels = LABELS.iter().copied().chain(["names", "patterns"]);
    for label in labels {
        let Some(all) = scores.get(&(label.to_owned(), "all".to_owned())) else {
            continue;
        };
        let (p, r, f) = all.prf();
        let mut line = format!(
            "| {label} | {p:.2} | {r:.2} | {f:.2} | {} | {} | {} |",
            all.tp, all.fp, all.fn_
        );
        for lang in LANGUAGES {
            match scores.get(&(label.to_owned(), lang.to_owned())) {
                Some(s) if !s.empty() => line.push_str(&format!(" {:.2} |", s.prf().2)),
                _ => line.push_str(" – |"),
            }
        }
        println!("{line}");
    }
}

fn main() {
    let verbose = std::env::args().any(|a| a == "--verbose");
    let show_held_out = std::env::args().any(|a| a == "--show-held-out");
    let speed = !std::env::args().any(|a| a == "--no-speed");
    for (name, data) in SETS {
        for multi_word_only in [false, true] {
            let show = (verbose && !name.contains("held out")) || show_held_out;
            let (n, scores) = evaluate(data, multi_word_only, show && !multi_word_only);
            let how = if multi_word_only {
                "people and organisations of two words or more"
            } else {
                "exact label and value"
            };
            println!("\n{name}, {n} sentences, {how}:\n");
            table(&scores);
        }
    }
    let total: usize = SETS.iter().map(|(_, d)| rows(d).len()).sum();
    println!("\n{total} labelled sentences in all");

    // Language detection on the same sentences, one at a time (short texts).
    let (mut right, mut wrong, mut none) = (0, 0, 0);
    let all_rows: Vec<Row<'_>> = SETS.iter().flat_map(|(_, data)| rows(data)).collect();
    for row in &all_rows {
        match analyze::language::detect_languages([row.text]).first() {
            Some(code) if code == row.lang => right += 1,
            Some(code) => {
                wrong += 1;
                if verbose {
                    println!("language {code} for {}: {}", row.lang, row.text);
                }
            }
            None => none += 1,
        }
    }
    println!("language of single sentences: {right} right, {wrong} wrong, {none} undecided");
    if speed {
        throughput(&all_rows);
    }
}

/// The whole analyzer over a document made of the sentences, repeated, on one core.
fn throughput(all_rows: &[Row<'_>]) {
    let sentences: Vec<&str> = all_rows.iter().map(|r| r.text).collect();
    let paragraph = sentences.join("\n");
    let mut body = String::new();
    while body.len() < 2_000_000 {
        body.push_str(&paragraph);
        body.push_str("\n\n");
    }
    let analyzer = Analyzer::default();
    let context = Context {
        max_text_chars: usize::MAX,
        collection_countries: vec!["de".to_owned()],
        ..Context::default()
    };
    let mut doc = ftm::Entity::with_id("PlainText", "bench").expect("schema");
    doc.add("bodyText", &body).expect("property");
    let start = Instant::now();
    analyzer.analyze(&doc, &context).expect("analyze");
    println!(
        "first analysis (builds the lexicon and gazetteer): {:.3} s",
        start.elapsed().as_secs_f64()
    );
    let runs = 3;
    let start = Instant::now();
    let mut mentions = 0;
    for _ in 0..runs {
        mentions = analyzer
            .analyze(&doc, &context)
            .expect("analyze")
            .mentions
            .len();
    }
    let secs = start.elapsed().as_secs_f64() / runs as f64;
    let mb = body.len() as f64 / 1e6;
    println!(
        "throughput: {:.1} MB of text in {:.3} s = {:.2} MB/s on one core ({} mentions)",
        mb,
        secs,
        mb / secs,
        mentions
    );
}
