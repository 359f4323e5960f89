//! Measure the name recogniser on the labelled sentences in `tests/data/ner_eval.tsv`
//! (precision and recall per kind and per language), and the analyzer's throughput.
//!
//! `cargo run --release -p analyze --example evaluate [-- --verbose]`

use std::collections::BTreeMap;
use std::time::Instant;

use analyze::names::{NameKind, Recognizer, RuleRecognizer};
use analyze::{Analyzer, Context};

const LABELLED: &str = include_str!("../tests/data/ner_eval.tsv");

#[derive(Default)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Score {
    fn line(&self) -> String {
        let p = self.tp as f64 / (self.tp + self.fp).max(1) as f64;
        let r = self.tp as f64 / (self.tp + self.fn_).max(1) as f64;
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        format!(
            "P {:.2}  R {:.2}  F1 {:.2}  (tp {}, fp {}, fn {})",
            p, r, f, self.tp, self.fp, self.fn_
        )
    }
}

fn label(kind: NameKind) -> &'static str {
    match kind {
        NameKind::Person => "PER",
        NameKind::Company | NameKind::Organization => "ORG",
        NameKind::Location => "LOC",
    }
}

fn main() {
    let verbose = std::env::args().any(|a| a == "--verbose");
    let mut scores: BTreeMap<(String, String), Score> = BTreeMap::new();
    let mut sentences = Vec::new();
    for line in LABELLED
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let [lang, text, labels] = cols[..] else {
            panic!("bad line: {line}");
        };
        sentences.push(text);
        let mut gold: Vec<(String, String)> = labels
            .split(" | ")
            .filter_map(|l| l.split_once(':'))
            .map(|(k, n)| (k.to_owned(), n.to_owned()))
            .collect();
        let found: Vec<(String, String)> = RuleRecognizer
            .recognize(text, &[])
            .into_iter()
            .map(|s| (label(s.kind).to_owned(), s.name))
            .collect();
        let mut wrong = Vec::new();
        for f in &found {
            let hit = gold.iter().position(|g| g == f);
            let kinds = [f.0.clone(), "ALL".to_owned()];
            for kind in kinds {
                for l in [lang.to_owned(), "all".to_owned()] {
                    let s = scores.entry((l, kind.clone())).or_default();
                    if hit.is_some() { s.tp += 1 } else { s.fp += 1 }
                }
            }
            match hit {
                Some(i) => {
                    gold.remove(i);
                }
                None => wrong.push(format!("+{}:{}", f.0, f.1)),
            }
        }
        for g in &gold {
            for kind in [g.0.clone(), "ALL".to_owned()] {
                for l in [lang.to_owned(), "all".to_owned()] {
                    scores.entry((l, kind.clone())).or_default().fn_ += 1;
                }
            }
            wrong.push(format!("-{}:{}", g.0, g.1));
        }
        if verbose && !wrong.is_empty() {
            println!("{lang} {text}\n    {}", wrong.join("  "));
        }
    }
    println!(
        "name recogniser, {} sentences, exact matches of kind and name:",
        sentences.len()
    );
    for ((lang, kind), score) in &scores {
        println!("  {lang:4} {kind:4} {}", score.line());
    }

    // Language detection on the same sentences, one at a time (short texts).
    let (mut right, mut wrong, mut none) = (0, 0, 0);
    for line in LABELLED
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        match analyze::language::detect_languages([cols[1]]).first() {
            Some(code) if code == cols[0] => right += 1,
            Some(code) => {
                wrong += 1;
                if verbose {
                    println!("language {code} for {}: {}", cols[0], cols[1]);
                }
            }
            None => none += 1,
        }
    }
    println!("language of single sentences: {right} right, {wrong} wrong, {none} undecided");

    // Throughput: the whole analyzer over a document made of the sentences, repeated.
    let paragraph = sentences.join("\n");
    let mut body = String::new();
    while body.len() < 2_000_000 {
        body.push_str(&paragraph);
        body.push_str(
            "\ncontact: jane.doe@example.org, +49 30 1234567, IBAN DE89 3704 0044 0532 0130 00\n\n",
        );
    }
    let analyzer = Analyzer::default();
    let context = Context {
        max_text_chars: usize::MAX,
        ..Context::default()
    };
    let mut doc = ftm::Entity::with_id("PlainText", "bench").expect("schema");
    doc.add("bodyText", &body).expect("property");
    // Warm up (builds the gazetteer once).
    analyzer.analyze(&doc, &context).expect("analyze");
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
        "throughput: {:.1} MB of text in {:.3} s = {:.2} MB/s ({} mentions)",
        mb,
        secs,
        mb / secs,
        mentions
    );
    let start = Instant::now();
    let _ = analyze::names::place_country("Berlin");
    println!("gazetteer lookup after load: {:?}", start.elapsed());
}
