//! Office files read natively: Word and PowerPoint (OOXML), OpenDocument text and
//! presentations — pages, slides, notes, metadata and damaged or locked packages.
#![allow(clippy::unwrap_used)]

#[path = "support/documents_office.rs"]
mod office;
#[path = "support/documents_util.rs"]
mod util;

use ingest::{ErrorClass, Format};
use util::{DOC_ID, ingest_bytes};

#[test]
fn docx_pages_follow_explicit_page_breaks() {
    let bytes = office::docx(
        "Board minutes",
        "Ann Author",
        &[
            &["Minutes of the board meeting.", "Present: all directors."],
            &["Resolutions about the Malta subsidiary."],
        ],
    );
    let run = ingest_bytes("minutes.docx", &bytes);
    assert_eq!(run.ok(), Format::Docx);
    assert_eq!(run.schema(), "Pages");
    let texts = run.page_texts();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts[0].contains("Minutes of the board meeting.\nPresent: all directors."),
        "{texts:?}"
    );
    assert!(
        texts[1].starts_with("Resolutions about the Malta subsidiary."),
        "{texts:?}"
    );
    // Footnotes follow on the last page.
    assert!(texts[1].contains("A footnote about Cyprus."));
    assert!(!texts[0].contains("Malta"));
    for page in run.pages() {
        assert_eq!(page.get("document"), [DOC_ID]);
    }
    assert!(run.first("indexText").contains("Malta"));
}

#[test]
fn ooxml_core_properties_become_metadata() {
    let run = ingest_bytes(
        "minutes.docx",
        &office::docx("Board minutes", "Ann Author", &[&["x"]]),
    );
    run.ok();
    assert_eq!(run.first("title"), "Board minutes");
    assert_eq!(run.entity.get("author"), ["Ann Author", "Editor Two"]);
    assert_eq!(run.first("summary"), "Test subject");
    assert_eq!(run.entity.get("keywords"), ["alpha", "beta"]);
    assert_eq!(run.first("authoredAt"), "2021-05-06T07:08:09");
    assert_eq!(run.first("modifiedAt"), "2022-01-02T03:04:05");
    assert_eq!(run.first("generator"), "Microsoft Office Word");
}

#[test]
fn pptx_gives_one_page_per_slide_in_presentation_order_with_notes() {
    let bytes = office::pptx(
        "Investor deck",
        "Bob Presenter",
        &[
            (
                "Welcome",
                &["Agenda for today"],
                Some("Speaker note: mention the audit"),
            ),
            (
                "Structure",
                &["Holding in Luxembourg", "Trust in Jersey"],
                None,
            ),
            ("Questions", &[], None),
        ],
    );
    let run = ingest_bytes("deck.pptx", &bytes);
    assert_eq!(run.ok(), Format::Pptx);
    assert_eq!(run.schema(), "Pages");
    let texts = run.page_texts();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(
        texts[0].starts_with("Welcome\nAgenda for today"),
        "{texts:?}"
    );
    assert!(texts[0].contains("mention the audit"));
    assert!(texts[1].contains("Holding in Luxembourg\nTrust in Jersey"));
    assert_eq!(texts[2], "Questions");
    assert_eq!(run.first("title"), "Investor deck");
    assert_eq!(run.first("author"), "Bob Presenter");
}

#[test]
fn odt_pages_and_meta() {
    let bytes = office::odt(
        "Contrat",
        "Claire Auteur",
        &[
            &["Première page du contrat."],
            &["Deuxième page : signatures & tampons."],
        ],
    );
    let run = ingest_bytes("contrat.odt", &bytes);
    assert_eq!(run.ok(), Format::OpenDocument);
    assert_eq!(run.schema(), "Pages");
    let texts = run.page_texts();
    assert_eq!(
        texts,
        [
            "Première page du contrat.",
            "Deuxième page : signatures & tampons."
        ]
    );
    assert_eq!(run.first("title"), "Contrat");
    assert_eq!(run.first("author"), "Claire Auteur");
    assert_eq!(run.first("authoredAt"), "2020-02-03T04:05:06");
    assert_eq!(run.first("modifiedAt"), "2020-03-04T05:06:07");
    assert_eq!(run.first("language"), "fra");
    assert_eq!(run.first("keywords"), "gamma");
    assert_eq!(run.first("generator"), "LibreOffice/7.4");
}

#[test]
fn odp_gives_one_page_per_slide() {
    let bytes = office::odp(
        "Präsentation",
        "Dora",
        &[
            (
                &["Erste Folie", "Umsatz 2023"],
                Some("Notiz zur ersten Folie"),
            ),
            (&[], None),
            (&["Dritte Folie"], None),
        ],
    );
    let run = ingest_bytes("folien.odp", &bytes);
    run.ok();
    let texts = run.page_texts();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts[0].starts_with("Erste Folie\nUmsatz 2023"));
    assert!(texts[0].contains("Notiz zur ersten Folie"));
    assert_eq!(texts[1], "");
    assert_eq!(texts[2], "Dritte Folie");
    assert_eq!(run.first("title"), "Präsentation");
}

#[test]
fn a_damaged_package_is_corrupt() {
    let mut bytes = office::docx("t", "a", &[&["text"]]);
    bytes.truncate(bytes.len() / 2);
    let run = ingest_bytes("broken.docx", &bytes);
    run.failed(ErrorClass::Corrupt);
    // A zip without the document part.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("readme.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip, b"not a word document").unwrap();
    let run = ingest_bytes("empty.docx", &zip.finish().unwrap().into_inner());
    assert_eq!(
        run.result.as_ref().err().map(|e| e.class),
        Some(ErrorClass::Corrupt)
    );
}

#[test]
fn a_password_protected_ooxml_file_is_encrypted() {
    // Office stores a protected .docx as an OLE compound file with an EncryptedPackage.
    let mut ole = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    ole.create_stream("/EncryptionInfo").unwrap();
    {
        use std::io::Write;
        let mut s = ole.create_stream("/EncryptedPackage").unwrap();
        s.write_all(&[7u8; 4096]).unwrap();
    }
    let bytes = ole.into_inner().into_inner();
    let run = ingest_bytes("locked.docx", &bytes);
    run.failed(ErrorClass::Encrypted);
}

#[test]
fn a_zip_bomb_part_hits_the_ratio_limit() {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "word/document.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(b"<w:document><w:body>").unwrap();
    zip.write_all(&vec![b' '; 50 * 1024 * 1024]).unwrap();
    zip.write_all(b"</w:body></w:document>").unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let run = ingest_bytes("bomb.docx", &bytes);
    run.failed(ErrorClass::Limit);
}

#[test]
fn an_encrypted_opendocument_file_is_encrypted() {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.text")
        .unwrap();
    zip.start_file(
        "META-INF/manifest.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(
        br#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">
<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x">
<manifest:algorithm manifest:algorithm-name="Blowfish CFB" manifest:initialisation-vector="y"/>
</manifest:encryption-data></manifest:file-entry></manifest:manifest>"#,
    )
    .unwrap();
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(&[0x9Fu8; 512]).unwrap();
    let run = ingest_bytes("secret.odt", &zip.finish().unwrap().into_inner());
    run.failed(ErrorClass::Encrypted);
}
