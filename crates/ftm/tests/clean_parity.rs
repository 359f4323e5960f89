//! Value-cleaning parity with followthemoney 4.11.2.
//!
//! `tests/data/values.tsv` holds raw values of every property type; `values.expected.tsv`
//! holds FtM's cleaning of each (written by `tests/compat/clean_values.py`, which CI
//! reruns with `--check` against the real package). Every row must clean to FtM's
//! output, or to the output in the fifth column where we accept a difference; those rows
//! are explained in `docs/ftm-differences.md`.

use ftm::{CleanOptions, PropertyType};

const VALUES: &str = include_str!("data/values.tsv");
const EXPECTED: &str = include_str!("data/values.expected.tsv");
const DIFFERENCES: &str = include_str!("../../../docs/ftm-differences.md");

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let cp = u32::from_str_radix(&hex, 16).expect("hex escape");
                out.push(char::from_u32(cp).expect("code point"));
            }
            other => panic!("bad escape \\{other:?} in {text:?}"),
        }
    }
    out
}

/// `<none>` (FtM drops the value) and `<error>` (FtM raises) both mean no value.
fn outcome(cell: &str) -> Option<String> {
    match cell {
        "<none>" | "<error>" => None,
        other => Some(unescape(other)),
    }
}

fn rows(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect()
}

#[test]
fn expected_file_covers_every_value() {
    let values = rows(VALUES);
    let expected = rows(EXPECTED);
    assert!(values.len() >= 600, "only {} values", values.len());
    assert_eq!(
        values.len(),
        expected.len(),
        "rerun tests/compat/clean_values.py"
    );
    for (v, e) in values.iter().zip(&expected) {
        assert_eq!(v[..], e[..3], "rerun tests/compat/clean_values.py");
    }
    let types: std::collections::BTreeSet<&str> = values.iter().map(|r| r[0]).collect();
    assert_eq!(
        types.len(),
        PropertyType::ALL.len(),
        "every type has values: {types:?}"
    );
}

#[test]
fn cleaning_matches_ftm() {
    let mut failures = Vec::new();
    let mut accepted = 0;
    for row in rows(EXPECTED) {
        let (type_name, format, raw, ftm_out) = (row[0], row[1], row[2], row[3]);
        let prop_type =
            PropertyType::from_name(type_name).unwrap_or_else(|| panic!("type {type_name}"));
        let opts = CleanOptions {
            format: (!format.is_empty()).then_some(format),
            fuzzy: false,
        };
        let ours = prop_type.clean(&unescape(raw), opts);
        let want = match row.get(4).filter(|c| !c.is_empty()) {
            Some(accept) => {
                accepted += 1;
                let accept = outcome(accept);
                assert_ne!(
                    accept,
                    outcome(ftm_out),
                    "stale accepted difference: {row:?}"
                );
                assert!(
                    DIFFERENCES.contains(raw),
                    "accepted difference not documented: {raw}"
                );
                accept
            }
            None => outcome(ftm_out),
        };
        if ours != want {
            failures.push(format!(
                "{type_name}\t{format}\t{raw}\n    FtM: {ftm_out}\n    ours: {ours:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the values differ ({accepted} accepted):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
