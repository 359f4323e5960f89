//! PDF: pages with their own text, metadata, scans read by OCR, encryption, damage and
//! the page limit. The PDFs are written by `support/documents_pdf.rs`.
#![allow(clippy::unwrap_used)]

#[path = "support/documents_pdf.rs"]
mod pdf;
#[path = "support/documents_util.rs"]
mod util;

use ingest::{ErrorClass, Format, child_id};
use pdf::{Page, Pdf, scanned_page};
use util::{DOC_ID, context, ingest_bytes, ingest_bytes_with, with_ocr};

fn report() -> Pdf {
    let mut pdf = Pdf::text(&[
        &["Quarterly report", "Revenue rose in the north."],
        &["Second page talks about Panama holdings."],
        &["Third page: signed by Jane Doe."],
    ]);
    pdf.info = vec![
        ("Title", "Quarterly report".to_string()),
        ("Author", "Jane Doe".to_string()),
        ("Subject", "Finances".to_string()),
        ("Keywords", "offshore, shell companies".to_string()),
        ("Creator", "Writer".to_string()),
        ("Producer", "TestPDF 1.0".to_string()),
        ("CreationDate", "D:20230102150405+01'00'".to_string()),
        ("ModDate", "D:20230304050607Z".to_string()),
    ];
    pdf.lang = Some("de-DE".to_string());
    pdf
}

#[test]
fn each_page_text_lands_on_its_own_page() {
    let run = ingest_bytes("report.pdf", &report().to_bytes());
    assert_eq!(run.ok(), Format::Pdf);
    assert_eq!(run.schema(), "Pages");
    let pages = run.pages();
    assert_eq!(pages.len(), 3);
    for (i, page) in pages.iter().enumerate() {
        let index = (i + 1).to_string();
        assert_eq!(page.id(), Some(child_id(DOC_ID, &index).as_str()));
        assert_eq!(page.get("document"), [DOC_ID]);
        assert_eq!(page.get("index"), [index.as_str()]);
    }
    let texts = run.page_texts();
    assert!(texts[0].contains("Revenue rose in the north"), "{texts:?}");
    assert!(texts[1].contains("Panama holdings"), "{texts:?}");
    assert!(!texts[0].contains("Panama") && !texts[2].contains("Panama"));
    assert!(texts[2].contains("Jane Doe"));
    // The document itself is searchable by the text of every page.
    let index_text = run.first("indexText");
    assert!(
        index_text.contains("north")
            && index_text.contains("Panama")
            && index_text.contains("signed")
    );
}

#[test]
fn metadata_comes_from_the_information_dictionary() {
    let run = ingest_bytes("report.pdf", &report().to_bytes());
    run.ok();
    assert_eq!(run.first("title"), "Quarterly report");
    assert_eq!(run.first("author"), "Jane Doe");
    assert_eq!(run.first("summary"), "Finances");
    assert_eq!(run.entity.get("keywords"), ["offshore", "shell companies"]);
    assert_eq!(run.entity.get("generator"), ["Writer", "TestPDF 1.0"]);
    // +01:00 is converted to UTC.
    assert_eq!(run.first("authoredAt"), "2023-01-02T14:04:05");
    assert_eq!(run.first("modifiedAt"), "2023-03-04T05:06:07");
    assert_eq!(run.first("language"), "deu");
}

#[test]
fn a_scanned_page_is_read_by_ocr() {
    let dir = tempfile::tempdir().unwrap();
    let scan = scanned_page(dir.path(), &["INVOICE NUMBER 4711", "ACME TRADING LIMITED"]);
    let pdf = Pdf {
        pages: vec![
            Page::Text(vec!["Cover letter with a text layer".to_string()]),
            scan,
        ],
        ..Pdf::default()
    };
    let bytes = pdf.to_bytes();

    let run = ingest_bytes_with("scan.pdf", &bytes, |d| with_ocr(context(d)));
    run.ok();
    let texts = run.page_texts();
    assert_eq!(texts.len(), 2);
    assert!(texts[0].contains("Cover letter"));
    let scanned = texts[1].to_uppercase();
    assert!(
        scanned.contains("4711") && scanned.contains("ACME"),
        "OCR read: {scanned:?}"
    );

    // Without OCR the scanned page exists but has no text.
    let run = ingest_bytes("scan.pdf", &bytes);
    run.ok();
    assert_eq!(run.pages().len(), 2);
    assert_eq!(run.page_texts()[1], "");
}

#[test]
fn a_password_protected_pdf_fails_as_encrypted() {
    let mut pdf = report();
    pdf.encrypt = Some(("secret".to_string(), "owner".to_string()));
    let run = ingest_bytes("locked.pdf", &pdf.to_bytes());
    run.failed(ErrorClass::Encrypted);
}

#[test]
fn a_pdf_encrypted_without_a_user_password_is_read() {
    // Only "restricted" (an owner password): every reader opens it without asking.
    let mut pdf = report();
    pdf.encrypt = Some((String::new(), "owner".to_string()));
    let run = ingest_bytes("restricted.pdf", &pdf.to_bytes());
    run.ok();
    let texts = run.page_texts();
    assert!(texts[1].contains("Panama holdings"), "{texts:?}");
    assert_eq!(run.first("title"), "Quarterly report");
}

#[test]
fn a_truncated_pdf_keeps_the_pages_that_survive() {
    let pages: Vec<Vec<String>> = (1..=6)
        .map(|n| vec![format!("Surviving page number {n} of six")])
        .collect();
    let page_refs: Vec<Vec<&str>> = pages
        .iter()
        .map(|p| p.iter().map(String::as_str).collect())
        .collect();
    let slices: Vec<&[&str]> = page_refs.iter().map(Vec::as_slice).collect();
    let bytes = Pdf::text(&slices).to_bytes();
    // Cut in the middle of the fourth page's objects: no cross-reference table, no trailer.
    let marker = b"7 0 obj";
    let cut = bytes
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("page objects")
        + 200;
    let run = ingest_bytes("broken.pdf", &bytes[..cut]);
    run.ok();
    let texts = run.page_texts();
    assert!(texts.len() >= 2, "{texts:?}");
    assert!(texts[0].contains("Surviving page number 1"), "{texts:?}");
    assert!(texts[1].contains("Surviving page number 2"), "{texts:?}");
}

#[test]
fn a_pdf_with_nothing_readable_is_corrupt() {
    let run = ingest_bytes(
        "junk.pdf",
        b"%PDF-1.7\n\x00\x01garbage that is not a PDF at all\n%%EOF\n",
    );
    run.failed(ErrorClass::Corrupt);
}

#[test]
fn only_max_pages_pages_are_read() {
    let pages: Vec<String> = (1..=30).map(|n| format!("Endless page {n}")).collect();
    let page_refs: Vec<[&str; 1]> = pages.iter().map(|p| [p.as_str()]).collect();
    let slices: Vec<&[&str]> = page_refs.iter().map(|p| &p[..]).collect();
    let bytes = Pdf::text(&slices).to_bytes();
    let run = ingest_bytes_with("endless.pdf", &bytes, |d| {
        let mut ctx = context(d);
        ctx.limits.max_pages = 10;
        ctx
    });
    let message = run.failed(ErrorClass::Limit).to_string();
    assert!(
        message.contains("30") && message.contains("10"),
        "{message}"
    );
    // The pages within the limit are kept.
    let texts = run.page_texts();
    assert_eq!(texts.len(), 10);
    assert!(texts[9].contains("Endless page 10"));
    assert_eq!(run.schema(), "Pages");
}

#[test]
fn the_text_limit_cuts_and_notes() {
    let line = "word ".repeat(10);
    let lines: Vec<&str> = (0..30).map(|_| line.as_str()).collect();
    let bytes = Pdf::text(&[&lines, &["second page"]]).to_bytes();
    let run = ingest_bytes_with("long.pdf", &bytes, |d| {
        let mut ctx = context(d);
        ctx.limits.max_text_bytes = 100;
        ctx
    });
    run.ok();
    let texts = run.page_texts();
    assert!(texts[0].len() <= 100);
    assert_eq!(texts[1], "");
    assert!(run.first("notes").contains("Text cut"));
}

#[test]
fn a_pdf_claiming_a_billion_pages_has_the_pages_it_has() {
    let bytes = Pdf::text(&[&["The only real page"], &["And a second one"]]).to_bytes();
    let text = String::from_utf8_lossy(&bytes).replace("/Count 2 ", "/Count 999999999 ");
    assert!(text.contains("/Count 999999999"));
    let run = ingest_bytes("bogus-count.pdf", &text.into_bytes());
    run.ok();
    assert_eq!(run.page_texts(), ["The only real page", "And a second one"]);
}

/// A PDF of pages given as raw content streams over one Helvetica font (/F1) and one
/// symbol-like font (/S1) whose ToUnicode maps its only code to a private-use point.
fn raw_pdf(contents: &[&str]) -> Vec<u8> {
    let n = contents.len();
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {n} /MediaBox [0 0 612 792] \
             /Resources << /Font << /F1 3 0 R /S1 4 0 R >> >> >>",
            kids.join(" ")
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
        "<< /Type /Font /Subtype /Type0 /BaseFont /Sym /Encoding /Identity-H \
         /DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Sym \
         /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>] \
         /ToUnicode 5 0 R >>"
            .to_string(),
    ];
    let cmap = "begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
                1 beginbfchar <0001> <F020> endbfchar endcmap";
    objects.push(pdf::stream_body("", cmap));
    for (i, content) in contents.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /Contents {} 0 R >>",
            7 + 2 * i
        ));
        objects.push(pdf::stream_body("", content));
    }
    pdf::from_objects(&objects, "")
}

#[test]
fn kerned_and_positioned_text_keeps_its_words() {
    let bytes = raw_pdf(&[
        "BT /F1 12 Tf 72 700 Td [(Bene) 40 (ficial) -400 (owner)] TJ 0 -14 Td (of) Tj \
         (fshore) Tj 60 0 Td (trust) Tj ET",
    ]);
    let run = ingest_bytes("kerned.pdf", &bytes);
    assert_eq!(run.ok(), Format::Pdf);
    assert_eq!(run.page_texts(), ["Beneficial owner\noffshore trust"]);
}

#[test]
fn a_page_in_a_font_without_usable_unicode_is_read_the_old_way() {
    // The second page's only glyph maps to a private-use point: that page goes to
    // pdf_oxide's own extraction, the first stays readable.
    let bytes = raw_pdf(&[
        "BT /F1 12 Tf 72 700 Td (Plain words) Tj ET",
        "BT /S1 12 Tf 72 700 Td <0001> Tj ET BT /F1 12 Tf 72 600 Td (After symbol) Tj ET",
    ]);
    let run = ingest_bytes("symbol.pdf", &bytes);
    assert_eq!(run.ok(), Format::Pdf);
    let texts = run.page_texts();
    assert_eq!(texts.len(), 2);
    assert_eq!(texts[0], "Plain words");
    assert!(texts[1].contains("After symbol"), "{texts:?}");
}
