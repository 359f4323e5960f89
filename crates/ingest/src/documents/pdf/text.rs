//! A page's text in one pass over its content stream, on pdf_oxide's lower layers.
//!
//! pdf_oxide's `extract_text` reads every page three times (header/footer signatures for
//! the whole document, spans with layout, then every glyph once more to stamp x offsets
//! that we never use) and half of a PDF's ingestion time went there. Search needs the
//! words, not the layout, so this module walks the content stream once — and the Form
//! XObjects it draws, with their own resources and matrices — keeping the text state,
//! decodes each string with the font's Unicode mapping (pdf_oxide's `FontInfo`, parsed
//! once per font object per document), advances by the glyph widths and joins glyphs:
//!
//! - a new line when the baseline moves by more than half the font size, or the writing
//!   direction changes;
//! - a space when the gap to the previous glyph on the line is wider than
//!   [`WORD_GAP`] of the font size (large negative `TJ` offsets move the pen, so they
//!   count as gaps too), or when a glyph moves back on its line;
//! - nothing between glyphs that touch: kerning and small `TJ` offsets stay inside words.
//!
//! Lines come in the order the content stream draws them: there is no column or XY-cut
//! analysis, which is fine for search (the same words, in the order the producer wrote
//! them) but not a layout. Ligatures (U+FB00–FB06) are spelt out, as pdftotext does.
//!
//! # When the page is not ours
//!
//! The page is handed back ([`Unsure`]) so the caller can use pdf_oxide's own
//! `extract_text`, when the text could be wrong rather than merely laid out differently:
//!
//! - a font that is not a simple font (Type1, MMType1, TrueType) nor a Type0 font with an
//!   `Identity-H` encoding and a `ToUnicode` CMap — Type3 fonts, vertical writing, CJK
//!   CMaps with multi-byte codes of other widths, CID fonts without a Unicode map (their
//!   CIDs are glyph numbers, not letters);
//! - a character code that maps to nothing, to U+FFFD, to a control character or to a
//!   private-use code point (symbol fonts and subset fonts with no usable map);
//! - a font that cannot be found or parsed, text shown before any `Tf`, or a content
//!   stream (or Form XObject) that cannot be read or parsed;
//! - a page where this finds no text at all (pdf_oxide may still find some elsewhere,
//!   and it costs little on an empty page).
//!
//! Encrypted documents are not read here at all (Form XObject streams would need the
//! document's decryption, which pdf_oxide does not expose).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::rc::Rc;

use pdf_oxide::content::{Operator, TextElement, parse_and_execute_text_only};
use pdf_oxide::document::PdfDocument;
use pdf_oxide::fonts::FontInfo;
use pdf_oxide::fonts::font_dict::Encoding;
use pdf_oxide::object::{Object, ObjectRef};

/// A gap wider than this fraction of the font size between two glyphs on a line is a
/// word break (pdftotext's own threshold is 0.1; kerning stays well below it).
const WORD_GAP: f32 = 0.15;

/// A baseline shift larger than this fraction of the font size starts a new line.
const LINE_SHIFT: f32 = 0.5;

/// How deep Form XObjects may nest inside each other.
const MAX_FORM_DEPTH: usize = 8;

/// Why a page is left to pdf_oxide's own extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unsure {
    /// The font cannot be decoded confidently (named by its resource name and why).
    Font(String),
    /// A code with no Unicode, or one mapping to U+FFFD, a control or private-use char.
    Unmapped,
    /// Text shown with no font selected.
    NoFont,
    /// The page or a form it draws could not be read.
    Content(String),
    /// No text found.
    Empty,
}

impl std::fmt::Display for Unsure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsure::Font(why) => write!(f, "font: {why}"),
            Unsure::Unmapped => f.write_str("unmapped code"),
            Unsure::NoFont => f.write_str("text without a font"),
            Unsure::Content(why) => write!(f, "content: {why}"),
            Unsure::Empty => f.write_str("no text"),
        }
    }
}

/// A font as the assembler uses it.
struct Font {
    info: FontInfo,
    /// Identity-H: two bytes per code. Otherwise one byte per code.
    two_byte: bool,
    /// Simple fonts: the Unicode of each byte; `None` where the code has none usable.
    simple: Option<Box<[Option<Glyph>; 256]>>,
    /// Simple fonts: widths of each byte in glyph space units (1/1000 em).
    widths: [f32; 256],
}

/// What one code decodes to.
#[derive(Clone)]
enum Glyph {
    Char(char),
    Text(Rc<str>),
}

impl Font {
    fn load(info: FontInfo, dict: &Object) -> Result<Font, String> {
        match info.subtype.as_str() {
            "Type1" | "MMType1" | "TrueType" => {
                let mut simple: Box<[Option<Glyph>; 256]> = Box::new(std::array::from_fn(|_| None));
                let table = info.get_byte_to_char_table();
                for (code, slot) in simple.iter_mut().enumerate() {
                    let c = table[code];
                    *slot = if c != '\0' && usable(c) {
                        Some(Glyph::Char(c))
                    } else {
                        // Multi-character mappings are not in pdf_oxide's table.
                        info.char_to_unicode(code as u32).and_then(decoded)
                    };
                }
                let widths = *info.get_byte_to_width_table();
                Ok(Font {
                    info,
                    two_byte: false,
                    simple: Some(simple),
                    widths,
                })
            }
            "Type0" => {
                let identity = dict
                    .as_dict()
                    .and_then(|d| d.get("Encoding"))
                    .and_then(Object::as_name)
                    == Some("Identity-H");
                if !identity || !matches!(info.encoding, Encoding::Identity) || info.wmode != 0 {
                    return Err("Type0 without Identity-H".into());
                }
                if info.to_unicode.is_none() {
                    return Err("Type0 without ToUnicode".into());
                }
                Ok(Font {
                    info,
                    two_byte: true,
                    simple: None,
                    widths: [0.0; 256],
                })
            }
            other => Err(format!("{other} font")),
        }
    }

    /// The glyph of `code`, or `None` when it has no trustworthy Unicode.
    fn glyph(&self, code: u32) -> Option<Glyph> {
        match &self.simple {
            Some(table) => table.get(code as usize).cloned().flatten(),
            None => self.info.char_to_unicode(code).and_then(decoded),
        }
    }

    /// Advance width of `code` in text space units per unit of font size.
    fn width(&self, code: u32) -> f32 {
        if self.two_byte {
            let w = u16::try_from(code)
                .ok()
                .and_then(|cid| self.info.cid_widths.as_ref()?.get(&cid).copied())
                .unwrap_or(self.info.cid_default_width);
            w / 1000.0
        } else {
            self.widths[(code & 0xff) as usize] * self.info.font_matrix_a
        }
    }
}

/// A character a search index can use: not U+FFFD, a control or a private-use code point.
fn usable(c: char) -> bool {
    !(c == '\u{FFFD}'
        || (c.is_control() && !c.is_whitespace())
        || ('\u{E000}'..='\u{F8FF}').contains(&c)
        || c >= '\u{F0000}')
}

fn decoded(text: String) -> Option<Glyph> {
    if text.is_empty() || !text.chars().all(usable) {
        return None;
    }
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(Glyph::Char(c)),
        _ => Some(Glyph::Text(text.into())),
    }
}

/// A 2D affine matrix `[a b c d e f]`, row-vector convention as in the PDF spec.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Matrix([f32; 6]);

impl Matrix {
    const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    /// `self` then `other`.
    fn then(&self, other: &Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [a2, b2, c2, d2, e2, f2] = other.0;
        Matrix([
            a * a2 + b * c2,
            a * b2 + b * d2,
            c * a2 + d * c2,
            c * b2 + d * d2,
            e * a2 + f * c2 + e2,
            e * b2 + f * d2 + f2,
        ])
    }

    fn translate(tx: f32, ty: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    fn point(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + c * y + e, b * x + d * y + f)
    }

    fn vector(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, ..] = self.0;
        (a * x + c * y, b * x + d * y)
    }

    fn from_object(obj: Option<&Object>) -> Option<Matrix> {
        let items = obj?.as_array()?;
        if items.len() != 6 {
            return None;
        }
        let mut m = [0.0f32; 6];
        for (slot, item) in m.iter_mut().zip(items) {
            *slot = number(item)?;
        }
        Some(Matrix(m))
    }
}

fn number(obj: &Object) -> Option<f32> {
    match obj {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r as f32),
        _ => None,
    }
}

/// The part of the graphics state that `q`/`Q` save and text needs.
#[derive(Clone)]
struct State {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f32,
    char_space: f32,
    word_space: f32,
    scale: f32,
    leading: f32,
    rise: f32,
}

impl State {
    fn new(ctm: Matrix) -> State {
        State {
            ctm,
            font: None,
            size: 0.0,
            char_space: 0.0,
            word_space: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

/// Where the last glyph ended, in device space, and the line it was on.
#[derive(Clone, Copy)]
struct Pen {
    x: f32,
    y: f32,
    /// Unit vector along the baseline.
    dir: (f32, f32),
    /// Font size in device space.
    size: f32,
}

/// Fonts and resource lookups for one resources dictionary (page or form).
struct Scope {
    resources: Option<Object>,
    fonts: HashMap<String, Rc<Font>>,
}

/// Reads the text of a document's pages; keeps parsed fonts between pages.
pub(crate) struct Assembler<'d> {
    doc: &'d PdfDocument,
    fonts: HashMap<ObjectRef, Result<Rc<Font>, String>>,
}

impl<'d> Assembler<'d> {
    pub(crate) fn new(doc: &'d PdfDocument) -> Assembler<'d> {
        Assembler {
            doc,
            fonts: HashMap::new(),
        }
    }

    /// The text of page `index` (from 0), or why it is better left to pdf_oxide.
    pub(crate) fn page(&mut self, index: usize) -> Result<String, Unsure> {
        let content = self
            .doc
            .get_page_content_data(index)
            .map_err(|e| Unsure::Content(e.to_string()))?;
        // get_page merges the attributes a page inherits from its parents.
        let resources = self
            .doc
            .get_page(index)
            .ok()
            .and_then(|page| page.as_dict()?.get("Resources").cloned());
        let mut run = Run {
            out: String::new(),
            pen: None,
        };
        self.run(&content, resources, Matrix::IDENTITY, 0, &mut run)?;
        let text = run.out.trim_end();
        if text.trim_start().is_empty() {
            return Err(Unsure::Empty);
        }
        Ok(text.to_string())
    }

    fn run(
        &mut self,
        content: &[u8],
        resources: Option<Object>,
        ctm: Matrix,
        depth: usize,
        run: &mut Run,
    ) -> Result<(), Unsure> {
        let resources = match resources {
            Some(r) => Some(
                self.doc
                    .resolve_object(&r)
                    .map_err(|e| Unsure::Content(e.to_string()))?,
            ),
            None => None,
        };
        let mut scope = Scope {
            resources,
            fonts: HashMap::new(),
        };
        let mut stack: Vec<State> = Vec::new();
        let mut state = State::new(ctm);
        let mut tm = Matrix::IDENTITY;
        let mut tlm = Matrix::IDENTITY;
        let mut failure: Option<Unsure> = None;
        let parsed = parse_and_execute_text_only(content, |op| {
            let step = self.step(
                op,
                &mut scope,
                &mut stack,
                &mut state,
                (&mut tm, &mut tlm),
                depth,
                run,
            );
            if let Err(why) = step {
                failure = Some(why);
                // Any error stops the parser; the reason is kept above.
                return Err(pdf_oxide::error::Error::InvalidPdf("unsure".into()));
            }
            Ok(())
        });
        if let Some(why) = failure {
            return Err(why);
        }
        parsed.map_err(|e| Unsure::Content(e.to_string()))
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        op: Operator,
        scope: &mut Scope,
        stack: &mut Vec<State>,
        state: &mut State,
        (tm, tlm): (&mut Matrix, &mut Matrix),
        depth: usize,
        run: &mut Run,
    ) -> Result<(), Unsure> {
        match op {
            Operator::SaveState => stack.push(state.clone()),
            Operator::RestoreState => {
                if let Some(saved) = stack.pop() {
                    *state = saved;
                }
            }
            Operator::Cm { a, b, c, d, e, f } => {
                state.ctm = Matrix([a, b, c, d, e, f]).then(&state.ctm);
            }
            Operator::BeginText => {
                *tm = Matrix::IDENTITY;
                *tlm = Matrix::IDENTITY;
            }
            Operator::EndText => {}
            Operator::Tf { font, size } => {
                state.font = Some(self.font(scope, &font)?);
                state.size = size;
            }
            Operator::Tc { char_space } => state.char_space = char_space,
            Operator::Tw { word_space } => state.word_space = word_space,
            Operator::Tz { scale } => state.scale = scale / 100.0,
            Operator::TL { leading } => state.leading = leading,
            Operator::Ts { rise } => state.rise = rise,
            Operator::Td { tx, ty } => {
                *tlm = Matrix::translate(tx, ty).then(tlm);
                *tm = *tlm;
            }
            Operator::TD { tx, ty } => {
                state.leading = -ty;
                *tlm = Matrix::translate(tx, ty).then(tlm);
                *tm = *tlm;
            }
            Operator::Tm { a, b, c, d, e, f } => {
                *tlm = Matrix([a, b, c, d, e, f]);
                *tm = *tlm;
            }
            Operator::TStar => next_line(state, tm, tlm),
            Operator::Tj { text } => show(state, tm, &text, run)?,
            Operator::Quote { text } => {
                next_line(state, tm, tlm);
                show(state, tm, &text, run)?;
            }
            Operator::DoubleQuote {
                word_space,
                char_space,
                text,
            } => {
                state.word_space = word_space;
                state.char_space = char_space;
                next_line(state, tm, tlm);
                show(state, tm, &text, run)?;
            }
            Operator::TJ { array } => {
                for element in array {
                    match element {
                        TextElement::String(text) => show(state, tm, &text, run)?,
                        TextElement::Offset(offset) => {
                            let tx = -offset / 1000.0 * state.size * state.scale;
                            *tm = Matrix::translate(tx, 0.0).then(tm);
                        }
                    }
                }
            }
            Operator::Do { name } => self.form(scope, &name, state.ctm, depth, run)?,
            _ => {}
        }
        Ok(())
    }

    /// Draw the Form XObject `name` (images and other XObjects carry no text).
    fn form(
        &mut self,
        scope: &Scope,
        name: &str,
        ctm: Matrix,
        depth: usize,
        run: &mut Run,
    ) -> Result<(), Unsure> {
        let Some(entry) = lookup(self.doc, scope.resources.as_ref(), "XObject", name) else {
            return Ok(());
        };
        let stream = self
            .doc
            .resolve_object(&entry)
            .map_err(|e| Unsure::Content(e.to_string()))?;
        let Object::Stream { dict, .. } = &stream else {
            return Ok(());
        };
        if dict.get("Subtype").and_then(Object::as_name) != Some("Form") {
            return Ok(());
        }
        if depth >= MAX_FORM_DEPTH {
            return Err(Unsure::Content("forms nested too deep".into()));
        }
        let matrix = Matrix::from_object(dict.get("Matrix")).unwrap_or(Matrix::IDENTITY);
        let resources = dict
            .get("Resources")
            .cloned()
            .or_else(|| scope.resources.clone());
        let data = stream
            .decode_stream_data()
            .map_err(|e| Unsure::Content(e.to_string()))?;
        // A form's text is its own run of lines, like a paragraph placed on the page.
        self.run(&data, resources, matrix.then(&ctm), depth + 1, run)
    }

    fn font(&mut self, scope: &mut Scope, name: &str) -> Result<Rc<Font>, Unsure> {
        if let Some(font) = scope.fonts.get(name) {
            return Ok(Rc::clone(font));
        }
        let entry = lookup(self.doc, scope.resources.as_ref(), "Font", name)
            .ok_or_else(|| Unsure::Font(format!("{name} not found")))?;
        let font = match entry.as_reference() {
            Some(reference) => match self.fonts.entry(reference) {
                Entry::Occupied(known) => known.get().clone(),
                Entry::Vacant(slot) => slot.insert(parse_font(self.doc, &entry)).clone(),
            },
            None => parse_font(self.doc, &entry),
        }
        .map_err(|why| Unsure::Font(format!("{name}: {why}")))?;
        scope.fonts.insert(name.to_string(), Rc::clone(&font));
        Ok(font)
    }
}

fn parse_font(doc: &PdfDocument, entry: &Object) -> Result<Rc<Font>, String> {
    let dict = doc.resolve_object(entry).map_err(|e| e.to_string())?;
    let info = FontInfo::from_dict(&dict, doc).map_err(|e| e.to_string())?;
    Font::load(info, &dict).map(Rc::new)
}

/// `resources[category][name]`, resolving references on the way.
fn lookup(
    doc: &PdfDocument,
    resources: Option<&Object>,
    category: &str,
    name: &str,
) -> Option<Object> {
    let category = resources?.as_dict()?.get(category)?;
    let category = doc.resolve_object(category).ok()?;
    category.as_dict()?.get(name).cloned()
}

fn next_line(state: &State, tm: &mut Matrix, tlm: &mut Matrix) {
    *tlm = Matrix::translate(0.0, -state.leading).then(tlm);
    *tm = *tlm;
}

/// The text assembled so far and where the pen stopped.
struct Run {
    out: String,
    pen: Option<Pen>,
}

impl Run {
    /// Put a glyph starting at (`x`, `y`) on the line, breaking lines and words.
    fn place(&mut self, x: f32, y: f32, dir: (f32, f32), size: f32) {
        let Some(pen) = self.pen else {
            return;
        };
        let (dx, dy) = (x - pen.x, y - pen.y);
        let along = dx * pen.dir.0 + dy * pen.dir.1;
        let across = dx * pen.dir.1 - dy * pen.dir.0;
        let same_dir = (dir.0 * pen.dir.0 + dir.1 * pen.dir.1) > 0.99;
        let size = size.max(pen.size);
        if !same_dir || across.abs() > LINE_SHIFT * size {
            self.newline();
        } else if along > WORD_GAP * size || along < -size {
            self.space();
        }
    }

    fn newline(&mut self) {
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    fn space(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with([' ', '\n']) {
            self.out.push(' ');
        }
    }

    fn push(&mut self, glyph: &Glyph) {
        match glyph {
            Glyph::Char(c) if c.is_whitespace() => self.space(),
            Glyph::Char(c) => match ligature(*c) {
                Some(letters) => self.out.push_str(letters),
                None => self.out.push(*c),
            },
            Glyph::Text(text) => {
                for c in text.chars() {
                    if c.is_whitespace() {
                        self.space();
                    } else {
                        match ligature(c) {
                            Some(letters) => self.out.push_str(letters),
                            None => self.out.push(c),
                        }
                    }
                }
            }
        }
    }
}

pub(crate) fn ligature(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{FB00}' => "ff",
        '\u{FB01}' => "fi",
        '\u{FB02}' => "fl",
        '\u{FB03}' => "ffi",
        '\u{FB04}' => "ffl",
        '\u{FB05}' | '\u{FB06}' => "st",
        _ => return None,
    })
}

/// Show a string: decode, place and advance glyph by glyph.
fn show(state: &State, tm: &mut Matrix, text: &[u8], run: &mut Run) -> Result<(), Unsure> {
    let font = state.font.as_ref().ok_or(Unsure::NoFont)?;
    let step = if font.two_byte { 2 } else { 1 };
    for chunk in text.chunks(step) {
        let code = chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        let glyph = font.glyph(code).ok_or(Unsure::Unmapped)?;
        let trm = tm.then(&state.ctm);
        let (x, y) = trm.point(0.0, state.rise);
        let (bx, by) = trm.vector(1.0, 0.0);
        let along = (bx * bx + by * by).sqrt();
        let (ux, uy) = trm.vector(0.0, 1.0);
        let size = (ux * ux + uy * uy).sqrt() * state.size.abs();
        let dir = if along > 0.0 {
            (bx / along, by / along)
        } else {
            (1.0, 0.0)
        };
        run.place(x, y, dir, size);
        run.push(&glyph);
        let width = font.width(code) * state.size;
        let spacing = state.char_space
            + if step == 1 && code == 32 {
                state.word_space
            } else {
                0.0
            };
        // The pen stops at the glyph's own end: letter spacing is a gap like any other.
        let end = trm.point(width * state.scale, state.rise);
        run.pen = Some(Pen {
            x: end.0,
            y: end.1,
            dir,
            size,
        });
        *tm = Matrix::translate((width + spacing) * state.scale, 0.0).then(tm);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PDF from numbered object bodies (object 1 is the catalog), streams written as
    /// `("dict entries", "data")`.
    fn pdf(objects: &[Obj]) -> Vec<u8> {
        let bodies: Vec<String> = objects
            .iter()
            .map(|object| match object {
                Obj::Plain(body) => body.to_string(),
                Obj::Stream(dict, data) => super::super::test_pdf::stream_body(dict, data),
            })
            .collect();
        super::super::test_pdf::from_objects(&bodies, "")
    }

    enum Obj {
        Plain(&'static str),
        Stream(&'static str, &'static str),
    }

    const HELVETICA: Obj = Obj::Plain(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    );

    /// One page (object 3) with `content` (object 4) and font /F1 as object 5, then `more`.
    fn one_page(content: &'static str, font: Obj, more: Vec<Obj>) -> Vec<u8> {
        let mut objects = vec![
            Obj::Plain("<< /Type /Catalog /Pages 2 0 R >>"),
            Obj::Plain("<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 612 792] >>"),
            Obj::Plain(
                "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Fm1 6 0 R >> >> /Contents 4 0 R >>",
            ),
            Obj::Stream("", content),
            font,
        ];
        objects.extend(more);
        pdf(&objects)
    }

    fn text_of(bytes: Vec<u8>) -> Result<String, Unsure> {
        let doc = PdfDocument::from_bytes(bytes).unwrap();
        Assembler::new(&doc).page(0)
    }

    #[test]
    fn kerning_stays_inside_words_and_wide_offsets_split_them() {
        let text = text_of(one_page(
            "BT /F1 12 Tf 72 700 Td [(Hel) 30 (lo) -400 (world) -80 (!)] TJ ET",
            HELVETICA,
            vec![],
        ));
        assert_eq!(text.unwrap(), "Hello world!");
    }

    #[test]
    fn gaps_between_strings_are_spaces_and_touching_strings_join() {
        // The second Tj starts where "Pay" ends; the third far to the right.
        let text = text_of(one_page(
            "BT /F1 10 Tf 72 700 Td (Pay) Tj (ment) Tj 100 0 Td (due) Tj ET",
            HELVETICA,
            vec![],
        ));
        assert_eq!(text.unwrap(), "Payment due");
    }

    #[test]
    fn line_moves_break_lines() {
        let text = text_of(one_page(
            "BT /F1 12 Tf 14 TL 72 700 Td (one) Tj 0 -14 Td (two) Tj 0 -14 TD (three) Tj \
             T* (four) Tj 1 0 0 1 72 500 Tm (five) Tj (six) ' 2 1 (seven) \" ET",
            HELVETICA,
            vec![],
        ));
        assert_eq!(text.unwrap(), "one\ntwo\nthree\nfour\nfive\nsix\nseven");
    }

    #[test]
    fn word_and_character_spacing_open_gaps() {
        // Tw widens the space glyph; a large Tc spaces letters apart like pdftotext sees.
        let text = text_of(one_page(
            "BT /F1 10 Tf 72 700 Td 5 Tw (a b) Tj ET BT /F1 10 Tf 72 600 Td 3 Tc (xy) Tj ET",
            HELVETICA,
            vec![],
        ));
        assert_eq!(text.unwrap(), "a b\nx y");
    }

    #[test]
    fn form_xobjects_are_read_with_their_own_resources_and_matrix() {
        let text = text_of(one_page(
            "BT /F1 12 Tf 72 700 Td (Page) Tj ET q 1 0 0 1 0 -100 cm /Fm1 Do Q",
            HELVETICA,
            vec![
                Obj::Stream(
                    "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Matrix [1 0 0 1 0 -100] \
                     /Resources << /Font << /G 7 0 R >> >>",
                    "BT /G 12 Tf 72 700 Td (Form text) Tj ET",
                ),
                Obj::Plain("<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>"),
            ],
        ));
        assert_eq!(text.unwrap(), "Page\nForm text");
    }

    #[test]
    fn identity_h_fonts_decode_through_to_unicode() {
        let text = text_of(one_page(
            "BT /F1 12 Tf 72 700 Td <0001000200030003000400050006000400070003000800090009> Tj ET",
            Obj::Plain(
                "<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+Test /Encoding /Identity-H \
                 /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
            ),
            vec![
                Obj::Plain(
                    "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+Test \
                     /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
                     /DW 500 /W [4 [250]] >>",
                ),
                Obj::Stream(
                    "",
                    "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
                     /CMapName /Test def 1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
                     9 beginbfchar <0001> <0057> <0002> <0065> <0003> <006C> <0004> <0020>\n\
                     <0005> <0432> <0006> <0065> <0007> <03A9> <0008> <FB01> <0009> <0021>\n\
                     endbfchar endcmap CMapName currentdict /CMap defineresource pop end end",
                ),
            ],
        ));
        assert_eq!(text.unwrap(), "Well вe Ωlfi!!");
    }

    #[test]
    fn differences_rename_codes() {
        let text = text_of(one_page(
            "BT /F1 12 Tf 72 700 Td <0102030304> Tj ET",
            Obj::Plain(
                "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica \
                 /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding \
                 /Differences [1 /H /e /l /o] >> >>",
            ),
            vec![],
        ));
        assert_eq!(text.unwrap(), "Hello");
    }

    #[test]
    fn fonts_without_a_trustworthy_map_are_left_to_pdf_oxide() {
        // Type 3 glyphs are drawings; a CID font without ToUnicode has only glyph numbers.
        let type3 = text_of(one_page(
            "BT /F1 12 Tf 72 700 Td (ab) Tj ET",
            Obj::Plain(
                "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1 1] /FontMatrix [1 0 0 1 0 0] \
                 /CharProcs << >> /Encoding << /Differences [97 /a /b] >> /FirstChar 97 \
                 /LastChar 98 /Widths [1 1] >>",
            ),
            vec![],
        ));
        assert!(matches!(type3, Err(Unsure::Font(_))), "{type3:?}");
        let cid = text_of(one_page(
            "BT /F1 12 Tf 72 700 Td <00010002> Tj ET",
            Obj::Plain(
                "<< /Type /Font /Subtype /Type0 /BaseFont /XYZ /Encoding /Identity-H \
                 /DescendantFonts [6 0 R] >>",
            ),
            vec![Obj::Plain(
                "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /XYZ \
                 /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>",
            )],
        ));
        assert!(matches!(cid, Err(Unsure::Font(_))), "{cid:?}");
    }

    #[test]
    fn private_use_mappings_are_not_trusted() {
        let text = text_of(one_page(
            "BT /F1 12 Tf 72 700 Td <0001> Tj ET",
            Obj::Plain(
                "<< /Type /Font /Subtype /Type0 /BaseFont /Sym /Encoding /Identity-H \
                 /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
            ),
            vec![
                Obj::Plain(
                    "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Sym \
                     /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>",
                ),
                Obj::Stream(
                    "",
                    "begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
                     1 beginbfchar <0001> <F020> endbfchar endcmap",
                ),
            ],
        ));
        assert_eq!(text, Err(Unsure::Unmapped));
    }

    #[test]
    fn missing_fonts_and_fontless_text_are_unsure() {
        let missing = text_of(one_page(
            "BT /F9 12 Tf 72 700 Td (x) Tj ET",
            HELVETICA,
            vec![],
        ));
        assert!(matches!(missing, Err(Unsure::Font(_))), "{missing:?}");
        let fontless = text_of(one_page("BT 72 700 Td (x) Tj ET", HELVETICA, vec![]));
        assert_eq!(fontless, Err(Unsure::NoFont));
    }

    #[test]
    fn a_page_without_text_is_unsure() {
        let text = text_of(one_page("0 0 m 100 100 l S", HELVETICA, vec![]));
        assert_eq!(text, Err(Unsure::Empty));
    }

    #[test]
    fn rotated_text_reads_along_its_baseline() {
        // Rotated 90 degrees: glyphs advance upwards; a second rotated line to its left.
        let text = text_of(one_page(
            "BT /F1 12 Tf 0 1 -1 0 300 100 Tm (up) Tj [(wa) -20 (rds)] TJ 0 -14 Td (next) Tj ET",
            HELVETICA,
            vec![],
        ));
        assert_eq!(text.unwrap(), "upwards\nnext");
    }
}
