//! Identifiers: free text, unless the property names a scheme (`format`), in which case
//! the value must be a valid number of that scheme and is normalised as rigour.ids does
//! (mostly via python-stdnum: separators removed, upper case, check digits verified).
//! An unknown format name leaves the value as it is, as in FtM.

use std::sync::LazyLock;

use regex::Regex;

use super::data::ID_DB;
use super::text::{ascii_text, digit_value, py_isalnum, py_strip};

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("{e}"))
}

/// Clean an identifier according to its format.
pub(crate) fn clean(text: &str, format: Option<&str>) -> Option<String> {
    let Some(format) = format else {
        return Some(text.to_owned());
    };
    match format {
        "generic" | "null" => Some(py_strip(text).to_owned()),
        "strict" => strict(text),
        "wikidata" | "qid" => wikidata(text),
        "ogrn" => ogrn(text),
        "imo" => imo(text),
        "isin" => isin(text),
        "iban" => iban(text),
        "figi" | "openfigi" => figi(text),
        "bic" | "swift" => bic(text),
        "inn" => inn(text),
        "npi" => npi(text),
        "lei" => lei(text),
        "uei" => uei(text),
        "ssn" => ssn(text),
        "cpf" => cpf(text),
        "cnpj" => cnpj(text),
        "uscc" => uscc(text),
        _ => Some(text.to_owned()),
    }
}

/// The display form of a stored identifier (`IBAN` in groups of four, `SSN` with dashes…),
/// as FtM's `caption` with the property's format.
pub(crate) fn caption(value: &str, format: Option<&str>) -> String {
    match format {
        None => value.to_owned(),
        Some("iban") => compact(value, " -.")
            .to_uppercase()
            .chars()
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" "),
        Some("imo") => {
            let v = value.replace(' ', "");
            if v.starts_with("IMO") {
                v
            } else {
                format!("IMO{v}")
            }
        }
        Some("ssn") if value.chars().count() == 9 && value.is_ascii() => {
            format!("{}-{}-{}", &value[..3], &value[3..5], &value[5..])
        }
        Some("cpf") => {
            let n: Vec<char> = compact(value, " -.").chars().collect();
            let s = |from: isize, to: isize| py_slice(&n, from, to);
            format!("{}.{}.{}-{}", s(0, 3), s(3, 6), s(6, -2), s(-2, isize::MAX))
        }
        Some("cnpj") => {
            let n: Vec<char> = compact(value, " -./").to_uppercase().chars().collect();
            let s = |from: isize, to: isize| py_slice(&n, from, to);
            format!(
                "{}.{}.{}/{}-{}",
                s(0, 2),
                s(2, 5),
                s(5, 8),
                s(8, 12),
                s(12, isize::MAX)
            )
        }
        Some(f) if clean_format_known(f) => value.to_uppercase(),
        Some(_) => value.to_owned(),
    }
}

/// Python's `chars[from:to]`, negative positions counting from the end.
fn py_slice(chars: &[char], from: isize, to: isize) -> String {
    let len = isize::try_from(chars.len()).unwrap_or(isize::MAX);
    let clamp = |i: isize| -> usize {
        let i = if i < 0 { (len + i).max(0) } else { i.min(len) };
        usize::try_from(i).unwrap_or(0)
    };
    let (from, to) = (clamp(from), clamp(to));
    if from >= to {
        String::new()
    } else {
        chars[from..to].iter().collect()
    }
}

fn clean_format_known(format: &str) -> bool {
    matches!(
        format,
        "generic"
            | "null"
            | "strict"
            | "wikidata"
            | "qid"
            | "ogrn"
            | "isin"
            | "figi"
            | "openfigi"
            | "bic"
            | "swift"
            | "inn"
            | "npi"
            | "lei"
            | "uei"
            | "cnpj"
            | "uscc"
    )
}

/// python-stdnum's `clean`: fold look-alike characters, then delete `deletechars`.
fn fold(number: &str, deletechars: &str) -> String {
    let chars = &ID_DB.chars;
    number
        .chars()
        .map(|c| chars.get(&c).copied().unwrap_or(c))
        .filter(|c| !deletechars.contains(*c))
        .collect()
}

/// `clean(number, deletechars).strip()`.
fn compact(number: &str, deletechars: &str) -> String {
    py_strip(&fold(number, deletechars)).to_owned()
}

/// stdnum's `isdigits`: ASCII digits only.
fn isdigits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn ascii_digits(s: &str) -> Vec<u32> {
    s.bytes().map(|b| u32::from(b - b'0')).collect()
}

/// The value of each character as Python's `int()` reads a decimal digit.
fn digit_values(s: &str) -> Option<Vec<u32>> {
    s.chars().map(digit_value).collect()
}

fn strict(text: &str) -> Option<String> {
    let ascii = ascii_text(text);
    if ascii.chars().count() < 2 {
        return None;
    }
    Some(
        ascii
            .chars()
            .filter(|&c| py_isalnum(c))
            .collect::<String>()
            .to_uppercase(),
    )
}

static QID: LazyLock<Regex> = LazyLock::new(|| re(r"^Q\d+\n?$"));

fn wikidata(text: &str) -> Option<String> {
    let last = text.rsplit('/').next().unwrap_or(text);
    let text = py_strip(last).to_uppercase();
    QID.is_match(&text).then_some(text)
}

static OGRN_RE: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{13}|\d{15})\b"));

fn ogrn(text: &str) -> Option<String> {
    let value = OGRN_RE.captures(text)?.get(1)?.as_str();
    if value.starts_with('0') {
        return None;
    }
    let digits = digit_values(value)?;
    let number = |n: usize| {
        digits[..n]
            .iter()
            .fold(0u128, |acc, &d| acc * 10 + u128::from(d))
    };
    let control = match digits.len() {
        13 => number(12) % 11,
        15 => number(14) % 13,
        _ => return None,
    };
    let control = if control == 10 { 0 } else { control };
    (u128::from(*digits.last()?) == control).then(|| value.to_owned())
}

fn imo_vessel(d: &[u32]) -> bool {
    d[..6]
        .iter()
        .enumerate()
        .map(|(i, &x)| x * (7 - i as u32))
        .sum::<u32>()
        % 10
        == d[6]
}

fn imo_company(d: &[u32]) -> bool {
    let sum: u32 = d.iter().zip([8, 6, 4, 2, 9, 7]).map(|(&x, w)| x * w).sum();
    (11 - sum % 11) % 10 == d[6]
}

/// rigour's IMO extraction: runs of five to seven digits (longer first, then those with
/// an `IMO` prefix, then earlier ones), zero-padded to seven; the first that passes the
/// ship or the company checksum wins.
fn imo(text: &str) -> Option<String> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let is_digit = |c: char| digit_value(c).is_some();
    let mut candidates = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !is_digit(chars[i].1) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_digit(chars[i].1) {
            i += 1;
        }
        let run_len = i - start;
        if !(5..=7).contains(&run_len) {
            continue;
        }
        let byte_start = chars[start].0;
        let byte_end = chars.get(i).map_or(text.len(), |c| c.0);
        let before = text[..byte_start].trim_end_matches(|c: char| {
            super::text::py_isspace(c) || matches!(c, ':' | '.' | '#' | '-')
        });
        let prefixed = before.ends_with("IMO");
        let match_start = if prefixed {
            before.len() - 3
        } else {
            byte_start
        };
        candidates.push((run_len, !prefixed, match_start, &text[byte_start..byte_end]));
    }
    candidates
        .sort_by_key(|&(len, unprefixed, start, _)| (std::cmp::Reverse(len), unprefixed, start));
    for (len, _, _, run) in candidates {
        let value = format!("{}{}", "0".repeat(7 - len), run);
        let digits = digit_values(&value)?;
        if digits.iter().all(|&d| d == 0) {
            continue;
        }
        if imo_vessel(&digits) || imo_company(&digits) {
            return Some(format!("IMO{value}"));
        }
    }
    None
}

const ALNUM36: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Sum of the decimal digits of a string of digits.
fn digit_sum(s: &str) -> u32 {
    s.bytes().map(|b| u32::from(b - b'0')).sum()
}

fn isin(text: &str) -> Option<String> {
    let number = compact(text, " ").to_uppercase();
    if !number.chars().all(|c| ALNUM36.contains(c)) || number.len() != 12 {
        return None;
    }
    if !ID_DB.isin_countries.contains(&number[..2]) {
        return None;
    }
    let expanded: String = number[..11]
        .chars()
        .filter_map(|c| ALNUM36.find(c))
        .map(|i| i.to_string())
        .collect();
    let weighted: String = expanded
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| (u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 }).to_string())
        .collect();
    let check = (10 - digit_sum(&weighted) % 10) % 10;
    (number[11..] == check.to_string()).then_some(number)
}

/// ISO 7064 MOD 97-10 remainder, reading letters as 10–35 (`int(x, 36)`).
fn mod97(number: &str) -> Option<u32> {
    if number.is_empty() {
        return None;
    }
    let mut rem: u64 = 0;
    for c in number.chars() {
        let v = match c.to_ascii_uppercase() {
            u @ 'A'..='Z' => u as u64 - 'A' as u64 + 10,
            _ => u64::from(digit_value(c)?),
        };
        let width = if v >= 10 { 100 } else { 10 };
        rem = (rem * width + v) % 97;
    }
    u32::try_from(rem).ok()
}

/// A BBAN structure such as `4!n4!n12!c` as a check of the BBAN.
fn bban_matches(structure: &str, bban: &str) -> bool {
    let mut chars = bban.chars();
    let mut rest = structure;
    while !rest.is_empty() {
        let Some(bang) = rest.find('!') else {
            return false;
        };
        let Ok(count) = rest[..bang].parse::<usize>() else {
            return false;
        };
        let Some(kind) = rest[bang + 1..].chars().next() else {
            return false;
        };
        rest = &rest[bang + 2..];
        for _ in 0..count {
            let ok = match (chars.next(), kind) {
                (Some(c), 'n') => c.is_ascii_digit(),
                (Some(c), 'a') => c.is_ascii_uppercase(),
                (Some(c), 'c') => c.is_ascii_alphanumeric(),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    chars.next().is_none()
}

fn iban(text: &str) -> Option<String> {
    let number = compact(text, " -.").to_uppercase();
    let (head, bban) = (number.get(..4)?, number.get(4..)?);
    if mod97(&format!("{bban}{head}"))? != 1 {
        return None;
    }
    let structure = ID_DB.iban.get(number.get(..2)?)?;
    if !bban_matches(structure, bban) {
        return None;
    }
    let national_ok = match &number[..2] {
        "BE" => iban_be(&number),
        "ES" => iban_es(bban),
        "ME" => mod97(bban)? == 1,
        "NO" => kontonr(bban),
        _ => true,
    };
    national_ok.then_some(number)
}

fn iban_be(number: &str) -> bool {
    let account = &number[4..number.len() - 2];
    let check = account
        .bytes()
        .fold(0u64, |acc, b| (acc * 10 + u64::from(b - b'0')) % 97);
    let check = if check == 0 { 97 } else { check };
    number[number.len() - 2..] == format!("{check:02}") && ID_DB.be_banks.contains(&number[4..7])
}

fn iban_es(ccc: &str) -> bool {
    if ccc.len() != 20 || !isdigits(ccc) {
        return false;
    }
    let digit = |s: &str| {
        let check: u32 = ascii_digits(s)
            .iter()
            .enumerate()
            .map(|(i, &d)| d * (1 << i))
            .sum::<u32>()
            % 11;
        if check < 2 { check } else { 11 - check }
    };
    let expected = format!(
        "{}{}",
        digit(&format!("00{}", &ccc[..8])),
        digit(&ccc[10..])
    );
    ccc[8..10] == expected
}

fn kontonr(number: &str) -> bool {
    let number = number.strip_prefix("0000").unwrap_or(number);
    if !isdigits(number) {
        return false;
    }
    let d = ascii_digits(number);
    match d.len() {
        7 => luhn(&d),
        11 => {
            let sum: u32 = d
                .iter()
                .zip([6, 7, 8, 9, 4, 5, 6, 7, 8, 9])
                .map(|(&x, w)| x * w)
                .sum();
            (sum % 11).to_string() == number[10..]
        }
        _ => false,
    }
}

fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                (d * 2) / 10 + (d * 2) % 10
            } else {
                d
            }
        })
        .sum();
    !digits.is_empty() && sum.is_multiple_of(10)
}

fn figi(text: &str) -> Option<String> {
    let number = compact(text, " ").to_uppercase();
    if !number
        .chars()
        .all(|c| "0123456789BCDFGHJKLMNPQRSTVWXYZ".contains(c))
        || number.len() != 12
    {
        return None;
    }
    let b = number.as_bytes();
    if b[0].is_ascii_digit() || b[1].is_ascii_digit() {
        return None;
    }
    if ["BS", "BM", "GG", "GB", "VG"].contains(&&number[..2]) || b[2] != b'G' {
        return None;
    }
    let weighted: String = number[..11]
        .chars()
        .enumerate()
        .filter_map(|(i, c)| {
            ALNUM36
                .find(c)
                .map(|v| (v * if i % 2 == 1 { 2 } else { 1 }).to_string())
        })
        .collect();
    let check = (10 - digit_sum(&weighted) % 10) % 10;
    (number[11..] == check.to_string()).then_some(number)
}

static BIC_RE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[A-Z]{4}([A-Z]{2})[0-9A-Z]{2}([0-9A-Z]{3})?\n?$"));

fn bic_valid(text: &str) -> Option<String> {
    let number = compact(text, " -").to_uppercase();
    let len = number.chars().count();
    if len != 8 && len != 11 {
        return None;
    }
    let caps = BIC_RE.captures(&number)?;
    ID_DB
        .bic_countries
        .contains(caps.get(1)?.as_str())
        .then_some(number)
}

fn bic(text: &str) -> Option<String> {
    let number = bic_valid(text)?;
    let short: String = number.chars().take(8).collect::<String>().to_uppercase();
    bic_valid(&short)
}

fn inn(text: &str) -> Option<String> {
    let number = compact(text, " ");
    if !isdigits(&number) {
        return None;
    }
    let d = ascii_digits(&number);
    let check = |weights: &[u32], digits: &[u32]| -> u32 {
        weights.iter().zip(digits).map(|(w, d)| w * d).sum::<u32>() % 11 % 10
    };
    let ok = match d.len() {
        10 => check(&[2, 4, 10, 3, 5, 9, 4, 6, 8], &d) == d[9],
        12 => {
            let d1 = check(&[7, 2, 4, 10, 3, 5, 9, 4, 6, 8], &d);
            let mut first = d[..10].to_vec();
            first.push(d1);
            let d2 = check(&[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8], &first);
            d1 == d[10] && d2 == d[11]
        }
        _ => false,
    };
    ok.then_some(number)
}

static NPI_RE: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{10}|\d{15})\b"));

fn npi(text: &str) -> Option<String> {
    let value = NPI_RE.captures(text)?.get(1)?.as_str();
    if ["0000000000", "000000000000000", "808400000000000"].contains(&value) || !isdigits(value) {
        return None;
    }
    let full = if value.len() == 10 {
        format!("80840{value}")
    } else {
        value.to_owned()
    };
    luhn(&ascii_digits(&full)).then(|| value.to_owned())
}

fn lei(text: &str) -> Option<String> {
    let number = compact(text, " -").to_uppercase();
    (mod97(&number)? == 1).then_some(number)
}

static UEI_RE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b([0-9ABCDEFGHJKLMNPQRSTUVWXYZ]{12})\b"));

fn uei(text: &str) -> Option<String> {
    let value = UEI_RE.captures(text)?.get(1)?.as_str();
    if value.starts_with('0') {
        return None;
    }
    Some(value.to_uppercase())
}

static SSN_RE: LazyLock<Regex> = LazyLock::new(|| re(r"^([0-9]{3})-?([0-9]{2})-?([0-9]{4})\n?$"));

fn ssn(text: &str) -> Option<String> {
    let folded = fold(text, "");
    let caps = SSN_RE.captures(py_strip(&folded))?;
    let (area, group, serial) = (
        caps.get(1)?.as_str(),
        caps.get(2)?.as_str(),
        caps.get(3)?.as_str(),
    );
    if area == "000" || area == "666" || area.starts_with('9') || group == "00" || serial == "0000"
    {
        return None;
    }
    // stdnum checks its blacklist against the value as given, dashed if it has 9 chars.
    let formatted = if text.chars().count() == 9 && text.is_ascii() {
        format!("{}-{}-{}", &text[..3], &text[3..5], &text[5..])
    } else {
        text.to_owned()
    };
    if ["078-05-1120", "457-55-5462", "219-09-9999"].contains(&formatted.as_str()) {
        return None;
    }
    Some(compact(text, "-"))
}

fn cpf(text: &str) -> Option<String> {
    let number = compact(text, " -.");
    if !isdigits(&number) || number.bytes().all(|b| b == b'0') || number.len() != 11 {
        return None;
    }
    let d = ascii_digits(&number);
    let d1 = (11 - (0..9).map(|i| (10 - i as u32) * d[i]).sum::<u32>() % 11) % 11 % 10;
    let d2 = (11 - ((0..9).map(|i| (11 - i as u32) * d[i]).sum::<u32>() + 2 * d1) % 11) % 11 % 10;
    (number[9..] == format!("{d1}{d2}")).then_some(number)
}

static CNPJ_RE: LazyLock<Regex> = LazyLock::new(|| re(r"^[\dA-Z]+\n?$"));

fn cnpj(text: &str) -> Option<String> {
    let number = compact(text, " -./").to_uppercase();
    if !CNPJ_RE.is_match(&number)
        || number.starts_with("000000000000")
        || number.chars().count() != 14
    {
        return None;
    }
    let values: Vec<i64> = number.chars().take(12).map(|c| c as i64 - 48).collect();
    let digit = |values: &[i64], weights: &[i64]| -> i64 {
        (11 - values.iter().zip(weights).map(|(v, w)| v * w).sum::<i64>()).rem_euclid(11) % 10
    };
    let d1 = digit(&values, &[5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
    let mut values2 = values.clone();
    values2.push(d1);
    let d2 = digit(&values2, &[6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
    let tail: String = number.chars().skip(12).collect();
    (tail == format!("{d1}{d2}")).then_some(number)
}

const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

fn uscc(text: &str) -> Option<String> {
    let number = py_strip(&fold(text, " -").to_uppercase()).to_owned();
    if number.chars().count() != 18 || !isdigits(number.get(..8)?) {
        return None;
    }
    if !number[8..].chars().all(|c| USCC_ALPHABET.contains(c)) {
        return None;
    }
    let weights = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let total: usize = number
        .chars()
        .zip(weights)
        .filter_map(|(c, w)| USCC_ALPHABET.find(c).map(|v| v * w))
        .sum();
    let check = USCC_ALPHABET.chars().nth((31 - total % 31) % 31)?;
    number.ends_with(check).then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(text: &str, format: &str) -> Option<String> {
        clean(text, Some(format))
    }

    #[test]
    fn captions() {
        assert_eq!(
            caption("DE89370400440532013000", Some("iban")),
            "DE89 3704 0044 0532 0130 00"
        );
        assert_eq!(caption("39053344705", Some("cpf")), "390.533.447-05");
        assert_eq!(caption("847534533", Some("cpf")), "847.534.5-33");
        assert_eq!(
            caption("11222333000181", Some("cnpj")),
            "11.222.333/0001-81"
        );
        assert_eq!(caption("536904399", Some("ssn")), "536-90-4399");
        assert_eq!(caption("9074729", Some("imo")), "IMO9074729");
        assert_eq!(caption("abc", Some("lei")), "ABC");
        assert_eq!(caption("abc", None), "abc");
    }

    #[test]
    fn free_text_and_unknown_formats() {
        assert_eq!(clean(" x-1 ", None).as_deref(), Some(" x-1 "));
        assert_eq!(c("abc", "nonsense").as_deref(), Some("abc"));
    }

    #[test]
    fn iban() {
        assert_eq!(
            c("de89 3704 0044 0532 0130 00", "iban").as_deref(),
            Some("DE89370400440532013000")
        );
        assert_eq!(c("DE88 3704 0044 0532 0130 00", "iban"), None);
        assert_eq!(
            c("GB82 WEST 1234 5698 7654 32", "iban").as_deref(),
            Some("GB82WEST12345698765432")
        );
        // Valid check digits, but bank code 539 is not in the Belgian registry.
        assert_eq!(c("BE68 5390 0754 7034", "iban"), None);
        assert_eq!(
            c("BE71 0961 2345 6769", "iban").as_deref(),
            Some("BE71096123456769")
        );
        assert_eq!(
            c("NO93 8601 1117 947", "iban").as_deref(),
            Some("NO9386011117947")
        );
    }

    #[test]
    fn checksummed_schemes() {
        assert_eq!(c("IMO 9074729", "imo").as_deref(), Some("IMO9074729"));
        assert_eq!(c("9074728", "imo"), None);
        assert_eq!(c("US0378331005", "isin").as_deref(), Some("US0378331005"));
        assert_eq!(c("US0378331006", "isin"), None);
        assert_eq!(
            c("5493001KJTIIGC8Y1R12", "lei").as_deref(),
            Some("5493001KJTIIGC8Y1R12")
        );
        assert_eq!(c("5493001KJTIIGC8Y1R13", "lei"), None);
        assert_eq!(c("BBG000BLNNH6", "figi").as_deref(), Some("BBG000BLNNH6"));
        assert_eq!(c("DEUTDEFF500", "bic").as_deref(), Some("DEUTDEFF"));
        assert_eq!(c("7707083893", "inn").as_deref(), Some("7707083893"));
        assert_eq!(c("1027700132195", "ogrn").as_deref(), Some("1027700132195"));
        assert_eq!(c("1234567893", "npi").as_deref(), Some("1234567893"));
        assert_eq!(
            c("https://www.wikidata.org/wiki/q42", "wikidata").as_deref(),
            Some("Q42")
        );
        assert_eq!(c("536-90-4399", "ssn").as_deref(), Some("536904399"));
        assert_eq!(c("078-05-1120", "ssn"), None);
        assert_eq!(
            c("91350100M000100Y43", "uscc").as_deref(),
            Some("91350100M000100Y43")
        );
    }
}
