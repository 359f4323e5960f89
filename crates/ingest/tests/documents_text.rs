//! Text and markup: plain text in several encodings, HTML, XML, SVG and JSON.
#![allow(clippy::unwrap_used)]

#[path = "support/documents_util.rs"]
mod util;

use ingest::{ErrorClass, Format};
use util::{context, ingest_bytes, ingest_bytes_with};

#[test]
fn latin1_text_is_decoded() {
    let bytes = b"Sehr geehrte Damen und Herren, die \xdcberweisung an die M\xfcller GmbH in M\xfcnchen ist erfolgt. Gr\xfc\xdfe";
    let run = ingest_bytes("brief.txt", bytes);
    assert_eq!(run.ok(), Format::PlainText);
    assert_eq!(run.schema(), "PlainText");
    assert!(
        run.first("bodyText")
            .contains("Überweisung an die Müller GmbH in München")
    );
    assert_eq!(run.first("encoding"), "windows-1252");
}

#[test]
fn utf16_text_with_a_byte_order_mark_is_decoded() {
    let text = "Договор купли-продажи № 17";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let run = ingest_bytes("dogovor.txt", &bytes);
    run.ok();
    assert_eq!(run.first("bodyText"), text);
    assert_eq!(run.first("encoding"), "utf-16le");
}

#[test]
fn plain_text_is_cut_at_the_text_limit() {
    let run = ingest_bytes_with("big.txt", "abcdefghij".repeat(100).as_bytes(), |d| {
        let mut ctx = context(d);
        ctx.limits.max_text_bytes = 25;
        ctx
    });
    run.ok();
    assert_eq!(run.first("bodyText"), "abcdefghijabcdefghijabcde");
    assert!(run.first("notes").contains("25 bytes"));
}

const PAGE: &str = r#"<!DOCTYPE html>
<html><head>
<title>Leaked memo</title>
<meta name="description" content="A memo about   accounts">
<meta name="author" content="J. Smith">
<meta name="keywords" content="banking, secrecy">
<meta property="article:published_time" content="2019-04-01T10:00:00Z">
<script>var secret = "do not index";</script>
<style>body { color: red }</style>
</head>
<body onload="steal()">
<h1>Memo</h1>
<p>Transfer <b>EUR 1,000,000</b> to the account in Riga.</p>
<script>document.write("injected")</script>
<a href="javascript:alert(1)">click</a>
<img src="x.png" onerror="alert(2)">
</body></html>"#;

#[test]
fn html_is_sanitised_and_its_text_extracted() {
    let run = ingest_bytes("memo.html", PAGE.as_bytes());
    assert_eq!(run.ok(), Format::Html);
    assert_eq!(run.schema(), "HyperText");
    let html = run.first("bodyHtml");
    assert!(html.contains("Transfer <b>EUR 1,000,000</b>"), "{html}");
    for active in [
        "<script",
        "onload",
        "onerror",
        "javascript:",
        "injected",
        "do not index",
    ] {
        assert!(
            !html.contains(active),
            "{active} survived sanitising: {html}"
        );
    }
    let text = run.first("bodyText");
    assert!(
        text.contains("Memo\nTransfer EUR 1,000,000 to the account in Riga."),
        "{text}"
    );
    assert!(!text.contains("secret") && !text.contains("color"));
    assert_eq!(run.first("title"), "Leaked memo");
    assert_eq!(run.first("summary"), "A memo about accounts");
    assert_eq!(run.first("author"), "J. Smith");
    assert_eq!(run.entity.get("keywords"), ["banking", "secrecy"]);
    assert_eq!(run.first("publishedAt"), "2019-04-01T10:00:00");
}

#[test]
fn xml_keeps_its_text_content() {
    let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE r [<!ENTITY boom "boomboomboom">]>
<register><company id="1"><name>Acme &amp; Sons</name><address>1 Harbour St</address></company>
<note><![CDATA[Beneficial owner: <unknown>]]></note></register>"#;
    let run = ingest_bytes("register.xml", xml);
    assert_eq!(run.ok(), Format::Xml);
    assert_eq!(run.schema(), "HyperText");
    let text = run.first("bodyText");
    assert!(text.contains("Acme & Sons"), "{text}");
    assert!(text.contains("1 Harbour St"));
    assert!(text.contains("Beneficial owner: <unknown>"));
}

#[test]
fn a_broken_xml_file_keeps_what_was_read_and_junk_is_corrupt() {
    let run = ingest_bytes(
        "cut.xml",
        b"<?xml version=\"1.0\"?><a><b>first part</b><c>second",
    );
    run.ok();
    assert!(run.first("bodyText").contains("first part"));
    let run = ingest_bytes("junk.xml", b"\x00\x01\x02 not xml at all");
    run.failed(ErrorClass::Corrupt);
}

#[test]
fn svg_keeps_only_its_text_nodes() {
    let svg = br#"<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">
<title>Org chart</title>
<style>.a { fill: red }</style>
<script>alert("no")</script>
<rect x="0" y="0" width="10" height="10"/>
<text x="10" y="20">Director: <tspan>Ivan Petrov</tspan></text>
<path d="M 10 10 L 20 20"/>
</svg>"#;
    let run = ingest_bytes("chart.svg", svg);
    assert_eq!(run.ok(), Format::Svg);
    assert_eq!(run.schema(), "HyperText");
    let text = run.first("bodyText");
    assert!(text.contains("Org chart"));
    assert!(
        text.contains("Director:") && text.contains("Ivan Petrov"),
        "{text}"
    );
    assert!(!text.contains("fill") && !text.contains("alert") && !text.contains("M 10"));
}

#[test]
fn json_string_leaves_become_index_text() {
    let json = br#"{"company": "Offshore Holdings SA", "founded": 1999, "officers": [
        {"name": "Maria Gonzalez", "role": "director", "active": true},
        {"name": "Li Wei", "shares": 40.5, "note": null}]}"#;
    let run = ingest_bytes("data.json", json);
    assert_eq!(run.ok(), Format::Json);
    // JSON keeps the schema it came with.
    assert_eq!(run.schema(), "Document");
    let text = run.first("indexText");
    assert_eq!(
        text,
        "Offshore Holdings SA\nMaria Gonzalez\ndirector\nLi Wei"
    );
    assert!(!text.contains("officers") && !text.contains("1999"));
}

#[test]
fn invalid_json_is_corrupt() {
    let run = ingest_bytes("bad.json", br#"{"a": [1, 2"#);
    run.failed(ErrorClass::Corrupt);
}

#[test]
fn a_large_json_file_is_streamed() {
    // 50 MB of records; the text limit keeps memory bounded and the cut is noted.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(b"[").unwrap();
        for i in 0..500_000 {
            if i > 0 {
                f.write_all(b",").unwrap();
            }
            write!(f, r#"{{"id": {i}, "name": "Person number {i}", "padding": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}}"#).unwrap();
        }
        f.write_all(b"]").unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() > 40_000_000);
    let mut ctx = context(dir.path());
    ctx.limits.max_text_bytes = 1024 * 1024;
    let run = util::ingest_path(&path, "big.json", &ctx, dir);
    run.ok();
    let text = run.first("indexText");
    assert!(text.starts_with("Person number 0\nPerson number 1\n"));
    assert!(text.len() <= 1024 * 1024);
    assert!(run.first("notes").contains("Text cut"));
}
