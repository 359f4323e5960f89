//! The cost of language detection alone: every file given is read as text (a file with
//! form feeds as pages, one text per page, as a PDF's `Page` entities are judged) and its
//! languages detected, `ROUNDS` times over; prints the time per text and the verdicts'
//! tally, so that two builds can be compared on the same texts.
//!
//! `cargo run --release -p analyze --example languages -- FILE...`
//! (`ROUNDS=5` by default; `bench/ingest` writes suitable texts: `pdftotext` of the PDF
//! corpus, the TXT corpus as it is).

use std::collections::BTreeMap;
use std::time::Instant;

use analyze::language::detect_languages;

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let mut texts: Vec<String> = Vec::new();
    for path in std::env::args().skip(1) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped (not UTF-8 text): {path}");
            continue;
        };
        texts.extend(text.split('\u{c}').map(str::to_owned));
    }
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    let mut verdicts: BTreeMap<String, usize> = BTreeMap::new();
    let start = Instant::now();
    for round in 0..rounds {
        for text in &texts {
            let languages = detect_languages([text.as_str()]);
            if round == 0 {
                *verdicts.entry(languages.join("+")).or_default() += 1;
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let judged = (texts.len() * rounds) as f64;
    println!(
        "{} texts, {} characters, {rounds} rounds: {:.3} s, {:.1} µs per text",
        texts.len(),
        chars,
        seconds,
        seconds / judged * 1e6
    );
    println!("verdicts: {verdicts:?}");
}
