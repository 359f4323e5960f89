//! Rich Text Format, read natively: `Pages` split at `\page` breaks, metadata from the
//! `\info` group (title, subject, author, operator, keywords, comments, creation and
//! revision times) and `\*\generator`.
//!
//! The reader streams the file (an RTF with pictures can be hundreds of megabytes of
//! hex), skips destinations that hold no document text (font and colour tables, style
//! sheets, pictures, embedded object data, field instructions, unknown `\*` groups),
//! decodes `\'hh` bytes in the code page of the current font's character set (else the
//! document's `\ansicpg`), and takes `\uN` Unicode characters, skipping their `\ucN`
//! fallback bytes. Headers and footers follow on the last page, as for Word files.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use encoding_rs::{Encoding, WINDOWS_1252};
use ftm::Entity;

use super::dates::from_parts;
use super::pages::{PageWriter, PagedText, page_limit};
use crate::{Context, IngestError, Sink};

/// Deeper nesting than this is treated as one level (hostile files nest without end).
const MAX_DEPTH: usize = 1024;

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let input = BufReader::new(std::fs::File::open(path)?);
    let doc = parse(input, ctx.limits.max_text_bytes)?;
    doc.info.apply(entity)?;
    let mut writer = PageWriter::start(entity, ctx, sink)?;
    let mut text = doc.text;
    text.append_to_last(&doc.extra);
    let total = text.emit(&mut writer, ctx)?;
    writer.finish(entity)?;
    page_limit("The RTF document", total, ctx)
}

/// What an RTF file yields.
pub(crate) struct RtfDocument {
    pub(crate) text: PagedText,
    /// Header and footer text.
    pub(crate) extra: String,
    pub(crate) info: Info,
}

/// The `\info` group.
#[derive(Debug, Default)]
pub(crate) struct Info {
    fields: HashMap<&'static str, String>,
    created: [Option<u32>; 6],
    revised: [Option<u32>; 6],
}

impl Info {
    fn apply(&self, entity: &mut Entity) -> Result<(), IngestError> {
        let map = [
            ("title", "title"),
            ("subject", "summary"),
            ("doccomm", "summary"),
            ("author", "author"),
            ("operator", "author"),
            ("generator", "generator"),
        ];
        for (field, prop) in map {
            if let Some(v) = self.fields.get(field) {
                entity.add(prop, v.trim().trim_end_matches(';'))?;
            }
        }
        if let Some(keywords) = self.fields.get("keywords") {
            for k in keywords.split([',', ';']) {
                entity.add("keywords", k.trim())?;
            }
        }
        if let Some(d) = from_parts(&self.created) {
            entity.add("authoredAt", &d)?;
        }
        if let Some(d) = from_parts(&self.revised) {
            entity.add("modifiedAt", &d)?;
        }
        Ok(())
    }
}

/// Where the text of the current group goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Body,
    /// Headers and footers.
    Extra,
    FontTable,
    /// The `\info` group, whose sub-groups are fields.
    Info,
    InfoField(&'static str),
    /// `\creatim` (0) or `\revtim` (1).
    Time(usize),
    Skip,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    dest: Dest,
    /// Fallback characters to skip after `\uN`.
    uc: u32,
    font: Option<i32>,
}

struct Parser {
    stack: Vec<Group>,
    /// Groups opened past `MAX_DEPTH`, closed without popping.
    overflow: usize,
    doc_codepage: u32,
    font_charsets: HashMap<i32, u32>,
    default_font: Option<i32>,
    /// The font being defined in the font table.
    defining_font: Option<i32>,
    /// ANSI bytes not yet decoded, and the group they belong to.
    pending: Vec<u8>,
    skip_chars: u32,
    /// The next control word names an ignorable destination (`\*`).
    star: bool,
    text: PagedText,
    extra: String,
    info: Info,
    field: String,
    cap: usize,
}

pub(crate) fn parse(mut input: impl BufRead, cap: usize) -> Result<RtfDocument, IngestError> {
    let mut p = Parser {
        stack: vec![Group {
            dest: Dest::Body,
            uc: 1,
            font: None,
        }],
        overflow: 0,
        doc_codepage: 1252,
        font_charsets: HashMap::new(),
        default_font: None,
        defining_font: None,
        pending: Vec::new(),
        skip_chars: 0,
        star: false,
        text: PagedText::new(cap),
        extra: String::new(),
        info: Info::default(),
        field: String::new(),
        cap,
    };
    let mut bytes = Bytes::new(&mut input);
    let mut saw_rtf = false;
    while let Some(b) = bytes.next()? {
        match b {
            b'{' => {
                p.flush();
                p.skip_chars = 0;
                if p.stack.len() >= MAX_DEPTH {
                    p.overflow += 1;
                } else {
                    let top = p.top();
                    p.stack.push(top);
                }
            }
            b'}' => {
                p.flush();
                p.skip_chars = 0;
                p.star = false;
                if p.overflow > 0 {
                    p.overflow -= 1;
                } else if p.stack.len() > 1 {
                    let closed = p.stack.pop().map(|g| g.dest);
                    p.close(closed);
                }
            }
            b'\\' => {
                let Some(next) = bytes.next()? else { break };
                if next.is_ascii_alphabetic() {
                    let mut word = vec![next];
                    while let Some(c) = bytes.peek()? {
                        if c.is_ascii_alphabetic() && word.len() < 32 {
                            word.push(c);
                            bytes.next()?;
                        } else {
                            break;
                        }
                    }
                    let mut param: Option<i64> = None;
                    let mut negative = false;
                    if bytes.peek()? == Some(b'-') {
                        negative = true;
                        bytes.next()?;
                    }
                    while let Some(c) = bytes.peek()? {
                        if c.is_ascii_digit() {
                            let v = param.unwrap_or(0);
                            param = Some(v.saturating_mul(10).saturating_add(i64::from(c - b'0')));
                            bytes.next()?;
                        } else {
                            break;
                        }
                    }
                    if negative {
                        param = param.map(|v| -v);
                    }
                    // One space after a control word belongs to it.
                    if bytes.peek()? == Some(b' ') {
                        bytes.next()?;
                    }
                    let word = String::from_utf8_lossy(&word).into_owned();
                    if word == "rtf" {
                        saw_rtf = true;
                    }
                    if word == "bin" {
                        // Raw binary data of the given length.
                        bytes.skip(param.unwrap_or(0).max(0).unsigned_abs())?;
                        continue;
                    }
                    p.control(&word, param);
                } else {
                    match next {
                        b'\'' => {
                            let hex =
                                [bytes.next()?.unwrap_or(b'0'), bytes.next()?.unwrap_or(b'0')];
                            let value = std::str::from_utf8(&hex)
                                .ok()
                                .and_then(|h| u8::from_str_radix(h, 16).ok());
                            if let Some(v) = value {
                                if p.skip_chars > 0 {
                                    p.skip_chars -= 1;
                                } else {
                                    p.pending.push(v);
                                }
                            }
                        }
                        b'*' => p.star = true,
                        b'~' => p.char('\u{a0}'),
                        b'_' => p.char('\u{2011}'),
                        b'-' => {}
                        b'\n' | b'\r' => p.control("par", None),
                        other => p.byte(other),
                    }
                }
            }
            b'\r' | b'\n' => {}
            other => p.byte(other),
        }
    }
    p.flush();
    if !saw_rtf {
        return Err(IngestError::corrupt("The file is not RTF: no \\rtf header"));
    }
    Ok(RtfDocument {
        text: p.text,
        extra: p.extra,
        info: p.info,
    })
}

impl Parser {
    fn top(&self) -> Group {
        self.stack.last().copied().unwrap_or(Group {
            dest: Dest::Body,
            uc: 1,
            font: None,
        })
    }

    fn top_mut(&mut self) -> Option<&mut Group> {
        self.stack.last_mut()
    }

    fn set_dest(&mut self, dest: Dest) {
        if let Some(g) = self.top_mut() {
            g.dest = dest;
        }
    }

    /// A group just closed.
    fn close(&mut self, dest: Option<Dest>) {
        if let Some(Dest::InfoField(name)) = dest {
            let value = std::mem::take(&mut self.field);
            if !value.trim().is_empty() {
                self.info.fields.insert(name, value);
            }
        }
        if dest == Some(Dest::FontTable) {
            self.defining_font = None;
        }
    }

    fn codepage(&self) -> u32 {
        let font = self.top().font.or(self.default_font);
        match font.and_then(|f| self.font_charsets.get(&f)) {
            Some(&cp) if cp != 0 => cp,
            _ => self.doc_codepage,
        }
    }

    /// Decode the pending ANSI bytes into the current destination.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.pending);
        let (text, _, _) = encoding_for(self.codepage()).decode(&bytes);
        let text = text.into_owned();
        self.emit(&text);
    }

    fn emit(&mut self, text: &str) {
        match self.top().dest {
            Dest::Body => self.text.push_str(text),
            Dest::Extra if self.extra.len() < self.cap => self.extra.push_str(text),
            Dest::InfoField(_) if self.field.len() < 4096 => self.field.push_str(text),
            _ => {}
        }
    }

    fn byte(&mut self, b: u8) {
        if self.skip_chars > 0 {
            self.skip_chars -= 1;
            return;
        }
        if matches!(
            self.top().dest,
            Dest::Body | Dest::Extra | Dest::InfoField(_)
        ) {
            self.pending.push(b);
        }
    }

    fn char(&mut self, c: char) {
        self.flush();
        let mut buf = [0u8; 4];
        self.emit(c.encode_utf8(&mut buf));
    }

    fn control(&mut self, word: &str, param: Option<i64>) {
        let star = std::mem::take(&mut self.star);
        let dest = self.top().dest;
        let int = |v: i64| i32::try_from(v).unwrap_or(0);
        // Destinations first: they change where the rest of the group goes.
        match word {
            "fonttbl" => return self.set_dest(Dest::FontTable),
            "info" => return self.set_dest(Dest::Info),
            "title" | "subject" | "author" | "operator" | "keywords" | "doccomm" | "company"
                if dest == Dest::Info =>
            {
                self.flush();
                self.field.clear();
                let name: &'static str = match word {
                    "title" => "title",
                    "subject" => "subject",
                    "author" => "author",
                    "operator" => "operator",
                    "keywords" => "keywords",
                    "doccomm" => "doccomm",
                    _ => "company",
                };
                return self.set_dest(Dest::InfoField(name));
            }
            "generator" => {
                self.flush();
                self.field.clear();
                return self.set_dest(Dest::InfoField("generator"));
            }
            "creatim" => return self.set_dest(Dest::Time(0)),
            "revtim" => return self.set_dest(Dest::Time(1)),
            "yr" | "mo" | "dy" | "hr" | "min" | "sec" => {
                if let (Dest::Time(which), Some(v)) = (dest, param) {
                    let slot = ["yr", "mo", "dy", "hr", "min", "sec"]
                        .iter()
                        .position(|w| *w == word)
                        .unwrap_or(0);
                    let target = if which == 0 {
                        &mut self.info.created
                    } else {
                        &mut self.info.revised
                    };
                    target[slot] = u32::try_from(v).ok();
                }
                return;
            }
            "header" | "headerl" | "headerr" | "headerf" | "footer" | "footerl" | "footerr"
            | "footerf" => {
                self.flush();
                if dest == Dest::Body {
                    self.extra.push('\n');
                    self.set_dest(Dest::Extra);
                }
                return;
            }
            "colortbl" | "stylesheet" | "pict" | "fldinst" | "themedata" | "colorschememapping"
            | "datastore" | "latentstyles" | "listtable" | "listoverridetable" | "rsidtbl"
            | "xmlnstbl" | "filetbl" | "revtbl" | "pgdsctbl" | "nonshppict" | "bkmkstart"
            | "bkmkend" | "mmathPr" | "template" | "docvar" | "private" | "xe" | "tc"
            | "shpinst" | "sp" | "falt" | "panose" | "fontemb" | "fontfile" => {
                self.flush();
                return self.set_dest(Dest::Skip);
            }
            w if w.starts_with("obj") && w != "object" => {
                self.flush();
                return self.set_dest(Dest::Skip);
            }
            _ if star => {
                // An ignorable destination we do not know.
                self.flush();
                return self.set_dest(Dest::Skip);
            }
            _ => {}
        }
        match word {
            "ansicpg" => {
                self.doc_codepage = param.and_then(|v| u32::try_from(v).ok()).unwrap_or(1252)
            }
            "mac" => self.doc_codepage = 10000,
            "pc" => self.doc_codepage = 437,
            "pca" => self.doc_codepage = 850,
            "deff" => self.default_font = param.map(int),
            "f" => {
                self.flush();
                if dest == Dest::FontTable {
                    self.defining_font = param.map(int);
                } else if let Some(g) = self.top_mut() {
                    g.font = param.map(int);
                }
            }
            "fcharset" if dest == Dest::FontTable => {
                if let (Some(font), Some(cs)) = (self.defining_font, param) {
                    self.font_charsets.insert(font, charset_codepage(cs));
                }
            }
            "cpg" if dest == Dest::FontTable => {
                if let (Some(font), Some(cp)) = (
                    self.defining_font,
                    param.and_then(|v| u32::try_from(v).ok()),
                ) {
                    self.font_charsets.insert(font, cp);
                }
            }
            "uc" => {
                if let Some(g) = self.top_mut() {
                    g.uc = param
                        .and_then(|v| u32::try_from(v).ok())
                        .unwrap_or(1)
                        .min(16);
                }
            }
            "u" => {
                if let Some(v) = param {
                    // Values above 32767 are written as negative 16-bit numbers.
                    let code = if v < 0 { v + 65536 } else { v };
                    let c = u32::try_from(code)
                        .ok()
                        .and_then(char::from_u32)
                        .unwrap_or('\u{fffd}');
                    self.char(c);
                    self.skip_chars = self.top().uc;
                }
            }
            "par" | "line" | "sect" | "row" => {
                if dest == Dest::Body {
                    self.flush();
                    self.text.newline();
                } else {
                    self.char('\n');
                }
            }
            "page" if dest == Dest::Body => {
                self.flush();
                self.text.page_break();
            }
            "tab" | "cell" => self.char('\t'),
            "emdash" => self.char('—'),
            "endash" => self.char('–'),
            "bullet" => self.char('•'),
            "lquote" => self.char('‘'),
            "rquote" => self.char('’'),
            "ldblquote" => self.char('“'),
            "rdblquote" => self.char('”'),
            "emspace" | "enspace" | "qmspace" => self.char(' '),
            _ => {}
        }
    }
}

/// The code page of an RTF font character set (`\fcharsetN`); 0 means "the document's".
fn charset_codepage(charset: i64) -> u32 {
    match charset {
        77 => 10000,
        128 => 932,
        129 => 949,
        134 => 936,
        136 => 950,
        161 => 1253,
        162 => 1254,
        163 => 1258,
        177 => 1255,
        178 => 1256,
        186 => 1257,
        204 => 1251,
        222 => 874,
        238 => 1250,
        _ => 0,
    }
}

fn encoding_for(codepage: u32) -> &'static Encoding {
    let label = match codepage {
        874 => "windows-874",
        932 => "shift_jis",
        936 => "gbk",
        949 => "euc-kr",
        950 => "big5",
        866 => "ibm866",
        10000 => "macintosh",
        65001 => "utf-8",
        1250..=1258 => {
            return Encoding::for_label(format!("windows-{codepage}").as_bytes())
                .unwrap_or(WINDOWS_1252);
        }
        _ => "windows-1252",
    };
    Encoding::for_label(label.as_bytes()).unwrap_or(WINDOWS_1252)
}

/// Byte-wise access to a buffered reader.
struct Bytes<'r, R: BufRead> {
    input: &'r mut R,
}

impl<'r, R: BufRead> Bytes<'r, R> {
    fn new(input: &'r mut R) -> Self {
        Bytes { input }
    }

    fn peek(&mut self) -> Result<Option<u8>, IngestError> {
        Ok(self.input.fill_buf()?.first().copied())
    }

    fn next(&mut self) -> Result<Option<u8>, IngestError> {
        let b = self.peek()?;
        if b.is_some() {
            self.input.consume(1);
        }
        Ok(b)
    }

    fn skip(&mut self, mut n: u64) -> Result<(), IngestError> {
        while n > 0 {
            let available = self.input.fill_buf()?.len();
            if available == 0 {
                break;
            }
            let step = available.min(usize::try_from(n).unwrap_or(usize::MAX));
            self.input.consume(step);
            n -= step as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(rtf: &str) -> RtfDocument {
        parse(rtf.as_bytes(), 1 << 20).unwrap()
    }

    #[test]
    fn text_pages_and_info() {
        let rtf = r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss\fcharset0 Arial;}{\f1\fcharset204 Times;}}
{\colortbl;\red255\green0\blue0;}
{\info{\title Quarterly report}{\author Jane Doe}{\creatim\yr2021\mo3\dy4\hr5\min6}}
{\*\generator Writer 1.0;}
\pard Gr\'fc\'dfe aus \u8364?uro \f1\'c4\'e0\f0  end\par
{\pict\pngblip 89504e47}Second line\page
Page two {\field{\*\fldinst HYPERLINK x}{\fldrslt link text}}\par}";
        let d = doc(rtf);
        let pages = d.text.into_pages();
        assert_eq!(pages.len(), 2, "{pages:?}");
        assert!(pages[0].contains("Grüße aus €uro Да end"), "{:?}", pages[0]);
        assert!(pages[0].contains("Second line"));
        assert!(!pages[0].contains("89504e47"));
        assert!(pages[1].contains("Page two link text"));
        assert!(!pages[1].contains("HYPERLINK"));
        assert_eq!(
            d.info.fields.get("title").map(String::as_str),
            Some("Quarterly report")
        );
        assert_eq!(
            d.info.fields.get("generator").map(String::as_str),
            Some("Writer 1.0;")
        );
        assert_eq!(
            from_parts(&d.info.created).as_deref(),
            Some("2021-03-04T05:06")
        );
    }

    #[test]
    fn not_rtf_is_corrupt() {
        let err = parse("plain words".as_bytes(), 100).err().map(|e| e.class);
        assert_eq!(err, Some(crate::ErrorClass::Corrupt));
    }
}
