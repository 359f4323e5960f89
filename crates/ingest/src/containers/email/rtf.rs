//! Outlook's RTF bodies: the compressed-RTF container (MS-OXRTFCP) and the HTML or plain
//! text that Outlook encapsulates in RTF (MS-OXRTFEX).
//!
//! Many `.msg` files carry their body only as `PR_RTF_COMPRESSED`: no plain-text body, no
//! HTML body. Readers that ignore it show these messages as empty, which is what users of
//! other tools complain about. Decompressing it and taking the HTML or text back out of
//! the RTF recovers the body.

use encoding_rs::Encoding;

/// The dictionary every compressed RTF stream starts from.
const PRELOAD: &[u8] = b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";
const COMPRESSED: u32 = 0x7546_5a4c; // "LZFu"
const UNCOMPRESSED: u32 = 0x414c_454d; // "MELA"

/// Why a compressed RTF stream could not be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum RtfError {
    #[error("compressed RTF header is truncated")]
    Truncated,
    #[error("unknown compressed RTF type {0:#x}")]
    UnknownType(u32),
}

/// Decompress a `PR_RTF_COMPRESSED` value. Output stops at the declared raw size, at the
/// end marker or at the end of the input, whichever comes first.
pub(super) fn decompress(data: &[u8]) -> Result<Vec<u8>, RtfError> {
    if data.len() < 16 {
        return Err(RtfError::Truncated);
    }
    let word = |i: usize| u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
    let raw_size = word(4) as usize;
    let kind = word(8);
    let body = &data[16..];
    match kind {
        UNCOMPRESSED => return Ok(body[..raw_size.min(body.len())].to_vec()),
        COMPRESSED => {}
        other => return Err(RtfError::UnknownType(other)),
    }
    let mut dict = [0u8; 4096];
    dict[..PRELOAD.len()].copy_from_slice(PRELOAD);
    let mut write = PRELOAD.len();
    // The raw size is untrusted: never reserve more than the input could plausibly expand to.
    let mut out = Vec::with_capacity(raw_size.min(body.len().saturating_mul(8)));
    let mut i = 0;
    'stream: while i < body.len() && out.len() < raw_size {
        let control = body[i];
        i += 1;
        for bit in 0..8 {
            if i >= body.len() || out.len() >= raw_size {
                break 'stream;
            }
            if control >> bit & 1 == 0 {
                let b = body[i];
                i += 1;
                out.push(b);
                dict[write] = b;
                write = (write + 1) % 4096;
            } else {
                if i + 1 >= body.len() {
                    break 'stream;
                }
                let reference = u16::from_be_bytes([body[i], body[i + 1]]);
                i += 2;
                let offset = usize::from(reference >> 4);
                let length = usize::from(reference & 0xf) + 2;
                if offset == write {
                    break 'stream;
                }
                for k in 0..length {
                    let b = dict[(offset + k) % 4096];
                    out.push(b);
                    dict[write] = b;
                    write = (write + 1) % 4096;
                }
            }
        }
    }
    out.truncate(raw_size);
    Ok(out)
}

/// What an RTF body holds once unwrapped.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Body {
    /// HTML that Outlook wrapped in RTF (`\fromhtml1`).
    Html(String),
    /// Plain text, wrapped (`\fromtext`) or extracted from native RTF.
    Text(String),
}

/// Unwrap an RTF body: the encapsulated HTML or text, or the text of native RTF.
pub(super) fn body(rtf: &[u8]) -> Body {
    let head = &rtf[..rtf.len().min(1024)];
    let contains = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if contains(b"\\fromhtml1") {
        Body::Html(Reader::new(rtf, Mode::Html).run())
    } else {
        Body::Text(Reader::new(rtf, Mode::Text).run())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Html,
    Text,
}

/// Per-group state of the RTF reader.
#[derive(Debug, Clone, Copy)]
struct Group {
    /// Text here is RTF rendering of HTML, not part of the HTML (`\htmlrtf`).
    suppressed: bool,
    /// A destination whose content is not body text (font table, pictures…).
    skipped: bool,
    /// An `\*\htmltag` group: its content is verbatim HTML.
    html_tag: bool,
    /// How many characters follow a `\u` as its fallback (`\uc`).
    unicode_skip: usize,
}

struct Reader<'a> {
    rtf: &'a [u8],
    pos: usize,
    mode: Mode,
    out: String,
    pending: Vec<u8>,
    encoding: &'static Encoding,
    stack: Vec<Group>,
    group: Group,
    /// Fallback characters still to drop after a `\u`.
    to_skip: usize,
}

/// Destinations whose content never belongs to the body.
const SKIPPED: [&str; 12] = [
    "fonttbl",
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "object",
    "header",
    "footer",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
];

impl<'a> Reader<'a> {
    fn new(rtf: &'a [u8], mode: Mode) -> Reader<'a> {
        Reader {
            rtf,
            pos: 0,
            mode,
            out: String::new(),
            pending: Vec::new(),
            encoding: encoding_rs::WINDOWS_1252,
            stack: Vec::new(),
            group: Group {
                suppressed: false,
                skipped: false,
                html_tag: false,
                unicode_skip: 1,
            },
            to_skip: 0,
        }
    }

    /// Whether text at this point is part of the body.
    fn visible(&self) -> bool {
        if self.group.skipped {
            return false;
        }
        match self.mode {
            Mode::Html => self.group.html_tag || !self.group.suppressed,
            Mode::Text => true,
        }
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let (text, _, _) = self.encoding.decode(&self.pending);
            self.out.push_str(&text);
            self.pending.clear();
        }
    }

    fn emit_byte(&mut self, b: u8) {
        if self.to_skip > 0 {
            self.to_skip -= 1;
            return;
        }
        if self.visible() {
            self.pending.push(b);
        }
    }

    fn emit_str(&mut self, s: &str) {
        if self.visible() {
            self.flush();
            self.out.push_str(s);
        }
    }

    fn run(mut self) -> String {
        while self.pos < self.rtf.len() {
            let c = self.rtf[self.pos];
            self.pos += 1;
            match c {
                b'{' => {
                    self.flush();
                    self.stack.push(self.group);
                    self.group.html_tag = false;
                    self.to_skip = 0;
                }
                b'}' => {
                    self.flush();
                    if let Some(outer) = self.stack.pop() {
                        self.group = outer;
                    }
                    self.to_skip = 0;
                }
                b'\\' => self.control(),
                b'\r' | b'\n' => {}
                _ => self.emit_byte(c),
            }
        }
        self.flush();
        self.out
    }

    fn control(&mut self) {
        let Some(&c) = self.rtf.get(self.pos) else {
            return;
        };
        if !c.is_ascii_alphabetic() {
            self.pos += 1;
            match c {
                b'\'' => {
                    let hex = self
                        .rtf
                        .get(self.pos..self.pos + 2)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        self.pos += 2;
                        self.emit_byte(b);
                    }
                }
                b'*' => {
                    // An optional destination: skipped unless it is one we know (htmltag).
                    let rest = &self.rtf[self.pos..];
                    let rest = rest.strip_prefix(b"\\").unwrap_or(rest);
                    if !(self.mode == Mode::Html
                        && (rest.starts_with(b"htmltag") || rest.starts_with(b"mhtmltag")))
                    {
                        self.group.skipped = true;
                    }
                }
                b'~' => self.emit_str("\u{a0}"),
                b'\r' | b'\n' => self.emit_str("\n"),
                b'{' | b'}' | b'\\' => self.emit_byte(c),
                _ => {}
            }
            return;
        }
        let start = self.pos;
        while self.pos < self.rtf.len() && self.rtf[self.pos].is_ascii_alphabetic() {
            self.pos += 1;
        }
        let word = String::from_utf8_lossy(&self.rtf[start..self.pos]).into_owned();
        let num_start = self.pos;
        if self.rtf.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        while self.pos < self.rtf.len() && self.rtf[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        let param: Option<i32> = std::str::from_utf8(&self.rtf[num_start..self.pos])
            .ok()
            .and_then(|s| s.parse().ok());
        if self.rtf.get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
        self.word(&word, param);
    }

    fn word(&mut self, word: &str, param: Option<i32>) {
        match word {
            "htmlrtf" => self.group.suppressed = param != Some(0),
            "htmltag" | "mhtmltag" => self.group.html_tag = true,
            "par" | "line"
                if self.mode == Mode::Text || self.group.html_tag || !self.group.suppressed =>
            {
                self.emit_str("\n");
            }
            "tab" => self.emit_str("\t"),
            "ansicpg" => {
                if let Some(encoding) = param
                    .and_then(|p| u16::try_from(p).ok())
                    .and_then(codepage::to_encoding)
                {
                    self.flush();
                    self.encoding = encoding;
                }
            }
            "uc" => {
                self.group.unicode_skip = param.and_then(|p| usize::try_from(p).ok()).unwrap_or(1)
            }
            "u" => {
                if let Some(p) = param {
                    // Negative values stand for code units above 32767.
                    let unit = if p < 0 { p + 65536 } else { p };
                    if let Some(ch) = u32::try_from(unit).ok().and_then(char::from_u32) {
                        self.emit_str(&ch.to_string());
                    }
                    self.to_skip = self.group.unicode_skip;
                }
            }
            w if SKIPPED.contains(&w) => self.group.skipped = true,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of MS-OXRTFCP: a compressed stream and what it expands to.
    #[test]
    fn decompresses_the_specification_example() {
        let data: [u8; 49] = [
            0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5,
            0xc7, 0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42,
            0x32, 0x0a, 0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0,
            0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0,
        ];
        let out = decompress(&data).unwrap();
        assert_eq!(out, b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n");
    }

    #[test]
    fn uncompressed_streams_and_bad_headers() {
        let mut data = Vec::new();
        data.extend_from_slice(&20u32.to_le_bytes());
        data.extend_from_slice(&8u32.to_le_bytes());
        data.extend_from_slice(b"MELA");
        data.extend_from_slice(&0u32.to_le_bytes());
        data.extend_from_slice(b"{\\rtf1 x}trailing");
        assert_eq!(decompress(&data).unwrap(), b"{\\rtf1 x");
        assert_eq!(decompress(b"short"), Err(RtfError::Truncated));
    }

    #[test]
    fn unwraps_encapsulated_html() {
        let rtf = b"{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0{\\fonttbl{\\f0\\fswiss Arial;}}\
{\\*\\htmltag19 <html>}{\\*\\htmltag34 <body>}\\htmlrtf {\\htmlrtf0 \
{\\*\\htmltag64 <p>}Gr\\'fc\\'dfe aus M\\u252?nchen{\\*\\htmltag72 </p>}\\htmlrtf\\par\\htmlrtf0}\
{\\*\\htmltag42 </body>}{\\*\\htmltag27 </html>}}";
        let Body::Html(html) = body(rtf) else {
            panic!("expected HTML")
        };
        assert_eq!(
            html.replace('\n', ""),
            "<html><body><p>Grüße aus München</p></body></html>"
        );
    }

    #[test]
    fn extracts_text_from_plain_rtf() {
        let rtf = b"{\\rtf1\\ansi\\ansicpg1251{\\fonttbl{\\f0 Times;}}\\f0 \\'cf\\'f0\\'e8\\'e2\\'e5\\'f2\\par second line\\tab end}";
        assert_eq!(
            body(rtf),
            Body::Text("Привет\nsecond line\tend".to_string())
        );
    }
}
