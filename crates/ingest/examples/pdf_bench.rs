//! PDF extraction throughput: pages per second through `ingest::ingest` (detection,
//! pdf_oxide, Page entities), next to `pdftotext` on the same files.
//!
//! ```text
//! cargo run --release -p ingest --example pdf_bench -- --generate DIR [FILES [PAGES]]
//! cargo run --release -p ingest --example pdf_bench -- DIR [--no-pdftotext]
//! ```
//!
//! `--generate` writes a corpus: FILES (default 200) PDFs of PAGES (default 5) pages of
//! about 50 lines each, made by the tests' PDF writer (Type 1 Helvetica, uncompressed),
//! plus, when LibreOffice is installed, 20 PDFs that LibreOffice makes from generated
//! OpenDocument texts (embedded TrueType subsets, compressed streams: what office
//! exports look like). Both tools run one file after the other on one core; pdftotext
//! starts one process per file, as a pipeline calling it would.

#[path = "../tests/support/documents_office.rs"]
mod office;
#[path = "../tests/support/documents_pdf.rs"]
mod pdf;
#[path = "../tests/support/documents_util.rs"]
mod util;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use ingest::{CollectingSink, Context, FileInfo};

const WORDS: [&str; 24] = [
    "company",
    "account",
    "transfer",
    "director",
    "shares",
    "offshore",
    "holding",
    "contract",
    "invoice",
    "payment",
    "beneficial",
    "owner",
    "trust",
    "registry",
    "nominee",
    "agreement",
    "bank",
    "limited",
    "fund",
    "property",
    "loan",
    "audit",
    "report",
    "subsidiary",
];

fn line(seed: usize) -> String {
    (0..12)
        .map(|i| WORDS[(seed * 7 + i * 13) % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn generate(dir: &Path, files: usize, pages: usize) {
    std::fs::create_dir_all(dir).expect("create the corpus directory");
    for f in 0..files {
        let page_lines: Vec<Vec<String>> = (0..pages)
            .map(|p| {
                (0..48)
                    .map(|l| format!("{} {f}-{p}-{l}", line(f + p * 31 + l)))
                    .collect()
            })
            .collect();
        let doc = pdf::Pdf {
            pages: page_lines.into_iter().map(pdf::Page::Text).collect(),
            ..pdf::Pdf::default()
        };
        std::fs::write(dir.join(format!("gen-{f:04}.pdf")), doc.to_bytes()).expect("write a PDF");
    }
    // Office exports, if LibreOffice is here.
    let odt_dir = dir.join("odt");
    std::fs::create_dir_all(&odt_dir).expect("create the ODT directory");
    let mut odts = Vec::new();
    for f in 0..20 {
        let paragraphs: Vec<Vec<String>> = (0..pages)
            .map(|p| {
                (0..30)
                    .map(|l| format!("{} {f}-{p}-{l}.", line(f * 3 + p + l)))
                    .collect()
            })
            .collect();
        let refs: Vec<Vec<&str>> = paragraphs
            .iter()
            .map(|p| p.iter().map(String::as_str).collect())
            .collect();
        let slices: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
        let path = odt_dir.join(format!("office-{f:02}.odt"));
        std::fs::write(&path, office::odt("Generated", "pdf_bench", &slices))
            .expect("write an ODT");
        odts.push(path);
    }
    let profile = format!(
        "-env:UserInstallation=file://{}",
        dir.join("lo-profile").display()
    );
    let converted = Command::new("soffice")
        .arg(profile)
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir)
        .args(&odts)
        .output();
    match converted {
        Ok(out) if out.status.success() => {
            eprintln!("LibreOffice converted {} office files", odts.len())
        }
        _ => eprintln!("LibreOffice not available: only writer-made PDFs"),
    }
    let _ = std::fs::remove_dir_all(&odt_dir);
    let _ = std::fs::remove_dir_all(dir.join("lo-profile"));
}

fn pdfs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the corpus directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")))
        .collect();
    files.sort();
    files
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--generate") {
        let dir = PathBuf::from(args.get(1).expect("--generate DIR [FILES [PAGES]]"));
        let files = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(200);
        let pages = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(5);
        generate(&dir, files, pages);
        return;
    }
    let dir = PathBuf::from(
        args.first()
            .expect("usage: pdf_bench DIR [--no-pdftotext] | --generate DIR"),
    );
    let compare = !args.iter().any(|a| a == "--no-pdftotext");
    let files = pdfs(&dir);
    let work = tempfile::tempdir().expect("work directory");
    let ctx = Context::new(work.path());

    let started = Instant::now();
    let (mut pages, mut failed, mut chars) = (0usize, 0usize, 0usize);
    for path in &files {
        let mut entity = ftm::Entity::with_id("Document", "bench").expect("entity");
        let info = FileInfo {
            file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            mime_type: None,
        };
        let mut sink = CollectingSink::default();
        if ingest::ingest(&mut entity, path, &info, &ctx, &mut sink).is_err() {
            failed += 1;
        }
        for page in &sink.entities {
            pages += 1;
            chars += page.first("bodyText").map_or(0, str::len);
        }
    }
    let ours = started.elapsed().as_secs_f64();
    println!(
        "ingest:    {} files, {pages} pages, {failed} failed, {:.1} MB text in {ours:.2} s = {:.0} pages/s",
        files.len(),
        chars as f64 / 1e6,
        pages as f64 / ours
    );

    if compare {
        let started = Instant::now();
        let mut their_pages = 0usize;
        for path in &files {
            let out = Command::new("pdftotext")
                .args(["-enc", "UTF-8"])
                .arg(path)
                .arg("-")
                .output();
            if let Ok(out) = out {
                their_pages += out.stdout.iter().filter(|b| **b == 0x0c).count();
            }
        }
        let theirs = started.elapsed().as_secs_f64();
        println!(
            "pdftotext: {} files, {their_pages} pages in {theirs:.2} s = {:.0} pages/s",
            files.len(),
            their_pages as f64 / theirs
        );
    }
}
