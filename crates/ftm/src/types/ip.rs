//! IP addresses in the canonical text form of Python's `ipaddress` module (3.11): IPv4
//! octets without leading zeros; IPv6 lowercase, the longest run of two or more zero
//! groups compressed, embedded IPv4 shown as hex groups, a zone id kept.

/// A parsed address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Address {
    V4(u32),
    V6(u128, Option<String>),
}

fn parse_v4(text: &str) -> Option<u32> {
    let octets: Vec<&str> = text.split('.').collect();
    if octets.len() != 4 {
        return None;
    }
    let mut value: u32 = 0;
    for octet in octets {
        if octet.is_empty() || octet.len() > 3 || !octet.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if octet != "0" && octet.starts_with('0') {
            return None;
        }
        let n: u32 = octet.parse().ok()?;
        if n > 255 {
            return None;
        }
        value = (value << 8) | n;
    }
    Some(value)
}

fn parse_hextet(text: &str) -> Option<u128> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(text, 16).ok()
}

fn parse_v6(text: &str) -> Option<(u128, Option<String>)> {
    let (addr, scope) = match text.split_once('%') {
        Some((_, scope)) if scope.is_empty() || scope.contains('%') => return None,
        Some((addr, scope)) => (addr, Some(scope.to_owned())),
        None => (text, None),
    };
    let mut parts: Vec<String> = addr.split(':').map(str::to_owned).collect();
    if parts.len() < 3 {
        return None;
    }
    if parts.last().is_some_and(|p| p.contains('.')) {
        let v4 = parse_v4(&parts.pop()?)?;
        parts.push(format!("{:x}", (v4 >> 16) & 0xFFFF));
        parts.push(format!("{:x}", v4 & 0xFFFF));
    }
    if parts.len() > 9 {
        return None;
    }
    let mut skip = None;
    for (i, part) in parts.iter().enumerate().take(parts.len() - 1).skip(1) {
        if part.is_empty() {
            if skip.is_some() {
                return None;
            }
            skip = Some(i);
        }
    }
    let (hi, lo, skipped) = match skip {
        Some(skip) => {
            let mut hi = skip;
            let mut lo = parts.len() - skip - 1;
            if parts[0].is_empty() {
                hi -= 1;
                if hi != 0 {
                    return None;
                }
            }
            if parts.last().is_some_and(String::is_empty) {
                lo -= 1;
                if lo != 0 {
                    return None;
                }
            }
            let skipped = 8usize.checked_sub(hi + lo).filter(|&s| s >= 1)?;
            (hi, lo, skipped)
        }
        None => {
            if parts.len() != 8 || parts[0].is_empty() || parts[7].is_empty() {
                return None;
            }
            (8, 0, 0)
        }
    };
    let mut value: u128 = 0;
    for part in &parts[..hi] {
        value = (value << 16) | parse_hextet(part)?;
    }
    value = value.checked_shl(16 * skipped as u32).unwrap_or(0);
    for part in &parts[parts.len() - lo..] {
        value = (value << 16) | parse_hextet(part)?;
    }
    Some((value, scope))
}

/// `ipaddress.ip_address(text)`.
pub(crate) fn parse(text: &str) -> Option<Address> {
    if let Some(v4) = parse_v4(text) {
        return Some(Address::V4(v4));
    }
    parse_v6(text).map(|(v, scope)| Address::V6(v, scope))
}

/// `str(ip_address(text))`.
pub(crate) fn clean(text: &str) -> Option<String> {
    Some(match parse(text)? {
        Address::V4(v) => std::net::Ipv4Addr::from(v).to_string(),
        Address::V6(v, scope) => {
            let mut hextets: Vec<String> = (0..8)
                .rev()
                .map(|i| format!("{:x}", (v >> (16 * i)) & 0xFFFF))
                .collect();
            let (mut best_start, mut best_len, mut start, mut len) = (0, 0, 0, 0);
            for (i, h) in hextets.iter().enumerate() {
                if h == "0" {
                    if len == 0 {
                        start = i;
                    }
                    len += 1;
                    if len > best_len {
                        best_len = len;
                        best_start = start;
                    }
                } else {
                    len = 0;
                }
            }
            if best_len > 1 {
                let end = best_start + best_len;
                if end == hextets.len() {
                    hextets.push(String::new());
                }
                hextets.splice(best_start..end, [String::new()]);
                if best_start == 0 {
                    hextets.insert(0, String::new());
                }
            }
            let mut out = hextets.join(":");
            if let Some(scope) = scope {
                out.push('%');
                out.push_str(&scope);
            }
            out
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4() {
        assert_eq!(clean("192.168.1.1").as_deref(), Some("192.168.1.1"));
        assert_eq!(clean("192.168.001.1"), None);
        assert_eq!(clean("256.1.1.1"), None);
        assert_eq!(clean("1.2.3"), None);
    }

    #[test]
    fn v6() {
        assert_eq!(
            clean("2001:0DB8:0000:0000:0000:0000:0000:0001").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(clean("::").as_deref(), Some("::"));
        assert_eq!(clean("1:0:2:3:4:5:6:7").as_deref(), Some("1:0:2:3:4:5:6:7"));
        assert_eq!(clean("1::").as_deref(), Some("1::"));
        assert_eq!(
            clean("::ffff:192.168.1.1").as_deref(),
            Some("::ffff:c0a8:101")
        );
        assert_eq!(clean("fe80::1%eth0").as_deref(), Some("fe80::1%eth0"));
        assert_eq!(clean("1::2::3"), None);
        assert_eq!(clean("12345::1"), None);
        assert_eq!(clean("1:2:3:4:5:6:7:8:9"), None);
    }
}
