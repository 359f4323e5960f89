//! Raw PDFs of hand-written objects for tests (the crate's unit tests, and the integration
//! tests through `tests/support/documents_pdf.rs`): for fonts, forms and content the tests'
//! page writer does not make.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;

/// A PDF file of raw object bodies numbered from 1 (object 1 is the catalog), with its
/// cross-reference table; `trailer` adds entries to the trailer (`" /Info 8 0 R"`). For
/// tests that need objects no higher-level writer makes.
pub fn from_objects<S: AsRef<str>>(bodies: &[S], trailer: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(bodies.len());
    for (i, body) in bodies.iter().enumerate() {
        offsets.push(out.len());
        write!(out, "{} 0 obj\n{}\nendobj\n", i + 1, body.as_ref()).unwrap();
    }
    let size = bodies.len() + 1;
    let xref = out.len();
    write!(out, "xref\n0 {size}\n0000000000 65535 f \n").unwrap();
    for offset in offsets {
        writeln!(out, "{offset:010} 00000 n ").unwrap();
    }
    write!(
        out,
        "trailer\n<< /Size {size} /Root 1 0 R{trailer} >>\nstartxref\n{xref}\n%%EOF\n"
    )
    .unwrap();
    out
}

/// The body of a stream object: `dict`'s entries, the length, and `data`.
pub fn stream_body(dict: &str, data: &str) -> String {
    let sep = if dict.is_empty() { "" } else { " " };
    format!(
        "<< {dict}{sep}/Length {} >>\nstream\n{data}\nendstream",
        data.len()
    )
}
