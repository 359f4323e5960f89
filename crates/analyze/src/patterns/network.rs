//! E-mail addresses, URLs and IP addresses.

use std::sync::LazyLock;

use ftm::{CleanOptions, PropertyType};
use regex::Regex;

use super::{Finding, PatternKind, char_at, char_before};

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}")
        .expect("valid regex")
});
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?-u:\b)(?:(?:https?|ftp)://|www\.)[^\s<>"'`{}|\\^\[\]]+"#)
        .expect("valid regex")
});
static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?-u:\b)").expect("valid regex")
});
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|(?:[0-9]{1,3}\.){3}[0-9]{1,3})?")
        .expect("valid regex")
});

/// A URL with the byte range of its user-info part (`user:pass@` in `http://user:pass@host`).
pub(super) struct UrlMatch {
    pub finding: Finding,
    userinfo: Option<std::ops::Range<usize>>,
}

pub(super) fn urls(text: &str) -> Vec<UrlMatch> {
    let mut out = Vec::new();
    for m in URL.find_iter(text) {
        let raw = trim_url(m.as_str());
        if raw.len() > PropertyType::Url.max_length() {
            continue;
        }
        let Some(value) = PropertyType::Url.clean(raw, CleanOptions::default()) else {
            continue;
        };
        let start = m.start();
        let userinfo = raw.find("://").and_then(|scheme_end| {
            let authority_start = scheme_end + 3;
            let authority_len = raw[authority_start..]
                .find(['/', '?', '#'])
                .unwrap_or(raw.len() - authority_start);
            let authority = &raw[authority_start..authority_start + authority_len];
            authority
                .rfind('@')
                .map(|at| start + authority_start..start + authority_start + at + 1)
        });
        out.push(UrlMatch {
            finding: Finding {
                kind: PatternKind::Url,
                value,
                span: start..start + raw.len(),
                country: None,
            },
            userinfo,
        });
    }
    out
}

/// Drop the punctuation that ends a sentence or closes a bracket around a URL.
fn trim_url(raw: &str) -> &str {
    let mut s = raw;
    loop {
        let Some(last) = s.chars().next_back() else {
            return s;
        };
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '>' | '»' | '”' => true,
            ')' => s.matches('(').count() < s.matches(')').count(),
            _ => false,
        };
        if !strip {
            return s;
        }
        s = &s[..s.len() - last.len_utf8()];
    }
}

/// E-mail addresses. One inside a URL counts unless it is the URL's user info
/// (`http://user@host/` names a login, not a mailbox).
pub(super) fn emails(text: &str, urls: &[UrlMatch], out: &mut Vec<Finding>) {
    for m in EMAIL.find_iter(text) {
        let raw = m.as_str().trim_start_matches(['.', '-', '+']);
        let start = m.end() - raw.len();
        let at = start + raw.find('@').unwrap_or(0);
        let in_userinfo = urls
            .iter()
            .any(|u| u.userinfo.as_ref().is_some_and(|r| r.contains(&at)));
        if in_userinfo {
            continue;
        }
        if let Some(value) = PropertyType::Email.clean(raw, CleanOptions::default()) {
            out.push(Finding {
                kind: PatternKind::Email,
                value,
                span: start..m.end(),
                country: None,
            });
        }
    }
}

/// IPv4 and IPv6 addresses, as FtM's `ip` type accepts them. Dotted numbers inside longer
/// dotted runs (`1.2.3.4.5`, version strings) are left alone.
pub(super) fn ips(text: &str, out: &mut Vec<Finding>) {
    for m in IPV4.find_iter(text) {
        let before = char_before(text, m.start());
        let after = char_at(text, m.end());
        let after_next = text[m.end()..].chars().nth(1);
        let dotted_before = before == Some('.')
            || before.is_some_and(|c| c.is_alphanumeric())
            || text[..m.start()].ends_with("v")
            || text[..m.start()].ends_with("V");
        let dotted_after = after == Some('.') && after_next.is_some_and(|c| c.is_ascii_digit());
        if dotted_before || dotted_after {
            continue;
        }
        push_ip(m.as_str(), m.range(), out);
    }
    for m in IPV6.find_iter(text) {
        let s = m.as_str();
        let colons = s.matches(':').count();
        let has_hex = s.chars().any(|c| c.is_ascii_hexdigit());
        let boundary_ok = !char_before(text, m.start()).is_some_and(|c| c.is_alphanumeric())
            && !char_at(text, m.end()).is_some_and(|c| c.is_alphanumeric() || c == ':');
        if has_hex && boundary_ok && (s.contains("::") || colons == 7) {
            push_ip(s, m.range(), out);
        }
    }
}

fn push_ip(raw: &str, span: std::ops::Range<usize>, out: &mut Vec<Finding>) {
    if let Some(value) = PropertyType::Ip.clean(raw, CleanOptions::default()) {
        out.push(Finding {
            kind: PatternKind::Ip,
            value,
            span,
            country: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::find_patterns;
    use super::*;

    fn values(text: &str, kind: PatternKind) -> Vec<String> {
        find_patterns(text, &[])
            .into_iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.value)
            .collect()
    }

    #[test]
    fn emails_valid_and_invalid() {
        assert_eq!(
            values(
                "Write to Jane.Doe@Example.ORG, or bob@mail.example.co.uk.",
                PatternKind::Email
            ),
            ["Jane.Doe@example.org", "bob@mail.example.co.uk"]
        );
        assert!(
            values(
                "no@tld, a@b.c, user@localhost, 10@20.30",
                PatternKind::Email
            )
            .is_empty()
        );
        assert_eq!(
            values("mailto:info@acme.com", PatternKind::Email),
            ["info@acme.com"]
        );
    }

    #[test]
    fn emails_inside_urls() {
        // User info of a URL is a login, not a mailbox; the URL is kept.
        let text = "see http://admin@intranet.example.com/login today";
        assert!(values(text, PatternKind::Email).is_empty());
        assert_eq!(
            values(text, PatternKind::Url),
            ["http://admin@intranet.example.com/login"]
        );
        // An address in a URL's query is an address.
        let text = "https://example.com/contact?to=press@example.com";
        assert_eq!(values(text, PatternKind::Email), ["press@example.com"]);
    }

    #[test]
    fn urls_trim_sentence_punctuation() {
        assert_eq!(
            values(
                "(see https://en.wikipedia.org/wiki/Foo_(bar)).",
                PatternKind::Url
            ),
            ["https://en.wikipedia.org/wiki/Foo_(bar)"]
        );
        assert_eq!(
            values("Visit www.example.com.", PatternKind::Url),
            ["http://www.example.com/"]
        );
        assert!(values("javascript:alert(1) and ftp:/broken", PatternKind::Url).is_empty());
    }

    #[test]
    fn ip_addresses() {
        assert_eq!(
            values(
                "from 192.168.1.20 and 2001:db8::8a2e:370:7334.",
                PatternKind::Ip
            ),
            ["192.168.1.20", "2001:db8::8a2e:370:7334"]
        );
        // Out of range, leading zeros, version strings, times, MAC addresses.
        let none = "999.1.1.1 192.168.001.1 v1.2.3.4 1.2.3.4.5 at 12:30:45 mac 00:1a:2b:3c:4d:5e";
        assert!(values(none, PatternKind::Ip).is_empty());
    }
}
