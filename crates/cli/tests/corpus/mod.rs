//! A corpus of every format the ingestors read, written by the tests themselves (no
//! downloads), with what each file must become: its schema, its processing status (and the
//! reason of a failure), the names of its child files, the entities derived from it, and a
//! word that must be searchable afterwards.
//!
//! The byte-level builders are the ingest crate's own test builders (included by path);
//! LibreOffice and pdftoppm, which the test command installs, make the legacy office files
//! and the page images.
#![allow(dead_code, clippy::unwrap_used)]

#[path = "../../../ingest/tests/support/containers_archives.rs"]
pub mod build;
pub mod check;
#[path = "../../../ingest/tests/support/documents_media.rs"]
pub mod media;
#[path = "../../../ingest/tests/support/containers_msg.rs"]
pub mod msg;
#[path = "../../../ingest/tests/support/documents_office.rs"]
pub mod office;
#[path = "../../../ingest/tests/support/documents_pdf.rs"]
pub mod pdf;
#[path = "../../../ingest/tests/support/documents_util.rs"]
pub mod util;

use std::io::{Cursor, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;

use build::{Member, raw_tar_entry};
use msg::{Attachment, Msg, binary, long, time, unicode};
use pdf::{Page, Pdf, scanned_page};

/// What one file of the corpus must become.
#[derive(Debug, Clone)]
pub struct Expect {
    /// Path inside the corpus directory.
    pub rel: String,
    pub schema: &'static str,
    /// `success` or `failure`.
    pub status: &'static str,
    /// Words the `processingError` must contain (lower case), for failures.
    pub error: Option<&'static str>,
    /// File names of the direct child Documents, sorted.
    pub children: Vec<&'static str>,
    /// Entities of these schemata linked to the file (by `document`, `parent`, `proof`,
    /// or referenced from it), and how many.
    pub derived: Vec<(&'static str, usize)>,
    /// A word that a search must find in the file or in something made from it.
    pub phrase: Option<&'static str>,
}

impl Expect {
    fn new(rel: &str, schema: &'static str) -> Expect {
        Expect {
            rel: rel.to_string(),
            schema,
            status: "success",
            error: None,
            children: Vec::new(),
            derived: Vec::new(),
            phrase: None,
        }
    }
    fn phrase(mut self, p: &'static str) -> Expect {
        self.phrase = Some(p);
        self
    }
    fn children(mut self, c: &[&'static str]) -> Expect {
        self.children = c.to_vec();
        self.children.sort();
        self
    }
    fn derived(mut self, schema: &'static str, n: usize) -> Expect {
        self.derived.push((schema, n));
        self
    }
    fn fails(mut self, why: &'static str) -> Expect {
        self.status = "failure";
        self.error = Some(why);
        self
    }
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn text_pdf(pages: &[&[&str]]) -> Vec<u8> {
    Pdf::text(pages).to_bytes()
}

fn zip_of(members: &[Member<'_>], options: SimpleFileOptions) -> Vec<u8> {
    build::zip_bytes(members, options)
}

/// A minimal OpenDocument spreadsheet with one sheet.
fn ods(sheet: &str, rows: &[&[&str]]) -> Vec<u8> {
    let mut table = format!(r#"<table:table table:name="{sheet}">"#);
    for row in rows {
        table.push_str("<table:table-row>");
        for cell in *row {
            table.push_str(&format!(
                r#"<table:table-cell office:value-type="string"><text:p>{cell}</text:p></table:table-cell>"#
            ));
        }
        table.push_str("</table:table-row>");
    }
    table.push_str("</table:table>");
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{table}</office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", SimpleFileOptions::default())
        .unwrap();
    zip.write_all(manifest.as_bytes()).unwrap();
    zip.start_file("content.xml", SimpleFileOptions::default())
        .unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

fn xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let first = book.add_worksheet();
    first.set_name("Companies").unwrap();
    first.write_string(0, 0, "Name").unwrap();
    first.write_string(1, 0, "Offshore Holdings Ltd").unwrap();
    let second = book.add_worksheet();
    second.set_name("People").unwrap();
    second.write_string(0, 0, "Person").unwrap();
    second.write_string(1, 0, "Tapirson Director").unwrap();
    book.save_to_buffer().unwrap()
}

fn sqlite(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE payments (payer TEXT, amount REAL);
         INSERT INTO payments VALUES ('Vulturine Trading', 1500.5), ('Acme', 2);
         CREATE TABLE notes (body TEXT);
         INSERT INTO notes VALUES ('nothing to see');",
    )
    .unwrap();
}

/// A dBase III table with two character fields.
fn dbf(rows: &[(&str, &str)]) -> Vec<u8> {
    let fields: [(&str, u8); 2] = [("NAME", 20), ("CITY", 20)];
    let record_len: u16 = 1 + 40;
    let header_len: u16 = 32 + 32 * fields.len() as u16 + 1;
    let mut out = vec![0x03, 124, 3, 1];
    out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(&record_len.to_le_bytes());
    out.extend_from_slice(&[0u8; 17]);
    out.push(0x03);
    out.extend_from_slice(&[0u8; 2]);
    for (name, len) in fields {
        let mut d = [0u8; 32];
        d[..name.len()].copy_from_slice(name.as_bytes());
        d[11] = b'C';
        d[16] = len;
        out.extend_from_slice(&d);
    }
    out.push(0x0d);
    for (name, city) in rows {
        out.push(b' ');
        for v in [name, city] {
            out.extend_from_slice(v.as_bytes());
            out.extend(std::iter::repeat_n(b' ', 20 - v.len()));
        }
    }
    out.push(0x1a);
    out
}

fn eml(subject: &str, body: &str, attachment: Option<(&str, &str)>) -> String {
    let mut m = format!(
        "From: Anna Schmidt <anna@example.org>\r\nTo: Boris Petrov <boris@example.com>\r\n\
         Subject: {subject}\r\nDate: Mon, 4 Mar 2024 09:14:58 +0000\r\n\
         Message-ID: <{subject}@example.org>\r\nMIME-Version: 1.0\r\n"
    );
    match attachment {
        None => m.push_str(&format!(
            "Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        )),
        Some((name, content)) => m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n--XX\r\n\
             Content-Type: text/plain; name=\"{name}\"\r\n\
             Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n{content}\r\n--XX--\r\n"
        )),
    }
    m
}

/// A one-slide presentation in ODF's single-file XML form; `{text}` is its text.
const FLAT_PRESENTATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.presentation">
 <office:body><office:presentation><draw:page draw:name="page1">
  <draw:frame svg:width="20cm" svg:height="3cm" svg:x="2cm" svg:y="2cm">
   <draw:text-box><text:p>{text}</text:p></draw:text-box></draw:frame>
 </draw:page></office:presentation></office:body>
</office:document>
"#;

/// Run LibreOffice once to convert `inputs` to `target` (a filter extension) into `out`.
fn soffice(inputs: &[&Path], target: &str, out: &Path, profile: &Path) {
    let mut args: Vec<std::ffi::OsString> = vec![
        format!("-env:UserInstallation=file://{}", profile.display()).into(),
        "--headless".into(),
        "--convert-to".into(),
        target.into(),
        "--outdir".into(),
        out.as_os_str().into(),
    ];
    args.extend(inputs.iter().map(|p| p.as_os_str().to_owned()));
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    util::run_tool("soffice", &refs);
}

/// Write the corpus of every format under `root`; `scratch` is for intermediate files.
pub fn write_all(root: &Path, scratch: &Path) -> Vec<Expect> {
    std::fs::create_dir_all(scratch).unwrap();
    let mut e = Vec::new();

    // Text and markup.
    write(
        root,
        "text/plain.txt",
        b"The albatross memo about nothing much.\n",
    );
    e.push(Expect::new("text/plain.txt", "PlainText").phrase("albatross"));
    write(
        root,
        "text/latin1.txt",
        b"Gr\xfc\xdfe aus K\xf6ln: die Stra\xdfenbahnlinie f\xe4hrt nicht.\n",
    );
    e.push(Expect::new("text/latin1.txt", "PlainText").phrase("Straßenbahnlinie"));
    write(
        root,
        "text/page.html",
        b"<html><head><title>Harbour report</title><meta name=\"author\" content=\"Jane Doe\"></head>\
          <body><h1>Harbour</h1><p>The cormorant left early.</p><script>alert(1)</script></body></html>",
    );
    e.push(Expect::new("text/page.html", "HyperText").phrase("cormorant"));
    write(
        root,
        "text/data.xml",
        b"<?xml version=\"1.0\"?><shipments><item>dromedary cargo</item></shipments>",
    );
    e.push(Expect::new("text/data.xml", "HyperText").phrase("dromedary"));
    write(
        root,
        "text/drawing.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><text x=\"1\" y=\"10\">flamingo sketch</text></svg>",
    );
    e.push(Expect::new("text/drawing.svg", "HyperText").phrase("flamingo"));
    write(
        root,
        "text/records.json",
        br#"{"records": [{"name": "gazelle holdings", "n": 3}, "other"]}"#,
    );
    e.push(Expect::new("text/records.json", "Document").phrase("gazelle"));

    // PDF: text, a scan, a PDF named as a Word file, an encrypted one, a damaged one.
    write(
        root,
        "pdf/report.pdf",
        &text_pdf(&[
            &["Quarterly report"],
            &["Second page"],
            &["Third page names the heron fund."],
        ]),
    );
    e.push(
        Expect::new("pdf/report.pdf", "Pages")
            .derived("Page", 3)
            .phrase("heron"),
    );
    let scan = Pdf {
        pages: vec![scanned_page(
            scratch,
            &["IGUANA SHIPPING INVOICE", "Total due 4500"],
        )],
        ..Pdf::default()
    };
    write(root, "pdf/scan.pdf", &scan.to_bytes());
    e.push(
        Expect::new("pdf/scan.pdf", "Pages")
            .derived("Page", 1)
            .phrase("iguana"),
    );
    write(
        root,
        "pdf/invoice.docx",
        &text_pdf(&[&["A PDF in disguise: jackal imports."]]),
    );
    e.push(
        Expect::new("pdf/invoice.docx", "Pages")
            .derived("Page", 1)
            .phrase("jackal"),
    );
    let mut locked = Pdf::text(&[&["secret"]]);
    locked.encrypt = Some(("user-pw".into(), "owner-pw".into()));
    write(root, "pdf/locked.pdf", &locked.to_bytes());
    e.push(Expect::new("pdf/locked.pdf", "Pages").fails("encrypt"));
    let whole = text_pdf(&[
        &["First page of the broken file mentions the kinkajou."],
        &["Second page."],
        &["Third page."],
    ]);
    write(root, "pdf/truncated.pdf", &whole[..whole.len() * 2 / 3]);
    e.push(Expect::new("pdf/truncated.pdf", "Pages").phrase("kinkajou"));

    // Office documents, native readers.
    write(
        root,
        "office/memo.docx",
        &office::docx("Memo", "Jane Doe", &[&["The kestrel contract."]]),
    );
    e.push(Expect::new("office/memo.docx", "Pages").phrase("kestrel"));
    write(
        root,
        "office/slides.pptx",
        &office::pptx(
            "Deck",
            "Jane Doe",
            &[("Intro", &["lemur quarterly figures"], None)],
        ),
    );
    e.push(Expect::new("office/slides.pptx", "Pages").phrase("lemur"));
    write(
        root,
        "office/letter.odt",
        &office::odt("Letter", "Jane Doe", &[&["A letter about the mongoose."]]),
    );
    e.push(Expect::new("office/letter.odt", "Pages").phrase("mongoose"));
    write(
        root,
        "office/deck.odp",
        &office::odp("Deck", "Jane Doe", &[(&["narwhal sightings"], None)]),
    );
    e.push(Expect::new("office/deck.odp", "Pages").phrase("narwhal"));
    write(
        root,
        "office/notes.rtf",
        br"{\rtf1\ansi\deff0{\fonttbl{\f0 Times;}}\f0 Minutes on the quetzal deal.\par}",
    );
    e.push(Expect::new("office/notes.rtf", "Pages").phrase("quetzal"));
    // A legacy binary Word file, made by LibreOffice (installed by the test command).
    let src = scratch.join("legacy-src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("legacy.txt"), "The ocelot agreement of 1998.\n").unwrap();
    soffice(
        &[&src.join("legacy.txt")],
        "doc:MS Word 97",
        &root.join("office"),
        &scratch.join("lo-profile"),
    );
    assert!(
        root.join("office/legacy.doc").is_file(),
        "LibreOffice made no .doc"
    );
    e.push(Expect::new("office/legacy.doc", "Pages").phrase("ocelot"));
    // Legacy binary PowerPoint and Excel files, made by LibreOffice: the slides from a flat
    // ODF presentation (LibreOffice does not open our minimal .pptx for export), the
    // workbook from our .xlsx.
    let deck = scratch.join("legacy-src/oldslides.fodp");
    std::fs::write(
        &deck,
        FLAT_PRESENTATION.replace("{text}", "wallaby procurement review"),
    )
    .unwrap();
    soffice(
        &[&deck],
        "ppt:MS PowerPoint 97",
        &root.join("office"),
        &scratch.join("lo-profile"),
    );
    assert!(
        root.join("office/oldslides.ppt").is_file(),
        "LibreOffice made no .ppt"
    );
    e.push(Expect::new("office/oldslides.ppt", "Pages").phrase("wallaby"));
    let book = scratch.join("legacy-src/oldbook.xlsx");
    std::fs::write(&book, xlsx()).unwrap();
    soffice(
        &[&book],
        "xls:MS Excel 97",
        &root.join("tables"),
        &scratch.join("lo-profile"),
    );
    assert!(
        root.join("tables/oldbook.xls").is_file(),
        "LibreOffice made no .xls"
    );
    e.push(
        Expect::new("tables/oldbook.xls", "Workbook")
            .derived("Table", 2)
            .phrase("tapirson"),
    );

    // Tables.
    write(
        root,
        "tables/people.csv",
        b"name,city\nRaccoon Rasmussen,Oslo\nAnna,Berlin\n",
    );
    e.push(Expect::new("tables/people.csv", "Table").phrase("raccoon"));
    write(
        root,
        "tables/ledger.tsv",
        b"date\tpayer\n2024-01-02\tSalamander Ltd\n",
    );
    e.push(Expect::new("tables/ledger.tsv", "Table").phrase("salamander"));
    write(root, "tables/book.xlsx", &xlsx());
    e.push(
        Expect::new("tables/book.xlsx", "Workbook")
            .derived("Table", 2)
            .phrase("tapirson"),
    );
    write(
        root,
        "tables/book.ods",
        &ods("Sheet1", &[&["name"], &["Urchin Partners"]]),
    );
    e.push(
        Expect::new("tables/book.ods", "Workbook")
            .derived("Table", 1)
            .phrase("urchin"),
    );
    sqlite(&root.join("tables/db.sqlite"));
    e.push(
        Expect::new("tables/db.sqlite", "Workbook")
            .derived("Table", 2)
            .phrase("vulturine"),
    );
    write(
        root,
        "tables/accounts.dbf",
        &dbf(&[("Walrus Shipping", "Tromso"), ("Acme", "Bergen")]),
    );
    e.push(Expect::new("tables/accounts.dbf", "Table").phrase("walrus"));

    // Email.
    write(
        root,
        "mail/message.eml",
        eml(
            "yak-report",
            "The yak report is attached.",
            Some(("attached.txt", "zebu figures inside")),
        )
        .as_bytes(),
    );
    e.push(
        Expect::new("mail/message.eml", "Email")
            .children(&["attached.txt"])
            .phrase("zebu"),
    );
    let inner = eml("anteater", "An anteater wrote from a Mac.", None);
    let emlx = format!(
        "{}\n{inner}<?xml version=\"1.0\"?><plist></plist>\n",
        inner.len()
    );
    write(root, "mail/apple.emlx", emlx.as_bytes());
    e.push(Expect::new("mail/apple.emlx", "Email").phrase("anteater"));
    let outlook = Msg {
        props: vec![
            unicode(0x0037, "Bison transfer"),
            time(0x0039, 1_709_543_698),
            unicode(0x0042, "Anna Schmidt"),
            unicode(0x5d01, "anna.schmidt@example.org"),
            unicode(0x1000, "Please wire the bison money."),
            long(0x3fde, 65001),
        ],
        recipients: vec![vec![
            long(0x0c15, 1),
            unicode(0x3001, "Boris Petrov"),
            unicode(0x39fe, "boris@example.com"),
        ]],
        attachments: vec![Attachment {
            props: vec![
                long(0x3705, 1),
                unicode(0x3707, "receipt.txt"),
                unicode(0x370e, "text/plain"),
                binary(0x3701, b"receipt for the capybara"),
            ],
            message: None,
        }],
    };
    write(root, "mail/outlook.msg", &msg::msg_bytes(&outlook));
    e.push(
        Expect::new("mail/outlook.msg", "Email")
            .children(&["receipt.txt"])
            .phrase("bison"),
    );
    let mbox = format!(
        "From anna@example.org Mon Mar  4 09:14:58 2024\n{}\nFrom boris@example.com Tue Mar  5 10:00:00 2024\n{}\n",
        eml("first", "The caribou herd moved.", None).replace("\r\n", "\n"),
        eml("second", "A dingo was seen.", None).replace("\r\n", "\n"),
    );
    write(root, "mail/box.mbox", mbox.as_bytes());
    e.push(
        Expect::new("mail/box.mbox", "Package")
            .derived("Email", 2)
            .phrase("dingo"),
    );
    // Outlook stores: no PST or OST writer exists in any package we can install, so only
    // the failure path runs: readpst is asked, and the reason names the Outlook store.
    for rel in ["mail/store.pst", "mail/offline.ost"] {
        write(
            root,
            rel,
            b"!BDN not really an Outlook store, only its magic bytes",
        );
        e.push(Expect::new(rel, "Package").fails("outlook store"));
    }

    // Archives.
    let tree = [
        Member::File("readme.txt", b"echidna readme" as &[u8]),
        Member::Dir("docs/"),
        Member::File("docs/report.txt", b"report"),
    ];
    write(
        root,
        "archives/archive.zip",
        &zip_of(&tree, SimpleFileOptions::default()),
    );
    e.push(
        Expect::new("archives/archive.zip", "Package")
            .children(&["docs", "readme.txt"])
            .phrase("echidna"),
    );
    let ferret = [Member::File("ferret.txt", b"ferret notes" as &[u8])];
    write(root, "archives/archive.tar", &build::tar_bytes(&ferret));
    e.push(
        Expect::new("archives/archive.tar", "Package")
            .children(&["ferret.txt"])
            .phrase("ferret"),
    );
    let gibbon = build::tar_bytes(&[Member::File("gibbon.txt", b"gibbon notes")]);
    write(root, "archives/archive.tar.gz", &build::gzip(&gibbon));
    e.push(
        Expect::new("archives/archive.tar.gz", "Package")
            .children(&["gibbon.txt"])
            .phrase("gibbon"),
    );
    write(root, "archives/hyena.txt.gz", &build::gzip(b"hyena notes"));
    e.push(
        Expect::new("archives/hyena.txt.gz", "Package")
            .children(&["hyena.txt"])
            .phrase("hyena"),
    );
    write(root, "archives/ibis.txt.bz2", &build::bzip2(b"ibis notes"));
    e.push(
        Expect::new("archives/ibis.txt.bz2", "Package")
            .children(&["ibis.txt"])
            .phrase("ibis"),
    );
    write(root, "archives/jaguar.txt.xz", &build::xz(b"jaguar notes"));
    e.push(
        Expect::new("archives/jaguar.txt.xz", "Package")
            .children(&["jaguar.txt"])
            .phrase("jaguar"),
    );
    write(
        root,
        "archives/archive.7z",
        &build::sevenz_bytes(&[Member::File("koala.txt", b"koala notes")]),
    );
    e.push(
        Expect::new("archives/archive.7z", "Package")
            .children(&["koala.txt"])
            .phrase("koala"),
    );
    write(
        root,
        "archives/archive.rar",
        &build::rar4_stored(&[Member::File("llama.txt", b"llama notes")]),
    );
    e.push(
        Expect::new("archives/archive.rar", "Package")
            .children(&["llama.txt"])
            .phrase("llama"),
    );

    // Images, sound and video, contacts and calendars.
    write(
        root,
        "media/photo.jpg",
        &media::jpeg_with_exif("Canon", "EOS 5D", "2021:05:06 07:08:09"),
    );
    e.push(Expect::new("media/photo.jpg", "Image"));
    let text_png = match scanned_page(scratch, &["MARMOT LOGISTICS", "Invoice 7"]) {
        Page::Image {
            width,
            height,
            pixels,
        } => media::png(width, height, pixels),
        Page::Text(_) => unreachable!(),
    };
    write(root, "media/text.png", &text_png);
    e.push(Expect::new("media/text.png", "Image").phrase("marmot"));
    write(
        root,
        "media/sound.wav",
        &media::wav(8000, 1, "Nightingale recording"),
    );
    e.push(Expect::new("media/sound.wav", "Audio").phrase("nightingale"));
    write(
        root,
        "media/song.mp3",
        &media::mp3(20, "Song of the oriole", "Band"),
    );
    e.push(Expect::new("media/song.mp3", "Audio").phrase("oriole"));
    write(
        root,
        "media/clip.mp4",
        &media::mp4(1_600_000_000, 5000, "Porcupine footage"),
    );
    e.push(Expect::new("media/clip.mp4", "Video"));
    write(
        root,
        "contacts/card.vcf",
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Olga Ostrichova\r\nN:Ostrichova;Olga;;;\r\n\
          EMAIL:olga@example.org\r\nTEL:+4930123456\r\nEND:VCARD\r\n",
    );
    e.push(
        Expect::new("contacts/card.vcf", "PlainText")
            .derived("Person", 1)
            .phrase("ostrichova"),
    );
    write(
        root,
        "contacts/event.ics",
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n\
          UID:1@example.org\r\nDTSTART:20240304T090000Z\r\nDTEND:20240304T100000Z\r\n\
          SUMMARY:Puffin summit\r\nORGANIZER;CN=Anna Schmidt:mailto:anna@example.org\r\n\
          END:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    e.push(
        Expect::new("contacts/event.ics", "PlainText")
            .derived("Event", 1)
            .phrase("puffin"),
    );

    // What is recorded but not read, and what cannot be read.
    write(root, "other/empty.dat", b"");
    e.push(Expect::new("other/empty.dat", "Document"));
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    write(root, "other/unknown.bin", &noise);
    e.push(Expect::new("other/unknown.bin", "Document").fails("not supported"));

    // Hostile archives.
    let aes = SimpleFileOptions::default().with_aes_encryption(zip::AesMode::Aes256, "secret");
    write(
        root,
        "hostile/locked.zip",
        &zip_of(&[Member::File("plan.txt", b"the secret plan")], aes),
    );
    e.push(Expect::new("hostile/locked.zip", "Package").fails("encrypt"));
    let zeros = vec![0u8; 64 * 1024 * 1024];
    write(
        root,
        "hostile/bomb.zip",
        &zip_of(
            &[
                Member::File("fine.txt", b"harmless"),
                Member::File("bomb.bin", &zeros),
            ],
            SimpleFileOptions::default(),
        ),
    );
    drop(zeros);
    e.push(Expect::new("hostile/bomb.zip", "Package").fails("zip bomb"));
    let mut tar = Vec::new();
    for (name, kind, link, data) in [
        (
            "../escaped.txt",
            tar::EntryType::Regular,
            None,
            &b"evil"[..],
        ),
        (
            "/etc/cron.d/job",
            tar::EntryType::Regular,
            None,
            b"absolute",
        ),
        ("passwd", tar::EntryType::Symlink, Some("/etc/passwd"), b""),
        ("notes.txt", tar::EntryType::Regular, None, b"quail notes"),
    ] {
        raw_tar_entry(&mut tar, name, kind, link, data);
    }
    build::end_tar(&mut tar);
    write(root, "hostile/traversal.tar", &tar);
    e.push(
        Expect::new("hostile/traversal.tar", "Package")
            .children(&["etc", "notes.txt"])
            .phrase("quail"),
    );
    // Zips nested deeper than the container limit (12): the innermost one fails.
    let mut nested = zip_of(
        &[Member::File("core.txt", b"rhea at the core")],
        SimpleFileOptions::default(),
    );
    for level in (0..14).rev() {
        let name = format!("level{level}.zip");
        nested = zip_of(
            &[Member::File(&name, &nested)],
            SimpleFileOptions::default(),
        );
    }
    write(root, "hostile/nested.zip", &nested);
    e.push(Expect::new("hostile/nested.zip", "Package").children(&["level0.zip"]));
    let mut inner = "hostile/nested.zip".to_string();
    for level in 0..13 {
        inner = format!("{inner}/level{level}.zip");
    }
    e.push(Expect::new(&inner, "Package").fails("nested more than 12"));
    // A file deep in folders: folders are not containers and use no nesting budget.
    let deep = (0..15)
        .map(|i| format!("d{i}"))
        .collect::<Vec<_>>()
        .join("/");
    let deep_rel = format!("deep/{deep}/bottom.txt");
    write(root, &deep_rel, b"the seahorse at the bottom");
    e.push(Expect::new(&deep_rel, "PlainText").phrase("seahorse"));
    e
}

/// The two large files: a 10,000-page text PDF and a CSV of `csv_mb` megabytes.
pub fn write_large(root: &Path, csv_mb: usize) -> Vec<Expect> {
    let mut e = Vec::new();
    let lines: Vec<String> = (1..=10_000)
        .map(|i| {
            if i == 10_000 {
                "The last page names the tamarin account.".to_string()
            } else {
                format!("Page {i} of the long register.")
            }
        })
        .collect();
    let pdf = Pdf {
        pages: lines.into_iter().map(|l| Page::Text(vec![l])).collect(),
        ..Pdf::default()
    };
    write(root, "large/register.pdf", &pdf.to_bytes());
    e.push(
        Expect::new("large/register.pdf", "Pages")
            .derived("Page", 10_000)
            .phrase("tamarin"),
    );
    let path = root.join("large/rows.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(out, "id,name,city,amount,note").unwrap();
    writeln!(out, "0,Umbrellabird Holdings,Quito,1,first row").unwrap();
    let mut written = 0usize;
    let mut i = 1u64;
    while written < csv_mb * 1024 * 1024 {
        let line = format!(
            "{i},Company number {i} of the register,City {},{}.{:02},filler text to make the row longer\n",
            i % 977,
            i * 37 % 100_000,
            i % 100
        );
        written += line.len();
        out.write_all(line.as_bytes()).unwrap();
        i += 1;
    }
    out.flush().unwrap();
    e.push(Expect::new("large/rows.csv", "Table").phrase("umbrellabird"));
    e
}
