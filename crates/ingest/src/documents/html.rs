//! HTML: `HyperText` with a sanitised `bodyHtml` (scripts, styles, event handlers and
//! other active content removed by ammonia), the readable text as `bodyText`, and the
//! head's metadata as ingest-file reads it: `title` (og:title, `<title>`), `summary`
//! (og:description, description), `author` (author, og:site_name), `keywords`
//! (keywords, news_keywords), `publishedAt`/`modifiedAt` (article times).

use std::path::Path;

use ego_tree::iter::Edge;
use encoding_rs::Encoding;
use ftm::Entity;
use scraper::{Html, Node};

use super::budget::TextBudget;
use super::dates::utc_offset;
use super::{narrow, read_head};
use crate::text::decode;
use crate::{Context, IngestError};

/// Elements whose content is not text a reader sees.
const HIDDEN: [&str; 7] = [
    "script", "style", "head", "noscript", "template", "iframe", "object",
];

/// Elements that start and end a line.
const BLOCKS: [&str; 32] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
    "ul",
];

pub(crate) fn ingest(entity: &mut Entity, path: &Path, ctx: &Context) -> Result<(), IngestError> {
    let limit = ctx.limits.max_text_bytes;
    let bytes = read_head(path, (limit as u64).saturating_mul(4))?;
    let (html, encoding) = decode_html(&bytes);
    narrow(entity, "HyperText")?;
    entity.add("encoding", &encoding.to_ascii_lowercase())?;
    let doc = Html::parse_document(&html);
    metadata(&doc, entity)?;

    // The HTML and its text share the text limit, half each: FtM refuses text beyond its
    // own limit on one entity, which would silently drop whichever came second.
    let mut html_budget = TextBudget::new(limit / 2);
    let clean = ammonia::clean(&html);
    let kept = html_budget.take(&clean);
    if !kept.trim().is_empty() {
        entity.add("bodyHtml", kept)?;
    }
    let mut text_budget = TextBudget::new(limit / 2);
    let text = body_text(&doc);
    let kept = text_budget.take(&text);
    if !kept.trim().is_empty() {
        entity.add("bodyText", kept)?;
    }
    if html_budget.was_cut() {
        html_budget.note_cut(entity)?;
    } else {
        text_budget.note_cut(entity)?;
    }
    Ok(())
}

/// Decode HTML bytes: a byte-order mark, then valid UTF-8, then a `charset` declared in
/// the first kilobyte, then a guess.
fn decode_html(bytes: &[u8]) -> (String, &'static str) {
    if Encoding::for_bom(bytes).is_none()
        && std::str::from_utf8(bytes).is_err()
        && let Some(encoding) = declared_charset(bytes)
    {
        let (text, _, _) = encoding.decode(bytes);
        return (text.into_owned(), encoding.name());
    }
    decode(bytes)
}

fn declared_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    let at = head.find("charset=")? + "charset=".len();
    let label: String = head[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    Encoding::for_label(label.as_bytes())
}

/// The first non-empty `content` of `<meta property=…>` or `<meta name=…>`.
fn meta(doc: &Html, field: &str) -> Option<String> {
    doc.tree.nodes().find_map(|node| {
        let Node::Element(e) = node.value() else {
            return None;
        };
        if e.name() != "meta" {
            return None;
        }
        let key = e.attr("property").or_else(|| e.attr("name"))?;
        if !key.eq_ignore_ascii_case(field) {
            return None;
        }
        let content = collapse(e.attr("content")?);
        (!content.is_empty()).then_some(content)
    })
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn metadata(doc: &Html, entity: &mut Entity) -> Result<(), IngestError> {
    let title = doc.tree.nodes().find_map(|node| match node.value() {
        Node::Element(e) if e.name() == "title" => {
            let text: String = node
                .children()
                .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                .collect();
            Some(collapse(&text))
        }
        _ => None,
    });
    for (prop, value) in [
        ("title", meta(doc, "og:title")),
        ("title", title),
        ("summary", meta(doc, "og:description")),
        ("summary", meta(doc, "description")),
        ("author", meta(doc, "author")),
        ("author", meta(doc, "og:site_name")),
        (
            "publishedAt",
            meta(doc, "article:published_time").map(|d| utc_offset(&d)),
        ),
        (
            "modifiedAt",
            meta(doc, "article:modified_time").map(|d| utc_offset(&d)),
        ),
    ] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            entity.add(prop, &v)?;
        }
    }
    for field in ["keywords", "news_keywords"] {
        if let Some(content) = meta(doc, field) {
            for keyword in content.split(',') {
                entity.add("keywords", keyword.trim())?;
            }
        }
    }
    Ok(())
}

/// The text a reader sees: hidden elements skipped, blocks on lines of their own, runs
/// of white space collapsed (except inside `<pre>`).
fn body_text(doc: &Html) -> String {
    let mut out = String::new();
    let mut hidden = 0u32;
    let mut pre = 0u32;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) => {
                    let name = e.name();
                    if HIDDEN.contains(&name) {
                        hidden += 1;
                    } else if name == "pre" {
                        pre += 1;
                    }
                    if hidden == 0 && BLOCKS.contains(&name) {
                        end_line(&mut out);
                    }
                    if hidden == 0
                        && matches!(name, "td" | "th")
                        && !out.ends_with('\n')
                        && !out.is_empty()
                    {
                        out.push('\t');
                    }
                }
                Node::Text(t) if hidden == 0 => {
                    if pre > 0 {
                        out.push_str(t);
                    } else {
                        for word in t.split_whitespace() {
                            if !(out.is_empty() || out.ends_with([' ', '\n', '\t'])) {
                                out.push(' ');
                            }
                            out.push_str(word);
                        }
                        if t.ends_with(char::is_whitespace)
                            && !out.ends_with([' ', '\n', '\t'])
                            && !out.is_empty()
                        {
                            out.push(' ');
                        }
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    let name = e.name();
                    if HIDDEN.contains(&name) {
                        hidden = hidden.saturating_sub(1);
                    } else if name == "pre" {
                        pre = pre.saturating_sub(1);
                    }
                    if hidden == 0 && BLOCKS.contains(&name) {
                        end_line(&mut out);
                    }
                }
            }
        }
    }
    out.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn end_line(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_skips_hidden_elements_and_keeps_lines() {
        let doc = Html::parse_document(
            "<html><head><title>T</title><style>p{}</style></head><body><h1>Head  line</h1>\
             <p>One <b>bold</b>\n word</p><script>alert(1)</script><ul><li>a</li><li>b</li></ul>\
             <table><tr><td>x</td><td>y</td></tr></table></body></html>",
        );
        assert_eq!(body_text(&doc), "Head line\nOne bold word\na\nb\nx\ty");
    }

    #[test]
    fn declared_charset_decodes_legacy_bytes() {
        let bytes = b"<html><head><meta charset=\"windows-1251\"></head><body>\xcf\xf0\xe8\xe2\xe5\xf2</body></html>";
        let (text, encoding) = decode_html(bytes);
        assert!(text.contains("Привет"), "{text}");
        assert_eq!(encoding, "windows-1251");
    }
}
