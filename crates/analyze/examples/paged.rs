//! The analysis cost of paged documents as the ingest pipeline hands them over: every
//! file given is read as text with form feeds between pages (`pdftotext` output), made
//! into a `Pages` document (the pages' text joined in `indexText`, as ingest does) and
//! one `Page` entity per page, and the whole batch analysed together
//! (`Analyzer::analyze_each`), `ROUNDS` times over. Prints the CPU time per document and
//! the languages given to documents and pages, so that two builds can be compared on the
//! same texts.
//!
//! `cargo run --release -p analyze --example paged -- FILE...` (`ROUNDS=3` by default;
//! `for f in corpus/pdf/*.pdf; do pdftotext "$f" out/$(basename "$f" .pdf).txt; done`
//! writes suitable texts from the ingest benchmark's PDF corpus).

use std::collections::BTreeMap;

use analyze::{AnalyzeError, Analyzer, Context};
use ftm::Entity;

/// CPU time of this process (user + system), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command's closing parenthesis; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Field 14 is at index 11 after the state (field 3); clock ticks are 100 a second.
    (ticks(11) + ticks(12)) / 100.0
}

fn document(n: usize, text: &str) -> Result<Vec<Entity>, ftm::EntityError> {
    let id = format!("doc{n}");
    let mut doc = Entity::with_id("Pages", &id)?;
    doc.add("title", &format!("Document {n}"))?;
    let mut joined = String::new();
    let mut out = Vec::new();
    for (i, page_text) in text.split('\u{c}').enumerate() {
        let page_text = page_text.trim_end();
        let mut page = Entity::with_id("Page", format!("{id}.{}", i + 1))?;
        page.add("document", &id)?;
        page.add("index", &(i + 1).to_string())?;
        if !page_text.trim().is_empty() {
            page.add("bodyText", page_text)?;
            if !joined.is_empty() {
                joined.push_str("\n\n");
            }
            joined.push_str(page_text);
        }
        out.push(page);
    }
    if !joined.is_empty() {
        doc.add("indexText", &joined)?;
    }
    out.insert(0, doc);
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let mut batches = Vec::new();
    for (n, path) in std::env::args().skip(1).enumerate() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped (not UTF-8 text): {path}");
            continue;
        };
        batches.push(document(n, &text)?);
    }
    let analyzer = Analyzer::default();
    let context = Context::default();
    // The first document once, so that the lists' one-time loading is not counted.
    if let Some(first) = batches.first() {
        analyzer.analyze_each(first, &context, |_, _| Ok::<_, AnalyzeError>(()))?;
    }
    let mut languages: BTreeMap<String, usize> = BTreeMap::new();
    let start = cpu_seconds();
    for round in 0..rounds {
        for batch in &batches {
            analyzer.analyze_each(batch, &context, |entity, analysis| {
                if round == 0 {
                    let key = format!(
                        "{} {}",
                        entity.schema().name(),
                        analysis.entity.get("detectedLanguage").join("+")
                    );
                    *languages.entry(key).or_default() += 1;
                }
                Ok::<_, AnalyzeError>(())
            })?;
        }
    }
    let cpu = cpu_seconds() - start;
    let documents = batches.len() * rounds;
    println!(
        "{} documents, {} rounds: {cpu:.2} CPU s, {:.3} ms per document",
        batches.len(),
        rounds,
        cpu * 1000.0 / documents.max(1) as f64
    );
    for (key, count) in languages {
        println!("{count:>6}  {key}");
    }
    Ok(())
}
