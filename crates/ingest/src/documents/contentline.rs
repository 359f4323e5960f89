//! The content-line syntax that vCard (RFC 6350, and the older 2.1/3.0) and iCalendar
//! (RFC 5545) share: folded lines, `NAME;PARAM=VALUE:value`, `BEGIN`/`END` blocks,
//! backslash escapes, and vCard 2.1's quoted-printable values with their charset.

use encoding_rs::{Encoding, UTF_8};

/// One `NAME;PARAMS:value` line.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// Upper case, without a vCard group prefix (`item1.EMAIL` → `EMAIL`).
    pub(crate) name: String,
    /// Parameter names upper case; values as written, unquoted.
    pub(crate) params: Vec<(String, String)>,
    /// The value, decoded (quoted-printable) but not unescaped.
    pub(crate) raw: String,
}

impl Line {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value with backslash escapes resolved.
    pub(crate) fn text(&self) -> String {
        unescape(&self.raw)
    }

    /// The parts of a structured value (`N`, `ADR`), split at unescaped `;`.
    pub(crate) fn parts(&self) -> Vec<String> {
        split_unescaped(&self.raw, ';')
            .iter()
            .map(|p| unescape(p))
            .collect()
    }
}

/// A `BEGIN:NAME` … `END:NAME` block.
#[derive(Debug, Default)]
pub(crate) struct Component {
    pub(crate) name: String,
    pub(crate) lines: Vec<Line>,
    pub(crate) children: Vec<Component>,
}

impl Component {
    pub(crate) fn get(&self, name: &str) -> Option<&Line> {
        self.lines.iter().find(|l| l.name == name)
    }

    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Line> + 'a {
        self.lines.iter().filter(move |l| l.name == name)
    }

    /// This component and all nested ones, depth first.
    pub(crate) fn walk(&self) -> Vec<&Component> {
        let mut out = vec![self];
        let mut i = 0;
        while i < out.len() {
            let c = out[i];
            out.extend(c.children.iter());
            i += 1;
        }
        out
    }
}

/// Parse a whole file into its top-level components (wrapped in an unnamed root).
pub(crate) fn parse(text: &str) -> Component {
    let mut stack = vec![Component::default()];
    for line in unfold(text) {
        let Some(line) = parse_line(&line) else {
            continue;
        };
        match line.name.as_str() {
            "BEGIN" => stack.push(Component {
                name: line.raw.trim().to_ascii_uppercase(),
                ..Component::default()
            }),
            "END" if stack.len() > 1 => {
                if let Some(done) = stack.pop()
                    && let Some(parent) = stack.last_mut()
                {
                    parent.children.push(done);
                }
            }
            _ => {
                if let Some(current) = stack.last_mut() {
                    current.lines.push(line);
                }
            }
        }
    }
    // Close blocks a truncated file left open.
    while stack.len() > 1 {
        if let Some(done) = stack.pop()
            && let Some(parent) = stack.last_mut()
        {
            parent.children.push(done);
        }
    }
    stack.pop().unwrap_or_default()
}

/// Join folded lines (a line starting with a space or tab continues the previous one),
/// and quoted-printable soft breaks (a line ending in `=`).
fn unfold(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut qp_continues = false;
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(last) = out.last_mut() {
            if qp_continues {
                last.pop(); // the soft-break `=`
                last.push_str(raw);
                qp_continues = is_qp(last) && last.ends_with('=');
                continue;
            }
            if let Some(rest) = raw.strip_prefix([' ', '\t']) {
                last.push_str(rest);
                qp_continues = is_qp(last) && last.ends_with('=');
                continue;
            }
        }
        if raw.trim().is_empty() {
            continue;
        }
        out.push(raw.to_string());
        qp_continues = is_qp(raw) && raw.ends_with('=');
    }
    out
}

fn is_qp(line: &str) -> bool {
    let head = line.split(':').next().unwrap_or("");
    head.to_ascii_uppercase().contains("QUOTED-PRINTABLE")
}

fn parse_line(line: &str) -> Option<Line> {
    // The name and parameters end at the first colon outside quotes.
    let mut in_quotes = false;
    let colon = line.char_indices().find(|&(_, c)| {
        if c == '"' {
            in_quotes = !in_quotes;
        }
        c == ':' && !in_quotes
    })?;
    let (head, value) = (&line[..colon.0], &line[colon.0 + 1..]);
    let mut pieces = split_params(head).into_iter();
    let name = pieces.next()?.to_ascii_uppercase();
    let name = name.rsplit('.').next().unwrap_or(&name).trim().to_string();
    if name.is_empty() {
        return None;
    }
    let params: Vec<(String, String)> = pieces
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (
                k.trim().to_ascii_uppercase(),
                v.trim().trim_matches('"').to_string(),
            ),
            // vCard 2.1 allows bare parameter values (`TEL;CELL:`).
            None => ("TYPE".to_string(), p.trim().to_string()),
        })
        .collect();
    let qp = params
        .iter()
        .any(|(k, v)| k == "ENCODING" && v.eq_ignore_ascii_case("QUOTED-PRINTABLE"));
    let raw = if qp {
        let charset = params
            .iter()
            .find(|(k, _)| k == "CHARSET")
            .map(|(_, v)| v.as_str());
        decode_qp(value, charset)
    } else {
        value.to_string()
    };
    Some(Line { name, params, raw })
}

fn split_params(head: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    for (i, c) in head.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ';' if !in_quotes => {
                out.push(&head[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&head[start..]);
    out
}

fn decode_qp(value: &str, charset: Option<&str>) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Some(v) = std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    let encoding = charset
        .and_then(|c| Encoding::for_label(c.as_bytes()))
        .unwrap_or(UTF_8);
    encoding.decode(&out).0.into_owned()
}

fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_folded_and_quoted_printable_lines() {
        let text = "BEGIN:VCARD\r\nVERSION:2.1\r\nitem1.EMAIL;TYPE=work:ann@example.org\r\n\
                    NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Gr=FC=DFe =\r\naus Berlin\r\n\
                    DESCRIPTION:a long\r\n  line\\, continued\r\nEND:VCARD\r\n";
        let root = parse(text);
        let card = &root.children[0];
        assert_eq!(card.name, "VCARD");
        assert_eq!(card.get("EMAIL").unwrap().text(), "ann@example.org");
        assert_eq!(card.get("EMAIL").unwrap().param("TYPE"), Some("work"));
        assert_eq!(card.get("NOTE").unwrap().text(), "Grüße aus Berlin");
        assert_eq!(
            card.get("DESCRIPTION").unwrap().text(),
            "a long line, continued"
        );
    }

    #[test]
    fn structured_values_and_quoted_params() {
        let line =
            parse_line(r#"ATTENDEE;CN="Doe, Jane";ROLE=REQ:mailto:jane@example.org"#).unwrap();
        assert_eq!(line.param("CN"), Some("Doe, Jane"));
        assert_eq!(line.text(), "mailto:jane@example.org");
        let n = parse_line(r"N:Doe;Jane;Q\;R;Dr.;").unwrap();
        assert_eq!(n.parts(), vec!["Doe", "Jane", "Q;R", "Dr.", ""]);
    }
}
