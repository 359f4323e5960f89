//! Our page-text assembler (`src/documents/pdf/text.rs`) against pdftotext and pdf_oxide's
//! own `extract_text`, file by file: token recall and precision, how many pages the fast
//! path kept and how many went to pdf_oxide, and the CPU time of each reader.
//!
//! ```text
//! cargo run --release -p ingest --example pdf_compare -- DIR_OR_FILE... [--pages N] [--dump FILE]
//! ```
//!
//! Tokens are lower-cased runs of letters and digits (ligatures spelt out), counted as a multiset: recall is the
//! share of the reference's tokens that ours has too, precision the share of ours that the
//! reference has. "ours" is what ingestion stores: the fast path's pages, and pdf_oxide's
//! `extract_text` for the pages the fast path leaves to it. CPU times are this thread's
//! (schedstat, ns) for the in-process readers, and the child's user+sys (bash `times`, ms)
//! for pdftotext; each reader opens the file afresh.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "../src/documents/pdf/text.rs"]
#[allow(dead_code)]
mod text;

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

use pdf_oxide::document::PdfDocument;

fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

fn tokens(text: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for token in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
    {
        // pdftotext keeps ligature code points that we spell out; a search analyser
        // folds them, so they count as the same token here.
        let token: String = token
            .chars()
            .map(|c| match text::ligature(c) {
                Some(letters) => letters.to_string(),
                None => c.to_string(),
            })
            .collect();
        *out.entry(token.to_lowercase()).or_insert(0) += 1;
    }
    out
}

/// (recall, precision) of `ours` against `reference`; 1.0 where there is nothing to find.
fn score(ours: &HashMap<String, usize>, reference: &HashMap<String, usize>) -> (f64, f64) {
    let common: usize = ours
        .iter()
        .map(|(t, n)| (*n).min(reference.get(t).copied().unwrap_or(0)))
        .sum();
    let total = |m: &HashMap<String, usize>| m.values().sum::<usize>();
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    (ratio(common, total(reference)), ratio(common, total(ours)))
}

struct Ours {
    text: String,
    fast: usize,
    fallback: usize,
    reasons: Vec<String>,
}

fn ours(path: &Path, pages: usize) -> Option<Ours> {
    let doc = PdfDocument::open(path).ok()?;
    let count = doc.page_count().ok()?.min(pages);
    let mut out = Ours {
        text: String::new(),
        fast: 0,
        fallback: 0,
        reasons: Vec::new(),
    };
    let mut assembler = (!doc.is_encrypted()).then(|| text::Assembler::new(&doc));
    for i in 0..count {
        if let Some(a) = assembler.as_mut() {
            match catch_unwind(AssertUnwindSafe(|| a.page(i))) {
                Ok(Ok(text)) => {
                    out.fast += 1;
                    out.text.push_str(&text);
                    out.text.push('\n');
                    continue;
                }
                Ok(Err(why)) => out.reasons.push(why.to_string()),
                Err(_) => {
                    out.reasons.push("panic".into());
                    assembler = None;
                }
            }
        } else {
            out.reasons.push("encrypted or given up".into());
        }
        out.fallback += 1;
        if let Ok(Ok(text)) = catch_unwind(AssertUnwindSafe(|| doc.extract_text(i))) {
            out.text.push_str(&text);
            out.text.push('\n');
        }
    }
    Some(out)
}

fn oxide(path: &Path, pages: usize) -> Option<(String, usize)> {
    let doc = PdfDocument::open(path).ok()?;
    let count = doc.page_count().ok()?;
    let mut text = String::new();
    for i in 0..count.min(pages) {
        if let Ok(Ok(t)) = catch_unwind(AssertUnwindSafe(|| doc.extract_text(i))) {
            text.push_str(&t);
            text.push('\n');
        }
    }
    Some((text, count))
}

/// pdftotext's text of the first `pages` pages and its CPU seconds.
fn pdftotext(path: &Path, pages: usize) -> (String, f64) {
    let out = std::env::temp_dir().join(format!("pdf_compare_{}.txt", std::process::id()));
    let run = Command::new("bash")
        .args([
            "-c",
            "pdftotext -q -enc UTF-8 -l \"$3\" \"$1\" \"$2\"; times",
            "_",
        ])
        .arg(path)
        .arg(&out)
        .arg(pages.to_string())
        .output();
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    // `times` prints the shell's user/sys, then its children's: "0m0.012s 0m0.004s".
    let cpu = run
        .ok()
        .and_then(|o| {
            let s = String::from_utf8_lossy(&o.stdout).to_string();
            let line = s.lines().last()?.to_string();
            Some(line.split_whitespace().filter_map(seconds).sum::<f64>())
        })
        .unwrap_or(0.0);
    (text, cpu)
}

fn seconds(field: &str) -> Option<f64> {
    let (m, s) = field.strip_suffix('s')?.split_once('m')?;
    Some(m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?)
}

fn files(args: &[String]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for arg in args {
        let path = PathBuf::from(arg);
        if path.is_dir() {
            let mut dir: Vec<PathBuf> = std::fs::read_dir(&path)
                .unwrap()
                .filter_map(|e| Some(e.ok()?.path()))
                .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")))
                .collect();
            dir.sort();
            out.extend(dir);
        } else {
            out.push(path);
        }
    }
    out
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut pages = 100;
    let mut dump = None;
    if let Some(i) = args.iter().position(|a| a == "--pages") {
        pages = args[i + 1].parse().unwrap();
        args.drain(i..=i + 1);
    }
    if let Some(i) = args.iter().position(|a| a == "--dump") {
        dump = Some(args[i + 1].clone());
        args.drain(i..=i + 1);
    }
    println!(
        "file\tpages\tfast\tfallback\trecall_pt\tprec_pt\trecall_ox\tprec_ox\tox_recall_pt\tcpu_ours\tcpu_oxide\tcpu_pdftotext\treasons"
    );
    let mut sums = [0.0f64; 8];
    let (mut n, mut fast, mut fallback, mut pages_total) = (0usize, 0usize, 0usize, 0usize);
    let mut below = Vec::new();
    let mut reasons: HashMap<String, usize> = HashMap::new();
    for path in files(&args) {
        let t0 = thread_cpu();
        let Some(mine) = ours(&path, pages) else {
            eprintln!("{}: pdf_oxide cannot open it", path.display());
            continue;
        };
        let t1 = thread_cpu();
        let Some((theirs, count)) = oxide(&path, pages) else {
            continue;
        };
        let t2 = thread_cpu();
        let (poppler, cpu_pt) = pdftotext(&path, pages);
        let (ours_t, ox_t, pt_t) = (tokens(&mine.text), tokens(&theirs), tokens(&poppler));
        let (r_pt, p_pt) = score(&ours_t, &pt_t);
        let (r_ox, p_ox) = score(&ours_t, &ox_t);
        let (ox_r_pt, _) = score(&ox_t, &pt_t);
        if dump.as_deref() == path.file_name().and_then(|f| f.to_str()) {
            std::fs::write("/tmp/pdf_compare_ours.txt", &mine.text).unwrap();
            std::fs::write("/tmp/pdf_compare_oxide.txt", &theirs).unwrap();
            std::fs::write("/tmp/pdf_compare_pdftotext.txt", &poppler).unwrap();
        }
        let mut why: Vec<String> = mine.reasons.clone();
        why.sort();
        why.dedup();
        for r in &mine.reasons {
            *reasons
                .entry(r.split(':').next().unwrap_or(r).to_string())
                .or_default() += 1;
        }
        println!(
            "{}\t{}\t{}\t{}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{:.4}\t{:.4}\t{:.4}\t{}",
            path.display(),
            count,
            mine.fast,
            mine.fallback,
            r_pt,
            p_pt,
            r_ox,
            p_ox,
            ox_r_pt,
            t1 - t0,
            t2 - t1,
            cpu_pt,
            why.join("; ")
        );
        if ox_r_pt >= 0.98 && r_pt < 0.98 {
            below.push(path.display().to_string());
        }
        for (s, v) in
            sums.iter_mut()
                .zip([r_pt, p_pt, r_ox, p_ox, ox_r_pt, t1 - t0, t2 - t1, cpu_pt])
        {
            *s += v;
        }
        n += 1;
        fast += mine.fast;
        fallback += mine.fallback;
        pages_total += mine.fast + mine.fallback;
    }
    let m = n.max(1) as f64;
    println!(
        "# {n} files, {pages_total} pages: fast {fast}, fallback {fallback} ({:.1} %)",
        100.0 * fallback as f64 / pages_total.max(1) as f64
    );
    println!(
        "# means: recall_pt {:.4} prec_pt {:.4} recall_ox {:.4} prec_ox {:.4} ox_recall_pt {:.4}",
        sums[0] / m,
        sums[1] / m,
        sums[2] / m,
        sums[3] / m,
        sums[4] / m
    );
    println!(
        "# CPU s total: ours {:.3} oxide {:.3} pdftotext {:.3}",
        sums[5], sums[6], sums[7]
    );
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
    println!("# fallback reasons (pages): {reasons:?}");
    println!(
        "# files where pdf_oxide recalls >= 0.98 of pdftotext and ours does not: {} {:?}",
        below.len(),
        below
    );
}
