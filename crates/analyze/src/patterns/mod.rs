//! Identifiers found by pattern: e-mail addresses, phone numbers, IBANs, URLs, IP
//! addresses, BICs, LEIs, IMO numbers and crypto-currency addresses.
//!
//! Every pattern is narrow (it would rather miss an odd spelling than match prose), and
//! every candidate is checked before it is kept: by FtM's own type cleaner where FtM has
//! a type for it (so a kept value is exactly what FtM would store), and by the scheme's
//! checksum otherwise (Bitcoin, Ethereum).

mod crypto;
mod identifiers;
mod network;
mod phone;

use std::ops::Range;

/// What a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatternKind {
    Email,
    Phone,
    Iban,
    Url,
    Ip,
    Bic,
    Lei,
    Imo,
    Bitcoin,
    Ethereum,
}

impl PatternKind {
    /// The `Analyzable` property that gathers values of this kind, where FtM has one.
    pub fn property(self) -> Option<&'static str> {
        match self {
            PatternKind::Email => Some("emailMentioned"),
            PatternKind::Phone => Some("phoneMentioned"),
            PatternKind::Iban => Some("ibanMentioned"),
            PatternKind::Ip => Some("ipMentioned"),
            _ => None,
        }
    }
}

/// A value found in text, in its clean form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: PatternKind,
    /// The value as FtM's cleaner returns it (`+4930…`, `DE89…`); for crypto addresses,
    /// the address as written.
    pub value: String,
    /// Byte range of the match in the text.
    pub span: Range<usize>,
    /// The country the value points to (a phone's or an IBAN's), FtM code.
    pub country: Option<String>,
}

/// Every finding in `text`, in order of position. `phone_regions` are the countries to
/// try, in order, for phone numbers written without their international prefix.
pub fn find_patterns(text: &str, phone_regions: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    let urls = network::urls(text);
    network::emails(text, &urls, &mut out);
    out.extend(urls.into_iter().map(|u| u.finding));
    network::ips(text, &mut out);
    identifiers::ibans(text, &mut out);
    identifiers::bics(text, &mut out);
    identifiers::leis(text, &mut out);
    identifiers::imos(text, &mut out);
    crypto::addresses(text, &mut out);
    // Phone numbers last, skipping digits already claimed (an IBAN, an IP address).
    phone::phones(text, phone_regions, &mut out);
    out.sort_by_key(|f| (f.span.start, f.span.end));
    out
}

/// Whether `range` overlaps any earlier finding.
fn taken(out: &[Finding], range: &Range<usize>) -> bool {
    out.iter()
        .any(|f| f.span.start < range.end && range.start < f.span.end)
}

/// The character before byte `at`, if any.
fn char_before(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

/// The character at byte `at`, if any.
fn char_at(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}
