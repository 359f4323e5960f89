//! URLs, cleaned as rigour's `clean_url` does on top of Python's `urllib.parse`.
//!
//! The value is split the way `urlparse` splits it (which is lenient: it never decodes or
//! re-encodes anything) and put back together the way `geturl` does, so the output keeps
//! the input's spelling. What rigour adds: `http` when there is no scheme (`www.x.org`
//! works, it is read as a host), only web-like schemes, and a plausible host name.

use unicode_normalization::UnicodeNormalization;

use super::ip;
use super::text::{py_isalnum, py_isspace, py_strip};

/// rigour's accepted schemes.
const SCHEMES: [&str; 7] = ["http", "https", "ftp", "mailto", "file", "s3", "gs"];
const USES_PARAMS: [&str; 16] = [
    "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtsps", "rtspu",
    "sip", "sips", "mms", "sftp", "tel",
];
const USES_NETLOC: [&str; 26] = [
    "", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp",
    "snews", "prospero", "rtsp", "rtsps", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git",
    "git+ssh", "ws", "wss",
];

/// `urllib.parse.ParseResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed {
    scheme: String,
    netloc: String,
    path: String,
    params: String,
    query: String,
    fragment: String,
}

/// `urlparse(url)`; `None` where Python raises `ValueError`.
fn urlparse(url: &str) -> Option<Parsed> {
    let url = url.trim_start_matches(|c: char| c <= ' ');
    let url: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut rest = url.as_str();
    let mut scheme = String::new();
    if let Some(i) = rest.find(':')
        && i > 0
        && rest.as_bytes()[0].is_ascii_alphabetic()
        && rest[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        scheme = rest[..i].to_ascii_lowercase();
        rest = &rest[i + 1..];
    }
    let mut netloc = "";
    if rest.starts_with("//") {
        let after = &rest[2..];
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = &after[..end];
        rest = &after[end..];
        let (open, close) = (netloc.contains('['), netloc.contains(']'));
        if open != close {
            return None;
        }
        if open {
            let bracketed = netloc.split_once('[')?.1;
            let host = bracketed.split_once(']').map_or(bracketed, |(h, _)| h);
            check_bracketed_host(host)?;
        }
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    check_netloc(netloc)?;
    let (path, params) = if USES_PARAMS.contains(&scheme.as_str()) && path.contains(';') {
        split_params(path)
    } else {
        (path, "")
    };
    Some(Parsed {
        scheme,
        netloc: netloc.to_owned(),
        path: path.to_owned(),
        params: params.to_owned(),
        query: query.to_owned(),
        fragment: fragment.to_owned(),
    })
}

fn split_params(path: &str) -> (&str, &str) {
    let i = match path.rfind('/') {
        Some(slash) => match path[slash..].find(';') {
            Some(j) => slash + j,
            None => return (path, ""),
        },
        None => match path.find(';') {
            Some(j) => j,
            None => return (path, ""),
        },
    };
    (&path[..i], &path[i + 1..])
}

/// `_check_bracketed_host`: an IPv6 address or an `IPvFuture` literal.
fn check_bracketed_host(host: &str) -> Option<()> {
    if let Some(future) = host.strip_prefix('v') {
        let (version, rest) = future.split_once('.')?;
        let ok = !version.is_empty()
            && version.bytes().all(|b| b.is_ascii_hexdigit())
            && !rest.is_empty();
        return ok.then_some(());
    }
    match ip::parse(host)? {
        ip::Address::V6(..) => Some(()),
        ip::Address::V4(_) => None,
    }
}

/// `_checknetloc`: refuse a netloc that NFKC turns into one with URL delimiters.
fn check_netloc(netloc: &str) -> Option<()> {
    if netloc.is_ascii() {
        return Some(());
    }
    let n: String = netloc
        .chars()
        .filter(|c| !matches!(c, '@' | ':' | '#' | '?'))
        .collect();
    let normalized: String = n.nfkc().collect();
    if n == normalized || !normalized.contains(['/', '?', '#', '@', ':']) {
        Some(())
    } else {
        None
    }
}

/// `urlunparse` / `geturl`.
fn geturl(p: &Parsed) -> String {
    let mut url = p.path.clone();
    if !p.params.is_empty() {
        url = format!("{url};{}", p.params);
    }
    if !p.netloc.is_empty()
        || (!p.scheme.is_empty()
            && USES_NETLOC.contains(&p.scheme.as_str())
            && !url.starts_with("//"))
    {
        if !url.is_empty() && !url.starts_with('/') {
            url.insert(0, '/');
        }
        url = format!("//{}{url}", p.netloc);
    }
    if !p.scheme.is_empty() {
        url = format!("{}:{url}", p.scheme);
    }
    if !p.query.is_empty() {
        url = format!("{url}?{}", p.query);
    }
    if !p.fragment.is_empty() {
        url = format!("{url}#{}", p.fragment);
    }
    url
}

/// `hostname` and `port` of the netloc; `None` where `.port` raises.
fn host_and_port(netloc: &str) -> Option<(Option<String>, Option<u32>)> {
    let hostinfo = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
    let (hostname, port) = match hostinfo.split_once('[') {
        Some((_, bracketed)) => {
            let (host, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
            (host, after.split_once(':').map_or("", |(_, p)| p))
        }
        None => hostinfo.split_once(':').unwrap_or((hostinfo, "")),
    };
    let port = if port.is_empty() {
        None
    } else {
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let significant = port.trim_start_matches('0');
        if significant.len() > 5 {
            return None;
        }
        let value: u32 = if significant.is_empty() {
            0
        } else {
            significant.parse().ok()?
        };
        if value > 65_535 {
            return None;
        }
        Some(value)
    };
    let hostname = if hostname.is_empty() {
        None
    } else {
        let (host, zone) = hostname
            .split_once('%')
            .map_or((hostname, None), |(h, z)| (h, Some(z)));
        let mut lowered = host.to_lowercase();
        if let Some(zone) = zone {
            lowered.push('%');
            lowered.push_str(zone);
        }
        Some(lowered)
    };
    Some((hostname, port))
}

/// Python's `\w` for one character.
fn is_word(c: char) -> bool {
    c == '_' || py_isalnum(c)
}

fn valid_netloc(p: &Parsed) -> bool {
    if p.netloc.chars().any(py_isspace) {
        return false;
    }
    let Some((Some(host), _)) = host_and_port(&p.netloc) else {
        return false;
    };
    if host.is_empty() {
        return false;
    }
    if ip::parse(&host).is_some() {
        return true;
    }
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    for label in &labels {
        let count = label.chars().count();
        if !(1..=63).contains(&count) || !label.chars().all(|c| is_word(c) || c == '-') {
            return false;
        }
        if !label.chars().any(|c| is_word(c) && c != '_') {
            return false;
        }
    }
    if let Some(tld) = labels.last()
        && labels.len() > 1
        && (tld.chars().count() < 2 || super::text::py_isdigit(tld))
    {
        return false;
    }
    true
}

fn clean_parsed(text: &str, depth: u8) -> Option<Parsed> {
    let mut parsed = urlparse(text)?;
    if parsed.netloc.is_empty() {
        if SCHEMES.contains(&parsed.scheme.to_lowercase().as_str()) {
            return None;
        }
        if depth == 0 && parsed.path.contains('.') && !text.starts_with("//") {
            return clean_parsed(&format!("//{text}"), depth + 1);
        }
        return None;
    }
    if !valid_netloc(&parsed) {
        return None;
    }
    if parsed.scheme.is_empty() {
        parsed.scheme = "http".into();
    } else {
        parsed.scheme = parsed.scheme.to_lowercase();
    }
    if !SCHEMES.contains(&parsed.scheme.as_str()) {
        return None;
    }
    parsed.path = py_strip(&parsed.path).to_owned();
    if parsed.path.is_empty() {
        parsed.path = "/".into();
    }
    Some(parsed)
}

/// rigour's `clean_url`.
pub(crate) fn clean(text: &str) -> Option<String> {
    clean_parsed(text, 0).map(|p| geturl(&p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_hosts() {
        assert_eq!(
            clean("www.google.com").as_deref(),
            Some("http://www.google.com/")
        );
        assert_eq!(
            clean("HTTPS://Example.com/a?b=c#d").as_deref(),
            Some("https://Example.com/a?b=c#d")
        );
        assert_eq!(
            clean("https://example.com/?").as_deref(),
            Some("https://example.com/")
        );
        assert_eq!(clean("javascript:alert(1)"), None);
        assert_eq!(clean("mailto:foo@example.com"), None);
        assert_eq!(clean("https:example.com"), None);
        assert_eq!(clean("3.4"), None);
        assert_eq!(clean("N.A."), None);
        assert_eq!(clean("Social media: http://vk.com/x"), None);
    }

    #[test]
    fn ports_ips_and_params() {
        assert_eq!(
            clean("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080/")
        );
        assert_eq!(clean("http://example.com:99999/"), None);
        assert_eq!(clean("http://[::1]/x").as_deref(), Some("http://[::1]/x"));
        assert_eq!(clean("http://[1.2.3.4]/"), None);
        assert_eq!(
            clean("http://example.com/a;b?c").as_deref(),
            Some("http://example.com/a;b?c")
        );
        assert_eq!(
            clean("ftp://user:pw@files.example.org/x").as_deref(),
            Some("ftp://user:pw@files.example.org/x")
        );
    }
}
