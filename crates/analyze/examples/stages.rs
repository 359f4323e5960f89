//! Time each stage of the analyzer separately on the evaluation sentences, repeated.
use std::time::Instant;

use analyze::names::{Recognizer, RuleRecognizer};

fn main() {
    let data = include_str!("../tests/data/ner_eval.tsv");
    let sentences: Vec<&str> = data
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').nth(1))
        .collect();
    let mut body = String::new();
    while body.len() < 2_000_000 {
        body.push_str(&sentences.join("\n"));
        body.push_str("\ncontact: jane.doe@example.org, +49 30 1234567\n\n");
    }
    let _ = RuleRecognizer.recognize("warm up Angela Merkel in Berlin", &[]);
    let mb = body.len() as f64 / 1e6;
    let t = Instant::now();
    let langs = analyze::language::detect_languages([body.as_str()]);
    println!(
        "language: {:.2} MB/s {langs:?}",
        mb / t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let n = analyze::patterns::find_patterns(&body, &["de".to_owned()]).len();
    println!("patterns: {:.2} MB/s ({n})", mb / t.elapsed().as_secs_f64());
    let t = Instant::now();
    let n: usize = body
        .as_bytes()
        .chunks(25_000)
        .map(|c| {
            RuleRecognizer
                .recognize(&String::from_utf8_lossy(c), &[])
                .len()
        })
        .sum();
    println!("names: {:.2} MB/s ({n})", mb / t.elapsed().as_secs_f64());
}
