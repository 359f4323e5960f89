//! Legacy and exotic office formats: RTF (native), Word 97 `.doc` and PowerPoint 97
//! `.ppt` (native; the test files are made by LibreOffice from generated OpenDocument
//! files), and formats that only LibreOffice reads (converted to PDF, kept as `pdfHash`).
#![allow(clippy::unwrap_used)]

#[path = "support/documents_office.rs"]
mod office;
#[path = "support/documents_util.rs"]
mod util;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use ingest::{ErrorClass, Format};
use util::{context, ingest_bytes, ingest_bytes_with, ingest_path, run_tool, with_libreoffice};

const RTF: &str = r#"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss\fcharset0 Arial;}{\f1\fnil\fcharset204 Times New Roman Cyr;}}
{\info{\title Witness statement}{\author Karl Kl\'e4ger}{\keywords fraud; bribery}{\creatim\yr2018\mo11\dy12\hr13\min14}{\revtim\yr2019\mo1\dy2}}
{\*\generator Msftedit 5.41.21.2510;}
\pard\f0\fs24 I, Karl Kl\'e4ger, saw the payment of \u8364?5,000.\par
{\pict\wmetafile8\picw100\pich100 0102030405060708090a}
The receipt is in {\f1\'d0\'f3\'f1\'f1\'ea\'e8\'e9} text.\par
\page
Second page: {\field{\*\fldinst HYPERLINK "http://example.org"}{\fldrslt the link}}.\par
}"#;

#[test]
fn rtf_pages_text_and_info() {
    let run = ingest_bytes("statement.rtf", RTF.as_bytes());
    assert_eq!(run.ok(), Format::Rtf);
    assert_eq!(run.schema(), "Pages");
    let texts = run.page_texts();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts[0].contains("I, Karl Kläger, saw the payment of €5,000."),
        "{texts:?}"
    );
    assert!(
        texts[0].contains("The receipt is in Русский text."),
        "{texts:?}"
    );
    assert!(!texts[0].contains("0102030405"));
    assert_eq!(texts[1], "Second page: the link.");
    assert_eq!(run.first("title"), "Witness statement");
    assert_eq!(run.first("author"), "Karl Kläger");
    assert_eq!(run.entity.get("keywords"), ["fraud", "bribery"]);
    assert_eq!(run.first("authoredAt"), "2018-11-12T13:14");
    assert_eq!(run.first("modifiedAt"), "2019-01-02");
    assert_eq!(run.first("generator"), "Msftedit 5.41.21.2510");
}

/// Convert `input` with LibreOffice to the format `to` (a `--convert-to` argument) and
/// return the new file.
fn convert(input: &Path, to: &str, extension: &str) -> PathBuf {
    let dir = input.parent().unwrap();
    let profile = dir.join("lo-profile");
    let profile_url = format!("-env:UserInstallation=file://{}", profile.display());
    run_tool(
        "soffice",
        &[
            OsStr::new(&profile_url),
            OsStr::new("--headless"),
            OsStr::new("--convert-to"),
            OsStr::new(to),
            OsStr::new("--outdir"),
            dir.as_os_str(),
            input.as_os_str(),
        ],
    );
    let out = input.with_extension(extension);
    assert!(out.is_file(), "LibreOffice made no {}", out.display());
    out
}

#[test]
fn a_word_97_document_is_read_natively() {
    let dir = tempfile::tempdir().unwrap();
    let odt = dir.path().join("letter.odt");
    std::fs::write(
        &odt,
        office::odt(
            "Offer letter",
            "Olga Sender",
            &[
                &["Dear Sir, we offer 300 shares of Baltic Shipping."],
                &["Kind regards"],
            ],
        ),
    )
    .unwrap();
    let doc = convert(&odt, "doc:MS Word 97", "doc");
    let ctx = context(dir.path());
    let run = ingest_path(&doc, "letter.doc", &ctx, dir);
    assert_eq!(run.ok(), Format::LegacyOffice);
    assert_eq!(run.schema(), "Pages");
    // No LibreOffice in the context: this was read natively.
    assert!(!run.entity.has("pdfHash"));
    let text = run.page_texts().join("\n");
    assert!(
        text.contains("we offer 300 shares of Baltic Shipping"),
        "{text:?}"
    );
    assert!(text.contains("Kind regards"));
    assert_eq!(run.first("title"), "Offer letter");
    assert_eq!(run.first("author"), "Olga Sender");
}

#[test]
fn a_powerpoint_97_deck_gives_a_page_per_slide() {
    let dir = tempfile::tempdir().unwrap();
    let odp = dir.path().join("deck.odp");
    std::fs::write(
        &odp,
        office::odp(
            "Old deck",
            "Pat",
            &[
                (&["First slide about Nauru"], None),
                (&["Second slide about Vanuatu"], None),
            ],
        ),
    )
    .unwrap();
    let ppt = convert(&odp, "ppt", "ppt");
    let ctx = context(dir.path());
    let run = ingest_path(&ppt, "deck.ppt", &ctx, dir);
    assert_eq!(run.ok(), Format::LegacyOffice);
    let texts = run.page_texts();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts[0].contains("Nauru") && !texts[0].contains("Vanuatu"),
        "{texts:?}"
    );
    assert!(texts[1].contains("Vanuatu"));
}

#[test]
fn other_legacy_formats_go_through_libreoffice_to_pdf() {
    // A Windows Write file name with text inside: only LibreOffice reads these.
    let text = "Memorandum of association.\nThe company is registered in Seychelles.\n";
    let run = ingest_bytes_with("memo.wri", text.as_bytes(), |d| {
        with_libreoffice(context(d))
    });
    assert_eq!(run.ok(), Format::LegacyOffice);
    assert_eq!(run.schema(), "Pages");
    let joined = run.page_texts().join("\n");
    assert!(joined.contains("registered in Seychelles"), "{joined:?}");
    // The PDF LibreOffice made is kept, and named on the document.
    assert_eq!(run.sink.blobs.len(), 1);
    let (hash, path) = &run.sink.blobs[0];
    assert_eq!(run.first("pdfHash"), hash);
    assert!(std::fs::read(path).unwrap().starts_with(b"%PDF"));
}

#[test]
fn without_libreoffice_such_formats_fail_as_tool() {
    let run = ingest_bytes("memo.wri", b"Memorandum of association.\n");
    let message = run.failed(ErrorClass::Tool);
    assert!(message.contains("LibreOffice"), "{message}");
}
