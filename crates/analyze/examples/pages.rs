//! Memory of analysing a long document: a generated 10,000-page text (about 3,000
//! characters a page), analysed page by page as `Page` entities and as one `Pages`
//! document holding all of it, with the peak resident memory (`VmHWM`) read after each
//! step. Bounded memory shows as a peak that does not grow with the number of pages.
//!
//! `cargo run --release -p analyze --example pages [-- PAGES]` (default 10,000; wrapped by
//! `bench/analysis/run.sh`).

use std::time::Instant;

use analyze::{Analyzer, Context};
use ftm::Entity;

const SENTENCES: &str = include_str!("../tests/data/analysis_dev.tsv");
const PAGE_CHARS: usize = 3_000;

/// Peak and current resident memory of this process, in MB (Linux).
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// The text of page `n`: the labelled sentences, rotated so that pages differ, with a
/// page header and a contact line whose numbers change from page to page.
fn page(n: usize, sentences: &[&str]) -> String {
    let mut text = format!("Page {} — internal memo\n", n + 1);
    let mut i = n % sentences.len();
    while text.len() < PAGE_CHARS {
        text.push_str(sentences[i]);
        text.push('\n');
        i = (i + 7) % sentences.len();
    }
    text.push_str(&format!(
        "Contact: desk{}@example.org, +49 30 {:07}\n",
        n % 97,
        1_000_000 + n
    ));
    text
}

fn report(step: &str, started: Instant) {
    let (peak, now) = memory();
    println!(
        "{step:<48} {:>7.2} s  peak RSS {peak:>7.1} MB  RSS {now:>7.1} MB",
        started.elapsed().as_secs_f64()
    );
}

fn main() {
    let pages: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let sentences: Vec<&str> = SENTENCES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').nth(1))
        .collect();
    let analyzer = Analyzer::default();
    let context = Context::default();
    let started = Instant::now();
    let mut warm = Entity::with_id("PlainText", "warm").expect("schema");
    warm.add("bodyText", "Angela Merkel met Emmanuel Macron in Paris.")
        .expect("property");
    analyzer.analyze(&warm, &context).expect("analyze");
    report("lexicon and gazetteers built", started);

    // Page by page, as ingestion emits them: one page's text at a time.
    let started = Instant::now();
    let (mut chars, mut languages) = (0, 0);
    for n in 0..pages {
        let text = page(n, &sentences);
        chars += text.chars().count();
        let mut entity = Entity::with_id("Page", format!("page-{n}")).expect("schema");
        entity.add("bodyText", &text).expect("property");
        let analysis = analyzer.analyze(&entity, &context).expect("analyze");
        languages += analysis.entity.get("detectedLanguage").len();
        if n + 1 == pages / 10 {
            report(&format!("{} pages analysed", n + 1), started);
        }
    }
    report(
        &format!("{pages} pages analysed ({chars} characters)"),
        started,
    );
    assert!(languages >= pages, "every page gets a language");

    // The whole document at once: its text is read up to the analyzer's cap.
    let started = Instant::now();
    let mut body = String::with_capacity(chars * 2);
    for n in 0..pages {
        body.push_str(&page(n, &sentences));
    }
    let mut doc = Entity::with_id("Pages", "doc").expect("schema");
    doc.add("bodyText", &body).expect("property");
    drop(body);
    report(
        &format!("{pages}-page document built ({chars} characters)"),
        started,
    );
    let started = Instant::now();
    let analysis = analyzer.analyze(&doc, &context).expect("analyze");
    report(
        &format!(
            "document analysed (truncated: {}, {} mentions)",
            analysis.truncated,
            analysis.mentions.len()
        ),
        started,
    );
}
