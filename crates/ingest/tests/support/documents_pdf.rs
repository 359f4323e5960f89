//! A small PDF writer for tests: pages of text (Helvetica), pages that are only an image
//! (a "scan"), an information dictionary, a catalog language, and the standard security
//! handler's RC4 encryption (revision 2) with a user and an owner password.
//!
//! The catalog, page tree and font come first in the file, so a file cut short still has
//! its first pages whole (like a download that broke off).
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;

use md5::{Digest, Md5};

// Raw PDFs of hand-written objects: the same writer as the crate's own unit tests.
#[path = "../../src/documents/pdf/test_pdf.rs"]
mod raw;
// Not every test file that includes this one writes raw PDFs.
#[allow(unused_imports)]
pub use raw::{from_objects, stream_body};

/// What one page shows.
pub enum Page {
    /// Lines of text, top to bottom.
    Text(Vec<String>),
    /// A grey-scale image (8 bits per pixel) covering the whole page.
    Image {
        width: u32,
        height: u32,
        pixels: Vec<u8>,
    },
}

/// A PDF to write.
#[derive(Default)]
pub struct Pdf {
    pub pages: Vec<Page>,
    pub info: Vec<(&'static str, String)>,
    pub lang: Option<String>,
    /// (user password, owner password).
    pub encrypt: Option<(String, String)>,
}

/// The padding string of the standard security handler.
const PAD: [u8; 32] = [
    0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
    0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
];

/// Permission bits: everything but modifying (any value works for readers).
const PERMISSIONS: i32 = -44;

const FILE_ID: [u8; 16] = *b"0123456789abcdef";

fn rc4(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut s: Vec<u8> = (0..=255).collect();
    let mut j = 0u8;
    for i in 0..256 {
        j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
        s.swap(i, j as usize);
    }
    let (mut i, mut j) = (0u8, 0u8);
    data.iter()
        .map(|b| {
            i = i.wrapping_add(1);
            j = j.wrapping_add(s[i as usize]);
            s.swap(i as usize, j as usize);
            b ^ s[s[i as usize].wrapping_add(s[j as usize]) as usize]
        })
        .collect()
}

fn padded(password: &str) -> Vec<u8> {
    let mut p: Vec<u8> = password.bytes().take(32).collect();
    p.extend_from_slice(&PAD[..32 - p.len()]);
    p
}

fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The security handler's values: (file key, O, U).
fn security(user: &str, owner: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let owner_key = md5(&[&padded(owner)]);
    let o = rc4(&owner_key[..5], &padded(user));
    let key = md5(&[&padded(user), &o, &PERMISSIONS.to_le_bytes(), &FILE_ID])[..5].to_vec();
    let u = rc4(&key, &PAD);
    (key, o, u)
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::from("<");
    for b in bytes {
        s.push_str(&format!("{b:02X}"));
    }
    s.push('>');
    s
}

struct Writer {
    out: Vec<u8>,
    offsets: Vec<usize>,
    key: Option<Vec<u8>>,
}

impl Writer {
    fn object_key(&self, num: usize) -> Option<Vec<u8>> {
        let key = self.key.as_ref()?;
        let n = (num as u32).to_le_bytes();
        let digest = md5(&[key, &n[..3], &[0, 0]]);
        Some(digest[..(key.len() + 5).min(16)].to_vec())
    }

    /// A PDF string, encrypted with the object's key when the file is encrypted.
    fn string(&self, num: usize, text: &[u8]) -> String {
        match self.object_key(num) {
            Some(k) => hex(&rc4(&k, text)),
            None => hex(text),
        }
    }

    fn object(&mut self, num: usize, body: &str) {
        self.offsets[num] = self.out.len();
        write!(self.out, "{num} 0 obj\n{body}\nendobj\n").unwrap();
    }

    fn stream(&mut self, num: usize, dict: &str, data: &[u8]) {
        let data = match self.object_key(num) {
            Some(k) => rc4(&k, data),
            None => data.to_vec(),
        };
        self.offsets[num] = self.out.len();
        write!(
            self.out,
            "{num} 0 obj\n<< {dict} /Length {} >>\nstream\n",
            data.len()
        )
        .unwrap();
        self.out.extend_from_slice(&data);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
    }
}

impl Pdf {
    /// Pages of text, one `Vec` of lines per page.
    pub fn text(pages: &[&[&str]]) -> Pdf {
        Pdf {
            pages: pages
                .iter()
                .map(|lines| Page::Text(lines.iter().map(|l| l.to_string()).collect()))
                .collect(),
            ..Pdf::default()
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let (key, security_values) = match &self.encrypt {
            Some((user, owner)) => {
                let (key, o, u) = security(user, owner);
                (Some(key), Some((o, u)))
            }
            None => (None, None),
        };
        // Objects: 1 catalog, 2 page tree, 3 font, then page/content(/image) per page,
        // then info and encryption dictionaries.
        let mut page_objects = Vec::new();
        let mut next = 4;
        for page in &self.pages {
            let image = matches!(page, Page::Image { .. }).then_some(next + 2);
            page_objects.push((next, next + 1, image));
            next += 2 + usize::from(image.is_some());
        }
        let info_num = next;
        let encrypt_num = next + 1;
        let count = encrypt_num + 1;
        let mut w = Writer {
            out: b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec(),
            offsets: vec![0; count],
            key,
        };

        let lang = match &self.lang {
            Some(l) => format!(" /Lang {}", w.string(1, l.as_bytes())),
            None => String::new(),
        };
        w.object(1, &format!("<< /Type /Catalog /Pages 2 0 R{lang} >>"));
        let kids: Vec<String> = page_objects
            .iter()
            .map(|(p, _, _)| format!("{p} 0 R"))
            .collect();
        w.object(
            2,
            &format!(
                "<< /Type /Pages /Kids [{}] /Count {} /MediaBox [0 0 612 792] >>",
                kids.join(" "),
                self.pages.len()
            ),
        );
        w.object(
            3,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        );

        for (page, (page_num, content_num, image_num)) in self.pages.iter().zip(&page_objects) {
            match page {
                Page::Text(lines) => {
                    w.object(
                        *page_num,
                        &format!("<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents {content_num} 0 R >>"),
                    );
                    let mut content = String::from("BT /F1 12 Tf 16 TL 72 740 Td\n");
                    for line in lines {
                        content.push_str(&hex(&latin1(line)));
                        content.push_str(" Tj T*\n");
                    }
                    content.push_str("ET\n");
                    w.stream(*content_num, "", content.as_bytes());
                }
                Page::Image {
                    width,
                    height,
                    pixels,
                } => {
                    let image_num = image_num.unwrap_or(0);
                    w.object(
                        *page_num,
                        &format!("<< /Type /Page /Parent 2 0 R /Resources << /XObject << /Im1 {image_num} 0 R >> >> /Contents {content_num} 0 R >>"),
                    );
                    w.stream(*content_num, "", b"q 612 0 0 792 0 0 cm /Im1 Do Q\n");
                    let mut z =
                        flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                    z.write_all(pixels).unwrap();
                    let data = z.finish().unwrap();
                    w.stream(
                        image_num,
                        &format!("/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode"),
                        &data,
                    );
                }
            }
        }

        let mut info = String::from("<<");
        for (k, v) in &self.info {
            info.push_str(&format!(" /{k} {}", w.string(info_num, &latin1(v))));
        }
        info.push_str(" >>");
        w.object(info_num, &info);
        let mut trailer_extra = String::new();
        if let Some((o, u)) = &security_values {
            // The encryption dictionary itself is never encrypted.
            let body = format!(
                "<< /Filter /Standard /V 1 /R 2 /O {} /U {} /P {PERMISSIONS} >>",
                hex(o),
                hex(u)
            );
            w.offsets[encrypt_num] = w.out.len();
            write!(w.out, "{encrypt_num} 0 obj\n{body}\nendobj\n").unwrap();
            trailer_extra = format!(" /Encrypt {encrypt_num} 0 R");
        }
        let last = if security_values.is_some() {
            count
        } else {
            count - 1
        };

        let xref = w.out.len();
        write!(w.out, "xref\n0 {last}\n0000000000 65535 f \n").unwrap();
        for num in 1..last {
            writeln!(w.out, "{:010} 00000 n ", w.offsets[num]).unwrap();
        }
        write!(
            w.out,
            "trailer\n<< /Size {last} /Root 1 0 R /Info {info_num} 0 R{trailer_extra} /ID [{} {}] >>\nstartxref\n{xref}\n%%EOF\n",
            hex(&FILE_ID),
            hex(&FILE_ID)
        )
        .unwrap();
        w.out
    }
}

/// Text in WinAnsi (Latin-1 for what the tests write).
fn latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// Render page 1 of the PDF at `path` to grey-scale pixels at `dpi` with pdftoppm:
/// (width, height, pixels).
pub fn render_gray(pdf: &Path, dpi: u32) -> (u32, u32, Vec<u8>) {
    let prefix = pdf.with_extension("render");
    super::util::run_tool(
        "pdftoppm",
        &[
            "-r".as_ref(),
            dpi.to_string().as_ref(),
            "-f".as_ref(),
            "1".as_ref(),
            "-l".as_ref(),
            "1".as_ref(),
            "-singlefile".as_ref(),
            "-gray".as_ref(),
            pdf.as_os_str(),
            prefix.as_os_str(),
        ],
    );
    let pgm = std::fs::read(format!("{}.pgm", prefix.display())).unwrap();
    parse_pgm(&pgm)
}

/// A binary PGM (P5, 8 bits).
fn parse_pgm(data: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut fields = Vec::new();
    let mut i = 2;
    while fields.len() < 3 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(
            std::str::from_utf8(&data[start..i])
                .unwrap()
                .parse::<u32>()
                .unwrap(),
        );
    }
    let pixels = data[i + 1..].to_vec();
    assert_eq!(pixels.len() as u32, fields[0] * fields[1]);
    (fields[0], fields[1], pixels)
}

/// A page image showing `lines` of text, as a scanner would give it (text drawn by a
/// PDF renderer at 200 dpi, then only the pixels kept).
pub fn scanned_page(dir: &Path, lines: &[&str]) -> Page {
    let text_pdf = dir.join("to-scan.pdf");
    let big: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    std::fs::write(
        &text_pdf,
        Pdf {
            pages: vec![Page::Text(big)],
            ..Pdf::default()
        }
        .to_bytes(),
    )
    .unwrap();
    let (width, height, pixels) = render_gray(&text_pdf, 200);
    Page::Image {
        width,
        height,
        pixels,
    }
}
