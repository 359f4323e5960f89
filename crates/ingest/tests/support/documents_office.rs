//! Office files for tests, written as their zip packages: Word and PowerPoint (OOXML)
//! and OpenDocument text and presentations, each with document properties.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

fn package(parts: &[(&str, String)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, body) in parts {
        // OpenDocument wants `mimetype` first and stored.
        let options = if *name == "mimetype" {
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)
        } else {
            SimpleFileOptions::default()
        };
        zip.start_file(*name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn core_props(title: &str, author: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<dc:title>{}</dc:title><dc:subject>Test subject</dc:subject><dc:creator>{}</dc:creator>
<cp:keywords>alpha, beta</cp:keywords><cp:lastModifiedBy>Editor Two</cp:lastModifiedBy>
<dcterms:created xsi:type="dcterms:W3CDTF">2021-05-06T07:08:09Z</dcterms:created>
<dcterms:modified xsi:type="dcterms:W3CDTF">2022-01-02T03:04:05Z</dcterms:modified>
</cp:coreProperties>"#,
        escape(title),
        escape(author)
    )
}

const APP_PROPS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Office Word</Application></Properties>"#;

/// A Word document; each inner `Vec` is a page of paragraphs, pages separated by
/// `<w:br w:type="page"/>`.
pub fn docx(title: &str, author: &str, pages: &[&[&str]]) -> Vec<u8> {
    let mut body = String::new();
    for (i, paragraphs) in pages.iter().enumerate() {
        for (j, p) in paragraphs.iter().enumerate() {
            let page_break = if i > 0 && j == 0 {
                r#"<w:r><w:br w:type="page"/></w:r>"#
            } else {
                ""
            };
            body.push_str(&format!(
                r#"<w:p>{page_break}<w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
                escape(p)
            ));
        }
    }
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    );
    let footnotes = r#"<?xml version="1.0"?><w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:footnote w:id="1"><w:p><w:r><w:t>A footnote about Cyprus.</w:t></w:r></w:p></w:footnote></w:footnotes>"#;
    package(&[
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#.to_string(),
        ),
        ("word/document.xml", document),
        ("word/footnotes.xml", footnotes.to_string()),
        ("docProps/core.xml", core_props(title, author)),
        ("docProps/app.xml", APP_PROPS.to_string()),
    ])
}

/// A PowerPoint deck; each slide has a title, body lines and optional notes. The slide
/// parts are numbered in reverse so that only `presentation.xml` gives the right order.
pub fn pptx(title: &str, author: &str, slides: &[(&str, &[&str], Option<&str>)]) -> Vec<u8> {
    let n = slides.len();
    let mut parts: Vec<(String, String)> = Vec::new();
    let mut ids = String::new();
    let mut rels = String::new();
    for (i, (heading, lines, notes)) in slides.iter().enumerate() {
        let file_no = n - i;
        let mut paragraphs = format!("<a:p><a:r><a:t>{}</a:t></a:r></a:p>", escape(heading));
        for line in *lines {
            paragraphs.push_str(&format!(
                "<a:p><a:r><a:t>{}</a:t></a:r></a:p>",
                escape(line)
            ));
        }
        parts.push((
            format!("ppt/slides/slide{file_no}.xml"),
            format!(
                r#"<?xml version="1.0"?><p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody>{paragraphs}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#
            ),
        ));
        if let Some(notes) = notes {
            parts.push((
                format!("ppt/slides/_rels/slide{file_no}.xml.rels"),
                format!(
                    r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/notesSlide" Target="../notesSlides/notesSlide{file_no}.xml"/></Relationships>"#
                ),
            ));
            parts.push((
                format!("ppt/notesSlides/notesSlide{file_no}.xml"),
                format!(
                    r#"<?xml version="1.0"?><p:notes xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>"#,
                    escape(notes)
                ),
            ));
        }
        ids.push_str(&format!(
            r#"<p:sldId id="{}" r:id="rId{}"/>"#,
            256 + i,
            10 + i
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide{file_no}.xml"/>"#,
            10 + i
        ));
    }
    parts.push((
        "ppt/presentation.xml".to_string(),
        format!(
            r#"<?xml version="1.0"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><p:sldIdLst>{ids}</p:sldIdLst></p:presentation>"#
        ),
    ));
    parts.push((
        "ppt/_rels/presentation.xml.rels".to_string(),
        format!(r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#),
    ));
    parts.push(("docProps/core.xml".to_string(), core_props(title, author)));
    parts.push((
        "[Content_Types].xml".to_string(),
        r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>"#.to_string(),
    ));
    let refs: Vec<(&str, String)> = parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    package(&refs)
}

fn odf_meta(title: &str, author: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"><office:meta><meta:generator>LibreOffice/7.4</meta:generator><dc:title>{}</dc:title><meta:initial-creator>{}</meta:initial-creator><meta:creation-date>2020-02-03T04:05:06</meta:creation-date><dc:date>2020-03-04T05:06:07</dc:date><meta:keyword>gamma</meta:keyword><dc:language>fr-FR</dc:language></office:meta></office:document-meta>"#,
        escape(title),
        escape(author)
    )
}

const ODF_NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0""#;

fn odf_package(mime: &str, content: String, title: &str, author: &str) -> Vec<u8> {
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="{mime}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/></manifest:manifest>"#
    );
    package(&[
        ("mimetype", mime.to_string()),
        ("content.xml", content),
        ("meta.xml", odf_meta(title, author)),
        ("META-INF/manifest.xml", manifest),
    ])
}

/// An OpenDocument text; each inner `Vec` is a page, pages separated by a paragraph
/// style with `fo:break-before="page"`.
pub fn odt(title: &str, author: &str, pages: &[&[&str]]) -> Vec<u8> {
    let mut body = String::new();
    for (i, paragraphs) in pages.iter().enumerate() {
        for (j, p) in paragraphs.iter().enumerate() {
            let style = if i > 0 && j == 0 {
                r#" text:style-name="P1""#
            } else {
                ""
            };
            body.push_str(&format!("<text:p{style}>{}</text:p>", escape(p)));
        }
    }
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS} office:version="1.3"><office:automatic-styles><style:style style:name="P1" style:family="paragraph"><style:paragraph-properties fo:break-before="page"/></style:style></office:automatic-styles><office:body><office:text>{body}</office:text></office:body></office:document-content>"#
    );
    odf_package(
        "application/vnd.oasis.opendocument.text",
        content,
        title,
        author,
    )
}

/// An OpenDocument presentation; each slide's lines become text boxes, notes go into
/// `presentation:notes`.
pub fn odp(title: &str, author: &str, slides: &[(&[&str], Option<&str>)]) -> Vec<u8> {
    let mut body = String::new();
    for (i, (lines, notes)) in slides.iter().enumerate() {
        body.push_str(&format!(r#"<draw:page draw:name="page{}">"#, i + 1));
        for line in *lines {
            body.push_str(&format!(
                "<draw:frame><draw:text-box><text:p>{}</text:p></draw:text-box></draw:frame>",
                escape(line)
            ));
        }
        if let Some(notes) = notes {
            body.push_str(&format!(
                "<presentation:notes><draw:page-thumbnail/><draw:frame><draw:text-box><text:p>{}</text:p></draw:text-box></draw:frame></presentation:notes>",
                escape(notes)
            ));
        }
        body.push_str("</draw:page>");
    }
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS} office:version="1.3"><office:body><office:presentation>{body}</office:presentation></office:body></office:document-content>"#
    );
    odf_package(
        "application/vnd.oasis.opendocument.presentation",
        content,
        title,
        author,
    )
}
